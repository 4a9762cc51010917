import json
from pathlib import Path

import pytest

from chalicelib.api.http import form_to_document
from chalicelib.domain.errors import HexwatchError
from chalicelib.domain.validation import SchemaLibrary, parse_form, parse_json_object

SCHEMAS = SchemaLibrary(Path(__file__).parents[2] / "schemas")
VALID = {"email": "jo@example.org", "channels": ["email"], "categories": ["crime"],
         "locations": [{"label": "Home", "lat": 52.8, "lng": -2.1}], "age_confirmed": True, "consent": True}


def pointers(name: str, body: object) -> set[str]:
    return {e.pointer for e in SCHEMAS.errors(name, body)}


def test_a_complete_signup_is_valid() -> None:
    assert SCHEMAS.errors("signup", VALID) == []


@pytest.mark.parametrize(("change", "pointer"), [
    ({"consent": None}, "/consent"),                       # missing
    ({"channels": "email"}, "/channels"),                  # wrong type
    ({"locations": [{"label": "Home", "lat": 91, "lng": -2.1}]}, "/locations/0/lat"),  # out of range
    ({"favourite_colour": "blue"}, "/favourite_colour"),   # unknown field
    ({"channels": ["fax"]}, "/channels/0"),                # not in the list
    ({"age_confirmed": False}, "/age_confirmed"),          # under 12 or not confirmed
    ({"locations": []}, "/locations"),
    ({"locations": [{"label": "x", "lat": 52.8, "lng": -2.1}] * 6}, "/locations"),
])
def test_each_kind_of_bad_signup_names_its_field(change: dict, pointer: str) -> None:  # type: ignore[type-arg]
    body = {**VALID, **change}
    body = {k: v for k, v in body.items() if v is not None}
    assert pointer in pointers("signup", body)


def test_a_signup_needs_an_email_or_a_phone() -> None:
    body = {k: v for k, v in VALID.items() if k != "email"}
    assert SCHEMAS.errors("signup", body)


def test_a_location_is_a_point_or_a_postcode_not_both() -> None:
    both = {**VALID, "locations": [{"label": "Home", "lat": 52.8, "lng": -2.1, "postcode": "ST16"}]}
    assert SCHEMAS.errors("signup", both)
    postcode = {**VALID, "locations": [{"label": "Home", "postcode": "ST16 2DH"}]}
    assert SCHEMAS.errors("signup", postcode) == []


def test_oversize_bodies_get_413() -> None:
    with pytest.raises(HexwatchError) as refused:
        parse_json_object(b'{"a": "' + b"x" * 70_000 + b'"}')
    assert refused.value.status == 413


@pytest.mark.parametrize("raw", [b"", b"[1, 2]", b'"text"', b"{not json", b'{"a": NaN}', b"\xff\xfe"])
def test_bodies_that_are_not_a_json_object_get_400(raw: bytes) -> None:
    with pytest.raises(HexwatchError) as refused:
        parse_json_object(raw)
    assert refused.value.status == 400 and refused.value.errors[0].pointer == ""


@pytest.mark.parametrize("depth", [25, 5_000])
def test_deep_nesting_gets_400_not_a_crash(depth: int) -> None:
    raw = ('{"a":' * depth + "1" + "}" * depth).encode()
    with pytest.raises(HexwatchError) as refused:
        parse_json_object(raw)
    assert refused.value.status == 400 and "nested" in refused.value.message


def test_the_plain_html_form_becomes_the_api_document() -> None:
    form = parse_form(b"email=jo%40example.org&channels=email&channels=sms&categories=crime"
                      b"&locations%5B0%5D%5Blabel%5D=Home&locations%5B0%5D%5Blat%5D=52.8&locations%5B0%5D%5Blng%5D=-2.1"
                      b"&age_confirmed=on&consent=on&name=")
    document = form_to_document(form)
    assert document == {"email": "jo@example.org", "channels": ["email", "sms"], "categories": ["crime"],
                        "locations": [{"label": "Home", "lat": 52.8, "lng": -2.1}],
                        "age_confirmed": True, "consent": True}


def test_reference_lists_carry_labels_for_every_choice() -> None:
    lists = SCHEMAS.reference_lists()
    groups = {g["id"]: g["label"] for g in lists["groups"]}
    for scheme in ("cctv", "dog_walkers", "church", "school", "horse", "canal", "cycle", "farm", "business"):
        assert groups[scheme]
    assert [c["id"] for c in lists["categories"]] == ["crime", "rural", "business", "neighbourhood"]


def test_every_schema_is_valid_draft_2020_12_and_reachable_from_the_lambda_package() -> None:
    from jsonschema import Draft202012Validator

    package_schemas = Path(__file__).parents[2] / "functions" / "chalicelib" / "schemas"
    for path in (Path(__file__).parents[2] / "schemas").glob("*.json"):
        Draft202012Validator.check_schema(json.loads(path.read_text()))
        linked = package_schemas / path.name
        assert linked.is_symlink() or linked.is_file(), f"{path.name} is not linked into chalicelib/schemas"
        assert json.loads(linked.read_text()) == json.loads(path.read_text())


def test_pointers_read_as_field_names_on_the_no_javascript_error_page() -> None:
    from chalicelib.api.http import describe_pointer

    assert describe_pointer("/locations/0/postcode") == "Places 1 postcode"
    assert describe_pointer("/email") == "Email address"
    assert describe_pointer("") == "The form"
