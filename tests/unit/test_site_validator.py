"""The static site cannot drift from the schemas: the no-JavaScript checkboxes are written into the HTML by hand, so
their values must equal the enums in schemas/defs.json. Also: every page is self-contained (no CDN, no external
URL), declares its language, and names only scripts and styles that exist in site/."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "site"
DEFS = json.loads((ROOT / "schemas" / "defs.json").read_text("utf-8"))["$defs"]
GENERATED = {"config.js", "schemas"}  # written by infra/local/site_build.py, not kept in site/


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse(name: str) -> _Page:
    page = _Page()
    page.feed((SITE / name).read_text("utf-8"))
    return page


def checkbox_values(page: _Page, name: str) -> list[str]:
    return [a["value"] for tag, a in page.elements if tag == "input" and a.get("type") == "checkbox"
            and a.get("name") == name]


PAGES = sorted(p.name for p in SITE.glob("*.html"))


@pytest.mark.parametrize(("field", "definition"), [
    ("channels", "channel"), ("categories", "category"), ("business_sectors", "business_sector"), ("groups", "group"),
    ("senders", "sender"),
])
def test_signup_checkboxes_equal_the_schema_enums(field: str, definition: str) -> None:
    assert checkbox_values(parse("index.html"), field) == DEFS[definition]["enum"]


def test_signup_checkbox_labels_are_the_schema_labels() -> None:
    page = parse("index.html")
    html = (SITE / "index.html").read_text("utf-8")
    for field, definition in (("channels", "channel"), ("categories", "category"),
                              ("business_sectors", "business_sector"), ("groups", "group"),
                              ("senders", "sender")):
        for value in DEFS[definition]["enum"]:
            label = DEFS[definition]["x-labels"][value]
            assert f'<label for="{field}-{value}">{label}</label>' in html, (field, value)
    assert checkbox_values(page, "age_confirmed") == ["on"]
    assert checkbox_values(page, "consent") == ["on"]


def test_signup_languages_are_the_suggested_ones_and_match_the_pattern() -> None:
    page = parse("index.html")
    options = [a["value"] for tag, a in page.elements if tag == "option"]
    assert options == list(DEFS["language"]["x-suggested"])
    pattern = re.compile(DEFS["language"]["pattern"])
    assert all(pattern.match(option) for option in options)


def test_unsubscribe_checkboxes_equal_the_category_enum() -> None:
    assert checkbox_values(parse("unsubscribe.html"), "categories") == DEFS["category"]["enum"]


def test_signup_form_posts_the_api_field_names() -> None:
    page = parse("index.html")
    forms = [a for tag, a in page.elements if tag == "form"]
    assert forms == [{"id": "signup-form", "action": "/v1/signup", "method": "post", "novalidate": ""}]
    names = {a["name"] for tag, a in page.elements if tag in ("input", "select") and a.get("name")}
    expected = {"email", "phone", "landline", "name", "language", "channels", "categories", "business_sectors",
                "groups", "senders", "age_confirmed", "consent"}
    expected |= {f"locations[{i}][{part}]" for i in range(5) for part in ("label", "postcode", "lat", "lng")}
    assert names == expected


def test_unsubscribe_form_without_javascript_sends_only_fields_the_api_accepts() -> None:
    page = parse("unsubscribe.html")
    # Disabled controls are never submitted: the radios only exist for the scripted page.
    sent = {a["name"] for tag, a in page.elements
            if tag == "input" and a.get("name") and "disabled" not in a}
    assert sent == {"token", "categories", "from_page"}


@pytest.mark.parametrize("name", PAGES)
def test_page_is_self_contained_and_declares_its_language(name: str) -> None:
    page = parse(name)
    html_tags = [a for tag, a in page.elements if tag == "html"]
    assert html_tags and html_tags[0].get("lang") == "en"
    assert page.title.strip()
    assert any(tag == "meta" and a.get("name") == "viewport" for tag, a in page.elements)
    for tag, attrs in page.elements:
        for attribute in ("src", "href", "action"):
            value = attrs.get(attribute, "")
            assert not re.match(r"^(https?:)?//", value), f"{name}: <{tag} {attribute}={value!r}> leaves the site"
            if tag in ("script", "link") and value.startswith("/"):
                target = value.lstrip("/").split("?")[0]
                assert target in GENERATED or (SITE / target).is_file(), f"{name}: {value} does not exist in site/"
        assert not (tag == "script" and "src" not in attrs), f"{name}: inline script (keep scripts in files)"


def test_every_script_and_style_is_free_of_external_urls() -> None:
    for path in [*SITE.glob("*.js"), *SITE.glob("*.css")]:
        text = path.read_text("utf-8")
        found = re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, flags=re.I)
        assert not found, f"{path.name} refers to {found}"


def test_every_field_group_pointer_is_a_json_pointer() -> None:
    for name in PAGES:
        for _tag, attrs in parse(name).elements:
            pointer: Any = attrs.get("data-pointer")
            if pointer is not None:
                assert pointer == "" or pointer.startswith("/"), (name, pointer)
