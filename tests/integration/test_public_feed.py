"""Public alerts out, on the emulator: only alerts marked public that have started sending are published, as a
well-formed Atom feed (RFC 4287) of CAP 1.2 messages that validate against the OASIS schema, each also at its own
link; the published area never gives away the drawn target; and the public list filters by named area."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from lxml import etree

from tests.cap_messages import cap_message, circle_area, info

from .alert_helpers import STAFFORD, AlertStack, offset, serving_alert_stack
from .test_partner_webhook import register

ATOM = "{http://www.w3.org/2005/Atom}"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[2] / "functions" / "chalicelib" / "vendor" / "oasis"
                                      / "CAP-v1.2-schema.xsd")))
DRAWN = offset(*STAFFORD, 123, 77)  # an exact point an officer drew round: it must never be published


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def sent_alert(stack: AlertStack, **overrides: Any) -> dict[str, Any]:
    made = stack.create("officer", channels=["email"], **overrides)
    assert stack.call("POST", f"/v1/alerts/{made['id']}/send", "officer").status_code == 200
    return made


def is_rfc3339(text: str | None) -> bool:
    return bool(text) and bool(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", text or "")) \
        and datetime.fromisoformat(str(text).replace("Z", "+00:00")) is not None


def assert_atom(feed: etree._Element) -> None:
    """The rules of RFC 4287 a feed and its entries must meet (section 4.1.1 and 4.1.2)."""
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert is_rfc3339(feed.findtext(f"{ATOM}updated"))
    assert urlsplit(feed.findtext(f"{ATOM}id") or "").scheme  # an IRI
    assert [link.get("rel") for link in feed.findall(f"{ATOM}link")].count("self") == 1
    entries = feed.findall(f"{ATOM}entry")
    assert feed.findall(f"{ATOM}author") or all(e.findall(f"{ATOM}author") for e in entries)
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert is_rfc3339(entry.findtext(f"{ATOM}updated"))
        assert [link.get("rel") for link in entry.findall(f"{ATOM}link")].count("alternate") <= 1
        (content,) = entry.findall(f"{ATOM}content")
        assert content.get("type") == "application/cap+xml" and len(content) == 1  # inline XML: one element


def test_the_feed_is_atom_of_valid_cap_and_publishes_only_public_sent_alerts(stack: AlertStack) -> None:
    drawn = sent_alert(stack, public=True, title="Car thefts near the station",
                       target={"type": "circle", "center": {"lat": DRAWN[0], "lng": DRAWN[1]}, "radius_m": 150})
    named = sent_alert(stack, public=True, title="Shed break-ins in Stafford",
                       target={"type": "areas", "area_ids": ["stafford"]})
    sent_alert(stack, title="Not for the feed")  # public is false by default
    draft = stack.create("officer", public=True, title="A draft is never published")
    partner = register(stack)
    partner_alert = json.loads(partner.cap(cap_message(infos=[info(
        headline="Council depot break-in", areas=[circle_area(STAFFORD[0], STAFFORD[1], 0.5)])])).body)

    response = stack.client.http.get("/v1/feeds/staffordshire/alerts.atom")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.body)
    assert_atom(feed)
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Council depot break-in", "Shed break-ins in Stafford", "Car thefts near the station"]
    assert draft["id"] not in response.body.decode()

    for entry in feed.findall(f"{ATOM}entry"):
        inline = entry.find(f"{ATOM}content")[0]  # type: ignore[index]
        assert XSD.validate(etree.fromstring(etree.tostring(inline))), XSD.error_log
        (related,) = [link.get("href") for link in entry.findall(f"{ATOM}link") if link.get("rel") == "related"]
        alone = stack.client.http.get(urlsplit(related).path)
        assert alone.status_code == 200 and alone.headers["Content-Type"].startswith("application/cap+xml")
        message = etree.fromstring(alone.body)
        assert XSD.validate(message), XSD.error_log
        assert message.findtext(f"{CAP}identifier") == inline.findtext(f"{CAP}identifier")

    # The drawn target is never published: a circle of at least 1 km round a rounded centre instead.
    text = response.body.decode()
    assert str(DRAWN[0]) not in text and str(round(DRAWN[0], 4)) not in text
    circles = [c.text for c in feed.iter(f"{CAP}circle")]
    assert len(circles) == 2
    for circle in circles:
        centre, radius = circle.split()  # type: ignore[union-attr]
        assert float(radius) >= 1 and all(len(part.split(".")[1]) <= 2 for part in centre.split(","))
    geocodes = [g.findtext(f"{CAP}value") for g in feed.iter(f"{CAP}geocode")]
    assert geocodes == ["stafford"]

    assert stack.client.http.get(f"/v1/feeds/staffordshire/alerts/{draft['id']}.xml").status_code == 404
    assert stack.client.http.get(f"/v1/feeds/staffordshire/alerts/{named['id']}.txt").status_code == 404
    assert stack.client.http.get("/v1/feeds/no-such-force/alerts.atom").status_code == 404
    assert partner_alert["id"] in text and drawn["id"] in text


def test_the_public_list_shows_recent_public_alerts_by_area(stack: AlertStack) -> None:
    sent_alert(stack, public=True, title="Shed break-ins in Stafford", target={"type": "areas",
                                                                             "area_ids": ["stafford"]})
    sent_alert(stack, public=True, title="Leek market pickpockets", target={"type": "areas", "area_ids": ["leek"]})
    sent_alert(stack, public=True, title="Force-wide scam warning", target={"type": "organisation"})
    everything = json.loads(stack.client.http.get("/v1/public/alerts/staffordshire").body)
    assert [a["title"] for a in everything["alerts"]] == ["Force-wide scam warning", "Leek market pickpockets",
                                                          "Shed break-ins in Stafford"]
    stafford = json.loads(stack.client.http.get("/v1/public/alerts/staffordshire?area=stafford").body)
    assert [a["title"] for a in stafford["alerts"]] == ["Force-wide scam warning", "Shed break-ins in Stafford"]
    assert stack.client.http.get("/v1/public/alerts/staffordshire?area=../x").status_code == 400
