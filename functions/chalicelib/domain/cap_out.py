"""Public alerts out: each as a CAP 1.2 message, and a force's recent ones as an Atom feed (RFC 4287) of them.

What is published is what the alert's public page already shows (the words, the reference, the contact), and an area
that never gives away the drawn target: the alert's named areas, or, for a circle or a polygon, a circle of at least
1 km round a centre rounded to 0.01 degrees, wide enough to hold the whole target. A whole-force alert names the force.

Pure: no AWS here. The XML is built with lxml, which escapes whatever officers wrote.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import shapely
from lxml import etree

from .alert_messages import AlertLinks, contact_lines
from .alerts import Alert
from .cap import NAMESPACE
from .coverage import distance_m
from .projection import shape_of

ATOM = "http://www.w3.org/2005/Atom"
MIN_PUBLISHED_RADIUS_KM = 1.0
CENTRE_DECIMALS = 2  # about 1.1 km of latitude and 0.7 km of longitude in England
CATEGORY = {"crime": "Security", "rural": "Security", "business": "Security", "neighbourhood": "Other"}
EVENT = {"crime": "Crime and incidents", "rural": "Rural crime", "business": "Business crime",
         "neighbourhood": "Neighbourhood news"}
# (urgency, severity) for each priority: how soon to act, and how much harm.
URGENCY_SEVERITY = {"urgent": ("Immediate", "Severe"), "high": ("Expected", "Moderate"),
                    "normal": ("Expected", "Minor"), "low": ("Future", "Minor")}
MSG_TYPE = {"alert": "Alert", "update": "Update", "cancel": "Cancel"}


@dataclass(frozen=True)
class Publisher:
    """Who publishes: the force's id and name, and the site the links point at."""

    organisation: str
    name: str
    links: AlertLinks

    @property
    def sender(self) -> str:
        return f"{self.organisation}@{self.links.host()}"

    def identifier(self, alert_id: str) -> str:
        return f"{self.links.host()}.{self.organisation}.{alert_id}"


def cap_time(moment: datetime) -> str:
    """CAP's form: seconds, and an explicit offset (the schema refuses `Z`)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _sent(alert: Alert) -> datetime:
    return alert.send_at or alert.created_at


def published_area(alert: Alert, area_names: Mapping[str, str], force_name: str) -> dict[str, Any]:
    """{"description", and "circle": (lat, lon, km) or "area_ids"}: never the drawn shape."""
    target = alert.target
    if target["type"] == "organisation":
        return {"description": f"The whole area of {force_name}"}
    if target["type"] == "areas":
        ids = list(target["area_ids"])
        return {"description": ", ".join(area_names.get(i, i) for i in ids), "area_ids": ids}
    if target["type"] == "circle":
        lat, lng = float(target["center"]["lat"]), float(target["center"]["lng"])
        reach_m = float(target["radius_m"])
    else:
        shape = shape_of(target["geometry"])
        lat, lng = shape.centroid.y, shape.centroid.x
        reach_m = max(distance_m(lat, lng, float(y), float(x)) for x, y in shapely.get_coordinates(shape))
    rounded_lat, rounded_lng = round(lat, CENTRE_DECIMALS), round(lng, CENTRE_DECIMALS)
    # Wide enough to hold the whole target from the rounded centre, and never narrower than 1 km.
    reach_m += distance_m(lat, lng, rounded_lat, rounded_lng)
    radius_km = max(MIN_PUBLISHED_RADIUS_KM, math.ceil(reach_m / 1000))
    return {"description": "Around the incident", "circle": (rounded_lat, rounded_lng, float(radius_km))}


def _add(parent: etree._Element, name: str, text: str | None, namespace: str = NAMESPACE) -> None:
    if text:
        etree.SubElement(parent, f"{{{namespace}}}{name}").text = text


def cap_element(alert: Alert, publisher: Publisher, sender_name: str, area: Mapping[str, Any],
                originals: list[Alert]) -> etree._Element:
    root = etree.Element(f"{{{NAMESPACE}}}alert", nsmap={None: NAMESPACE})
    _add(root, "identifier", publisher.identifier(alert.id))
    _add(root, "sender", publisher.sender)
    _add(root, "sent", cap_time(_sent(alert)))
    _add(root, "status", "Actual")
    _add(root, "msgType", MSG_TYPE.get(alert.type, "Alert"))
    _add(root, "scope", "Public")
    if originals:
        _add(root, "references", " ".join(f"{publisher.sender},{publisher.identifier(o.id)},{cap_time(_sent(o))}"
                                          for o in originals))
    _add(root, "incidents", alert.incident_ref.replace(" ", "-"))
    urgency, severity = URGENCY_SEVERITY.get(alert.priority, ("Unknown", "Unknown"))
    for language, content in alert.content.items():
        info = etree.SubElement(root, f"{{{NAMESPACE}}}info")
        _add(info, "language", language)
        _add(info, "category", CATEGORY.get(alert.category, "Other"))
        _add(info, "event", EVENT.get(alert.category, alert.category))
        _add(info, "urgency", urgency)
        _add(info, "severity", severity)
        _add(info, "certainty", "Observed" if alert.category != "neighbourhood" else "Likely")
        _add(info, "senderName", sender_name)
        if alert.expires_at:
            _add(info, "expires", cap_time(alert.expires_at))
        _add(info, "headline", content.title)
        _add(info, "description", content.body)
        _add(info, "web", publisher.links.full_alert(alert.source.organisation, alert.id))
        _add(info, "contact", "; ".join(contact_lines(alert)))
        place = etree.SubElement(info, f"{{{NAMESPACE}}}area")
        _add(place, "areaDesc", str(area["description"]))
        if "circle" in area:
            lat, lng, radius_km = area["circle"]
            _add(place, "circle", f"{lat},{lng} {radius_km}")
        for area_id in area.get("area_ids", []):
            code = etree.SubElement(place, f"{{{NAMESPACE}}}geocode")
            _add(code, "valueName", "hexwatch:area")
            _add(code, "value", area_id)
    return root


def cap_xml(element: etree._Element) -> bytes:
    return bytes(etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def atom_feed(publisher: Publisher, self_url: str, entries: list[tuple[Alert, etree._Element, str]],
              now: datetime) -> bytes:
    """The feed: one entry per alert, its CAP message inline as the entry's content, and links to the alert's page
    and to its CAP message on its own (`entries`: alert, CAP element, CAP URL)."""
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _add(feed, "id", f"tag:{publisher.links.host()},2026:feeds/{publisher.organisation}/alerts", ATOM)
    _add(feed, "title", f"{publisher.name}: community alerts", ATOM)
    updated = max((_sent(alert) for alert, _, _ in entries), default=now)
    _add(feed, "updated", cap_time(updated), ATOM)
    author = etree.SubElement(feed, f"{{{ATOM}}}author")
    _add(author, "name", publisher.name, ATOM)
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url, type="application/atom+xml")
    for alert, element, cap_url in entries:
        entry = etree.SubElement(feed, f"{{{ATOM}}}entry")
        _add(entry, "id", f"tag:{publisher.links.host()},2026:alerts/{publisher.organisation}/{alert.id}", ATOM)
        _add(entry, "title", next(iter(alert.content.values())).title, ATOM)
        _add(entry, "updated", cap_time(_sent(alert)), ATOM)
        _add(entry, "published", cap_time(_sent(alert)), ATOM)
        etree.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html",
                         href=publisher.links.full_alert(alert.source.organisation, alert.id))
        etree.SubElement(entry, f"{{{ATOM}}}link", rel="related", type="application/cap+xml", href=cap_url)
        content = etree.SubElement(entry, f"{{{ATOM}}}content", type="application/cap+xml")
        content.append(element)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True))
