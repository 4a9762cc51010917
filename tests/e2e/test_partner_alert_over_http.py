"""A partner agency over real HTTP on the local stack: the force's admin registers a council with the command-line
tool, the council signs its alert with the Python and the curl examples of docs/partners.md, exactly as printed, and
only the residents there who chose to hear from councils get it: a resident who chose "police only" gets nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.token import token_from_state

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "partners.md").read_text("utf-8")
TIMEOUT = 10
CENTRE = (52.9000, -1.8650)  # Uttoxeter: away from the demo residents around the towns


def example(language: str, containing: str) -> str:
    """The guide's code block in `language` that holds `containing`."""
    return next(block for block in re.findall(rf"```{language}\n(.*?)```", GUIDE, re.S) if containing in block)


def outbox(stack: dict[str, Any]) -> list[dict[str, Any]]:
    return list(requests.get(f"{stack['site_url']}/outbox.json", timeout=TIMEOUT).json())


def wait_for(stack: dict[str, Any], to: str, contains: str, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in outbox(stack):
            if message["channel"] == "email" and to in message["to"] and contains in (message["text"] or ""):
                return message
        time.sleep(0.3)
    raise AssertionError(f"no email to {to} containing {contains!r} within {seconds} s")


def resident(stack: dict[str, Any], senders: list[str], point: tuple[float, float] = CENTRE) -> str:
    site = stack["site_url"]
    email = f"partner-e2e-{uuid.uuid4().hex[:8]}@example.org"
    body = {"email": email, "channels": ["email"], "categories": ["crime"], "senders": senders,
            "locations": [{"label": "Home", "lat": point[0] + 0.001, "lng": point[1]}], "age_confirmed": True,
            "consent": True}
    assert requests.post(f"{site}/v1/signup", json=body, timeout=TIMEOUT).status_code == 202
    link = wait_for(stack, email, "verify.html")
    token = re.search(r"verify\.html\?token=([^\s&\"]+)", link["text"]).group(1)  # type: ignore[union-attr]
    assert requests.post(f"{site}/v1/verify", json={"token": token}, timeout=TIMEOUT).status_code == 200
    return email


def admin_command(stack: dict[str, Any], tmp_path: Path, *arguments: str) -> Any:
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(stack))
    done = subprocess.run([sys.executable, "-m", "infra.officers", "--state-file", str(state_file), "--user",
                           "demo-admin@hexwatch.example", *arguments], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_council_alert_reaches_only_residents_who_chose_councils(local_stack: dict[str, Any],
                                                                   tmp_path: Path) -> None:
    partner_id = f"e2e-council-{uuid.uuid4().hex[:6]}"
    admin_command(local_stack, tmp_path, "set-partner", partner_id, "--name", "Uttoxeter Town Council", "--type",
                  "council", "--categories", "crime", "--channels", "email", "--whole-force", "--trust", "trusted")
    secret = admin_command(local_stack, tmp_path, "add-secret", partner_id)
    council_too = resident(local_stack, ["council"])
    police_only = resident(local_stack, [])

    # The guide's Python, as printed, pointed at the local stack.
    guide: dict[str, Any] = {}
    exec(compile(example("python", "def send_alert"), "docs/partners.md", "exec"), guide)
    guide.update(API=local_stack["site_url"], PARTNER_ID=partner_id, SECRET_ID=secret["secret_id"],
                 SECRET=secret["secret"])
    reference = f"UTC/{uuid.uuid4().hex[:6].upper()}"
    alert = {"title": "Thefts from allotment sheds", "category": "crime", "priority": "normal",
             "body": "Tools were taken from several sheds on the Uttoxeter allotments. Please report anything seen.",
             "incident_ref": reference, "contact": {"phone": "101"}, "channels": ["email"],
             "target": {"type": "circle", "center": {"lat": CENTRE[0], "lng": CENTRE[1]}, "radius_m": 800}}
    made = guide["send_alert"](alert, reference)
    assert made["status"] == "sending" and made["moderation"] == "not_moderated"

    message = wait_for(local_stack, council_too, "Thefts from allotment sheds")
    assert "Uttoxeter Town Council via" in json.dumps(message)  # the sender residents read
    officer = {"Authorization": f"Bearer {token_from_state(local_stack, 'demo-officer@hexwatch.example')}"}
    deadline, state = time.monotonic() + 60, {}
    while time.monotonic() < deadline:
        state = requests.get(f"{local_stack['site_url']}/v1/alerts/{made['id']}", headers=officer,
                             timeout=TIMEOUT).json()
        if state["status"] == "sent":
            break
        time.sleep(0.5)
    assert state["status"] == "sent", state
    assert not [m for m in outbox(local_stack) if police_only in m["to"] and "allotment" in (m["text"] or "")]
    assert guide["read_alert"](made["id"])["status"] == "sent"
    # A retry with the same key gives the same alert and sends nothing again.
    assert guide["send_alert"](alert, reference)["id"] == made["id"]
    time.sleep(2)
    assert len([m for m in outbox(local_stack) if council_too in m["to"] and "allotment" in (m["text"] or "")]) == 1


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl and openssl")
def test_the_guides_curl_and_openssl_example_is_accepted(local_stack: dict[str, Any], tmp_path: Path) -> None:
    partner_id = f"e2e-curl-{uuid.uuid4().hex[:6]}"
    admin_command(local_stack, tmp_path, "set-partner", partner_id, "--name", "Stafford Borough Council", "--type",
                  "council", "--categories", "crime", "--channels", "email", "--areas", "stafford")
    secret = admin_command(local_stack, tmp_path, "add-secret", partner_id)
    environment = {**os.environ, "API": local_stack["site_url"], "PARTNER_ID": partner_id,
                   "SECRET_ID": secret["secret_id"], "SECRET": secret["secret"]}
    script = example("sh", "openssl dgst")
    first = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=environment, timeout=60)
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["status"] == "pending_approval" and made["moderation"] == "pending"  # a moderated partner waits
    again = json.loads(subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=environment,
                                      timeout=60).stdout)
    assert again["id"] == made["id"]
