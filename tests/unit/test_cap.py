"""CAP 1.2 in, without AWS: hostile XML refused before any parser acts on it, the OASIS schema enforced, CAP's
string-typed circle and polygon checked, and a message mapped onto the alert a resident will read."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain import cap
from chalicelib.domain.errors import HexwatchError
from tests.cap_messages import HOSTILE, cap_message, circle_area, info, named_area, polygon_area


def refusal(raw: bytes) -> HexwatchError:
    with pytest.raises(HexwatchError) as caught:
        cap.parse(raw)
    assert caught.value.status == 400
    return caught.value


def mapped(raw: bytes, channels: tuple[str, ...] = ("email", "sms")) -> dict[str, Any]:
    message = cap.parse(raw)
    body, _ = cap.alert_body(message, cap.primary_info(message), list(channels))  # type: ignore[arg-type]
    return body


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused_before_any_entity_is_expanded_or_fetched(name: str) -> None:
    error = refusal(HOSTILE[name])
    assert error.errors[0].pointer == "/"
    assert "DTD" in error.message or "DTD" in error.errors[0].message


def test_a_message_that_breaks_the_oasis_schema_is_refused_naming_the_element() -> None:
    wrong_urgency = cap_message(infos=[info(urgency="Whenever")])
    assert [e.pointer for e in refusal(wrong_urgency).errors] == ["/alert/info/0/urgency"]
    no_sender = cap_message().replace(b"<sender>alerts@stafford.gov.uk</sender>", b"")
    assert refusal(no_sender).errors[0].pointer.startswith("/alert")
    assert refusal(b"<alert>not cap</alert>").errors
    assert refusal(b"not xml at all").errors[0].pointer == "/"


@pytest.mark.parametrize(("area", "pointer"), [
    ("<area><areaDesc>x</areaDesc><circle>52.8 -2.1 5</circle></area>", "/alert/info/0/area/0/circle/0"),
    ("<area><areaDesc>x</areaDesc><circle>52.8,-2.1</circle></area>", "/alert/info/0/area/0/circle/0"),
    ("<area><areaDesc>x</areaDesc><circle>52.8,-2.1 0</circle></area>", "/alert/info/0/area/0/circle/0"),
    ("<area><areaDesc>x</areaDesc><circle>-2.1,252.8 1</circle></area>", "/alert/info/0/area/0/circle/0"),
    ("<area><areaDesc>x</areaDesc><polygon>52.8,-2.1 52.9,-2.1 52.8,-2.1</polygon></area>",
     "/alert/info/0/area/0/polygon/0"),
    ("<area><areaDesc>x</areaDesc><polygon>52.8,-2.1 52.9,-2.1 52.9,-2.0 52.8,-2.0</polygon></area>",
     "/alert/info/0/area/0/polygon/0"),
    ("<area><areaDesc>x</areaDesc><polygon>52.8;-2.1 52.9,-2.1 52.9,-2.0 52.8,-2.1</polygon></area>",
     "/alert/info/0/area/0/polygon/0"),
])
def test_a_bad_circle_or_polygon_is_refused_naming_the_element(area: str, pointer: str) -> None:
    assert [e.pointer for e in refusal(cap_message(infos=[info(areas=[area])])).errors] == [pointer]


def test_a_circle_is_latitude_longitude_and_a_radius_in_kilometres() -> None:
    body = mapped(cap_message(infos=[info(areas=[circle_area(52.8066, -2.1167, 2.5)])]))
    assert body["target"] == {"type": "circle", "center": {"lat": 52.8066, "lng": -2.1167}, "radius_m": 2500.0}


def test_a_polygon_is_latitude_first_and_becomes_geojson_longitude_first() -> None:
    points = [(52.80, -2.12), (52.81, -2.12), (52.81, -2.10), (52.80, -2.12)]
    body = mapped(cap_message(infos=[info(areas=[polygon_area(points)])]))
    assert body["target"] == {"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [
        [[-2.12, 52.80], [-2.12, 52.81], [-2.10, 52.81], [-2.12, 52.80]]]}}


def test_several_shapes_become_one_multipolygon_with_circles_as_polygons() -> None:
    points = [(52.80, -2.12), (52.81, -2.12), (52.81, -2.10), (52.80, -2.12)]
    body = mapped(cap_message(infos=[info(areas=[polygon_area(points), circle_area(53.105, -2.023, 1)])]))
    geometry = body["target"]["geometry"]
    assert geometry["type"] == "MultiPolygon" and len(geometry["coordinates"]) == 2
    ring = geometry["coordinates"][1][0]
    assert len(ring) == cap.CIRCLE_SIDES + 1 and ring[0] == ring[-1]
    assert all(abs(lat - 53.105) < 0.01 and abs(lng + 2.023) < 0.016 for lng, lat in ring)


def test_named_areas_come_from_hexwatch_area_geocodes() -> None:
    body = mapped(cap_message(infos=[info(areas=[named_area("stafford"), named_area("leek")])]))
    assert body["target"] == {"type": "areas", "area_ids": ["leek", "stafford"]}


def test_the_words_priority_category_contact_and_times_map_onto_the_alert() -> None:
    message = cap_message(incidents="SBC/2026/42 other", infos=[info(
        urgency="Immediate", severity="Minor", category="Fire", parameters={"hexwatch:channels": "email"},
        description="Smoke from a fire at the depot.", contact="Call 101")])
    body = mapped(message)
    assert body == {**body, "title": "Bin lorry thefts in Stafford", "body": "Smoke from a fire at the depot.",
                    "language": "en", "priority": "urgent", "category": "neighbourhood", "channels": ["email"],
                    "incident_ref": "SBC/2026/42",
                    "contact": {"url": "https://www.staffordbc.gov.uk/alerts", "text": "Call 101"}}
    assert mapped(cap_message(infos=[info(severity="Severe")]))["priority"] == "high"
    assert mapped(cap_message(infos=[info(parameters={"hexwatch:category": "rural"})]))["category"] == "rural"
    assert mapped(cap_message(infos=[info()]), ("email", "sms"))["channels"] == ["email", "sms"]
    # Without incidents the identifier is the reference, in the characters a reference allows.
    assert mapped(cap_message("urn:oid:2.49.0.1.826.0.2026.42"))["incident_ref"] == "urn-oid-2-49-0-1-826-0-2026-42"


def test_an_alert_without_contact_details_or_areas_is_refused() -> None:
    with pytest.raises(HexwatchError) as caught:
        mapped(cap_message(infos=[info(web=None, contact=None)]))
    assert caught.value.errors[0].pointer == "/alert/info/0/contact"
    with pytest.raises(HexwatchError) as caught:
        mapped(cap_message(infos=[info(areas=[])]))
    assert caught.value.errors[0].pointer == "/alert/info/0/area"


def test_the_english_info_is_the_alert_and_its_key_is_sender_and_identifier() -> None:
    message = cap.parse(cap_message(infos=[info(language="cy", headline="Dwyn lorïau sbwriel"), info()]))
    assert cap.primary_info(message).language == "en-GB"  # type: ignore[union-attr]
    assert message.key == "alerts@stafford.gov.uk,SBC-2026-0042"
