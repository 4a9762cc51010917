"""The public list of recent alerts in a real browser: a published alert shows, with a link to its page, the area
filter narrows the list, the feed is offered, and an alert not marked public never shows."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from infra.local.token import token_from_state
from tests.browser.axe_helpers import assert_no_violations


def sent(stack: dict[str, Any], officer: dict[str, str], title: str, public: bool, area: str) -> str:
    site = stack["site_url"]
    made = requests.post(f"{site}/v1/alerts", headers=officer, timeout=10, json={
        "title": title, "category": "crime", "priority": "normal", "public": public,
        "body": "Please lock sheds and garages, and report anything suspicious on 101.",
        "incident_ref": f"PUB/{uuid.uuid4().hex[:6].upper()}", "contact": {"phone": "101"}, "channels": ["email"],
        "target": {"type": "areas", "area_ids": [area]}})
    assert made.status_code == 201, made.text
    alert_id = str(made.json()["id"])
    assert requests.post(f"{site}/v1/alerts/{alert_id}/send", headers=officer, timeout=10).status_code == 200
    return alert_id


def test_recent_public_alerts_list_by_area(page: Any, stack: dict[str, Any], site_url: str) -> None:
    officer = {"Authorization": f"Bearer {token_from_state(stack, 'demo-officer@hexwatch.example')}"}
    tag = uuid.uuid4().hex[:6]
    leek_id = sent(stack, officer, f"Shed break-ins in Leek {tag}", True, "leek")
    sent(stack, officer, f"Garage thefts in Stafford {tag}", True, "stafford")
    sent(stack, officer, f"Not for publishing {tag}", False, "leek")

    page.goto(f"{site_url}/alerts.html?org=staffordshire")
    page.get_by_role("link", name=f"Shed break-ins in Leek {tag}").wait_for()
    assert page.get_by_role("link", name=f"Garage thefts in Stafford {tag}").is_visible()
    assert page.get_by_text(f"Not for publishing {tag}").count() == 0
    assert page.get_by_role("link", name="Follow these alerts in a feed reader (Atom, with CAP 1.2)").is_visible()
    assert_no_violations(page, "alerts.html with alerts listed")

    page.get_by_label("Area").select_option(label="Leek")
    page.get_by_role("link", name=f"Garage thefts in Stafford {tag}").wait_for(state="detached")
    link = page.get_by_role("link", name=f"Shed break-ins in Leek {tag}")
    assert link.get_attribute("href") == f"/alert.html?org=staffordshire&id={leek_id}"
    link.click()
    page.wait_for_url(f"**/alert.html?org=staffordshire&id={leek_id}")
    page.get_by_role("heading", name=f"Shed break-ins in Leek {tag}").wait_for()
