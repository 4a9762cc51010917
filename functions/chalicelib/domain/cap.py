"""CAP 1.2 (OASIS Common Alerting Protocol) from partners: read safely, validated, and mapped onto a partner alert.

Reading is in two steps, each refusing what it must:

1. defusedxml parses first and refuses any DTD, entity declaration or external reference, so the billion laughs,
   external entities and remote DTDs never reach a parser that would act on them;
2. lxml then parses with entities unresolved, no network and no DTD loading, and validates against the OASIS schema
   (vendor/oasis/CAP-v1.2-schema.xsd).

The schema types `circle` and `polygon` as strings, so their syntax is checked here. Every refusal is a 400 naming the
element as a pointer into the message (`/alert/info/0/area/1/circle/0`), as JSON bodies name fields.

Pure: no AWS here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException
from lxml import etree

from .errors import FieldError, HexwatchError, invalid

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_CONTENT_TYPE = "application/cap+xml"
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "vendor" / "oasis" / "CAP-v1.2-schema.xsd"
MAX_POLYGON_POINTS = 1000  # as a drawn polygon's ring (schemas/alert.json)
CIRCLE_SIDES = 64  # a circle among other shapes becomes a polygon of this many sides
EARTH_RADIUS_M = 6_371_008.8
_N = {"cap": NAMESPACE}
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_PAIR = re.compile(rf"^({_NUMBER}),({_NUMBER})$")
_CIRCLE = re.compile(rf"^({_NUMBER}),({_NUMBER})\s+({_NUMBER})$")

# CAP's categories, as residents choose them here. A partner may say exactly with a `hexwatch:category` parameter.
CATEGORY_OF = {"Security": "crime"}
DEFAULT_CATEGORY = "neighbourhood"


@dataclass(frozen=True)
class CapArea:
    description: str
    polygons: list[list[tuple[float, float]]]  # (lat, lon) pairs, closed
    circles: list[tuple[float, float, float]]  # (lat, lon, radius in km)
    area_ids: list[str]  # geocodes named `hexwatch:area`: the host force's named areas
    pointer: str


@dataclass(frozen=True)
class CapInfo:
    language: str
    categories: list[str]
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str | None
    description: str | None
    instruction: str | None
    web: str | None
    contact: str | None
    effective: str | None
    expires: str | None
    parameters: dict[str, str]
    areas: list[CapArea]
    pointer: str


@dataclass(frozen=True)
class CapMessage:
    identifier: str
    sender: str
    sent: str
    status: str
    msg_type: str
    scope: str
    references: list[tuple[str, str, str]]  # (sender, identifier, sent)
    incidents: list[str]
    infos: list[CapInfo] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The message's own idempotency key: CAP says sender and identifier name one message."""
        return f"{self.sender},{self.identifier}"


def refused(pointer: str, message: str, why: str = "The CAP message is not valid.") -> HexwatchError:
    return invalid(why, FieldError(pointer, message))


@cache
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser))


REPEATABLE = {"info", "area", "polygon", "circle", "geocode", "parameter", "resource", "category", "eventCode",
              "responseType", "code"}


def _pointer(document: etree._Element, path: str | None) -> str:
    """The element a schema error is about, as `/alert/info/1/area/0/circle/0` (repeatable elements indexed)."""
    found = document.xpath(path) if path else []
    if not found or not isinstance(found[0], etree._Element):
        return "/alert"
    steps = []
    element: etree._Element | None = found[0]
    while element is not None:
        name = etree.QName(element).localname
        parent = element.getparent()
        if name in REPEATABLE and parent is not None:
            steps.append(str([e for e in parent if e.tag == element.tag].index(element)))
        steps.append(name)
        element = parent
    return "/" + "/".join(reversed(steps))


def read(raw: bytes) -> etree._Element:
    """The CAP document, parsed safely and valid against the OASIS schema, or 400."""
    try:
        SafeElementTree.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise refused("/", "DTDs, entities and external references are refused",
                      "The CAP message declares a DTD or entities, which are refused.") from None
    except SafeElementTree.ParseError as error:
        raise refused("/", f"is not well-formed XML: {error}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        document = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as error:
        raise refused("/", f"is not well-formed XML: {error.msg}") from None
    schema = _schema()
    if not schema.validate(document):
        errors = [FieldError(_pointer(document, entry.path), entry.message)
                  for entry in list(schema.error_log)[:20]]
        raise invalid("The CAP message does not match the CAP 1.2 schema.", *errors)
    return document


def _text(element: etree._Element, name: str) -> str | None:
    found = element.find(f"cap:{name}", _N)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _pairs(text: str, pointer: str) -> list[tuple[float, float]]:
    points = []
    for token in text.split():
        match = _PAIR.match(token)
        if not match:
            raise refused(pointer, f"{token[:40]!r} is not a latitude,longitude pair")
        lat, lon = float(match.group(1)), float(match.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise refused(pointer, f"{token[:40]!r} is outside the globe (latitude first, then longitude)")
        points.append((lat, lon))
    return points


def polygon(text: str, pointer: str) -> list[tuple[float, float]]:
    points = _pairs(text, pointer)
    if len(points) < 4:
        raise refused(pointer, "needs at least four latitude,longitude pairs")
    if len(points) > MAX_POLYGON_POINTS:
        raise refused(pointer, f"has more than {MAX_POLYGON_POINTS} points: simplify it")
    if points[0] != points[-1]:
        raise refused(pointer, "must end where it starts (the first pair repeated last)")
    return points


def circle(text: str, pointer: str) -> tuple[float, float, float]:
    match = _CIRCLE.match(" ".join(text.split()))
    if not match:
        raise refused(pointer, "must be 'latitude,longitude radius' with the radius in kilometres")
    lat, lon, radius = (float(match.group(n)) for n in (1, 2, 3))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise refused(pointer, "its centre is outside the globe (latitude first, then longitude)")
    if not radius > 0:
        raise refused(pointer, "needs a radius above zero kilometres")
    return lat, lon, radius


def _area(element: etree._Element, pointer: str) -> CapArea:
    polygons = [polygon(p.text or "", f"{pointer}/polygon/{n}")
                for n, p in enumerate(element.findall("cap:polygon", _N))]
    circles = [circle(c.text or "", f"{pointer}/circle/{n}") for n, c in enumerate(element.findall("cap:circle", _N))]
    area_ids = [str(_text(g, "value") or "") for g in element.findall("cap:geocode", _N)
                if _text(g, "valueName") == "hexwatch:area"]
    return CapArea(_text(element, "areaDesc") or "", polygons, circles, area_ids, pointer)


def _info(element: etree._Element, pointer: str) -> CapInfo:
    parameters = {str(_text(p, "valueName")): str(_text(p, "value") or "")
                  for p in element.findall("cap:parameter", _N) if _text(p, "valueName")}
    return CapInfo(
        language=_text(element, "language") or "en-US",  # CAP's own default
        categories=[c.text.strip() for c in element.findall("cap:category", _N) if c.text],
        event=_text(element, "event") or "", urgency=_text(element, "urgency") or "",
        severity=_text(element, "severity") or "", certainty=_text(element, "certainty") or "",
        headline=_text(element, "headline"), description=_text(element, "description"),
        instruction=_text(element, "instruction"), web=_text(element, "web"), contact=_text(element, "contact"),
        effective=_text(element, "effective"), expires=_text(element, "expires"), parameters=parameters,
        areas=[_area(a, f"{pointer}/area/{n}") for n, a in enumerate(element.findall("cap:area", _N))],
        pointer=pointer)


def parse(raw: bytes) -> CapMessage:
    document = read(raw)
    references = []
    for token in (_text(document, "references") or "").split():
        parts = token.split(",")
        if len(parts) != 3:
            raise refused("/alert/references", f"{token[:60]!r} is not sender,identifier,sent")
        references.append((parts[0], parts[1], parts[2]))
    return CapMessage(
        identifier=str(_text(document, "identifier")), sender=str(_text(document, "sender")),
        sent=str(_text(document, "sent")), status=str(_text(document, "status")),
        msg_type=str(_text(document, "msgType")), scope=str(_text(document, "scope")), references=references,
        incidents=(_text(document, "incidents") or "").split(),
        infos=[_info(i, f"/alert/info/{n}") for n, i in enumerate(document.findall("cap:info", _N))])


def _circle_ring(lat: float, lon: float, radius_m: float) -> list[list[float]]:
    """A circle as a closed GeoJSON ring ([lng, lat]) of CIRCLE_SIDES sides, on the sphere."""
    ring = []
    phi, lam, delta = math.radians(lat), math.radians(lon), radius_m / EARTH_RADIUS_M
    for step in range(CIRCLE_SIDES):
        bearing = 2 * math.pi * step / CIRCLE_SIDES
        phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(bearing))
        lam2 = lam + math.atan2(math.sin(bearing) * math.sin(delta) * math.cos(phi),
                                math.cos(delta) - math.sin(phi) * math.sin(phi2))
        ring.append([round(math.degrees(lam2), 6), round(math.degrees(phi2), 6)])
    return [*ring, ring[0]]


def target(info: CapInfo) -> tuple[dict[str, Any], str]:
    """The alert's target from an info's areas, and the element that gave it (for errors the target raises)."""
    if not info.areas:
        raise refused(f"{info.pointer}/area", "is needed: say where, with a circle, a polygon or a hexwatch:area "
                                              "geocode")
    area_ids = [area_id for area in info.areas for area_id in area.area_ids]
    shapes = [area for area in info.areas if area.polygons or area.circles]
    if area_ids and shapes:
        raise refused(info.areas[0].pointer, "give named areas (hexwatch:area) or shapes, not both")
    if area_ids:
        return {"type": "areas", "area_ids": sorted(set(area_ids))}, f"{info.areas[0].pointer}/geocode"
    if not shapes:
        raise refused(info.areas[0].pointer, "has no circle, polygon or hexwatch:area geocode")
    circles = [c for area in shapes for c in area.circles]
    polygons = [p for area in shapes for p in area.polygons]
    if len(circles) == 1 and not polygons:
        lat, lon, radius_km = circles[0]
        return ({"type": "circle", "center": {"lat": lat, "lng": lon}, "radius_m": round(radius_km * 1000, 1)},
                f"{shapes[0].pointer}/circle/0")
    rings = [[[[lon, lat] for lat, lon in points]] for points in polygons]
    rings += [[_circle_ring(lat, lon, radius_km * 1000)] for lat, lon, radius_km in circles]
    geometry = {"type": "Polygon", "coordinates": rings[0]} if len(rings) == 1 else \
        {"type": "MultiPolygon", "coordinates": rings}
    return {"type": "polygon", "geometry": geometry}, shapes[0].pointer


def primary_info(message: CapMessage) -> CapInfo | None:
    """The English info if there is one (the force's own language), else the first."""
    return next((i for i in message.infos if i.language.lower().startswith("en")),
                message.infos[0] if message.infos else None)


def priority(info: CapInfo) -> str:
    if info.urgency == "Immediate" or info.severity == "Extreme":
        return "urgent"
    return {"Severe": "high", "Moderate": "normal"}.get(info.severity, "low")


def incident_ref(message: CapMessage) -> str:
    """The message's first incident, else its identifier, in the characters an incident reference allows."""
    chosen = message.incidents[0] if message.incidents else message.identifier
    cleaned = re.sub(r"[^A-Za-z0-9/ -]", "-", chosen).strip(" -/")[:40].strip(" -/")
    if len(cleaned) < 3:
        raise refused("/alert/incidents" if message.incidents else "/alert/identifier",
                      "cannot serve as an incident reference: give at least three letters or digits")
    return cleaned


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None  # the schema's pattern has let it through; the alert's own check names it


def alert_body(message: CapMessage, info: CapInfo, allowed_channels: list[str],
               target_instead: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The partner-alert body (schemas/partner-alert.json) from one info, and where each of its fields came from in
    the message, so that the schema's errors can name CAP's elements. `target_instead` is where an Update or a
    Cancel's words go when the message gives no area: the original's target."""
    at = info.pointer
    body_text = "\n\n".join(part for part in (info.description, info.instruction) if part) or info.event
    contact: dict[str, str] = {}
    if info.web:
        contact["url"] = info.web
    if info.contact:
        contact["text"] = " ".join(info.contact.split())
    if not contact:
        raise refused(f"{at}/contact", "is needed: every alert carries contact details (contact or web)")
    channels = info.parameters.get("hexwatch:channels")
    body: dict[str, Any] = {
        "title": " ".join((info.headline or info.event).split()), "body": body_text,
        "language": info.language.split("-")[0].lower(),
        "category": info.parameters.get("hexwatch:category") or next(
            (CATEGORY_OF[c] for c in info.categories if c in CATEGORY_OF), DEFAULT_CATEGORY),
        "priority": priority(info), "incident_ref": incident_ref(message), "contact": contact,
        "channels": channels.replace(",", " ").split() if channels else list(allowed_channels),
        "public": message.scope == "Public",  # CAP's own word for a message meant for everyone
    }
    if target_instead is not None:
        body["target"], target_at = dict(target_instead), "/alert/references"
    else:
        body["target"], target_at = target(info)
    if info.expires:
        body["expires_at"] = info.expires
    effective, sent = _moment(info.effective or ""), _moment(message.sent)
    if info.effective and effective and sent and effective > sent:
        body["send_at"] = info.effective
    where = {"/title": f"{at}/headline", "/body": f"{at}/description", "/language": f"{at}/language",
             "/category": f"{at}/parameter", "/priority": f"{at}/severity", "/incident_ref": "/alert/incidents",
             "/contact": f"{at}/contact", "/contact/url": f"{at}/web", "/contact/text": f"{at}/contact",
             "/channels": f"{at}/parameter", "/target": target_at, "/expires_at": f"{at}/expires",
             "/send_at": f"{at}/effective"}
    return body, where


def renamed(error: HexwatchError, where: dict[str, str]) -> HexwatchError:
    """A JSON-pointer error about the mapped body, naming the CAP element each field came from."""
    def element(pointer: str) -> str:
        for prefix in sorted(where, key=len, reverse=True):
            if pointer == prefix or pointer.startswith(prefix + "/"):
                return where[prefix]
        return pointer
    return HexwatchError(error.message, [FieldError(element(e.pointer), e.message) for e in error.errors],
                         error.status, error.code, error.headers)
