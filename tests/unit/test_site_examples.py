"""The phone numbers the site gives as examples are ones its own validation accepts: a resident who copies the
example's shape must not be told it is wrong."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.domain.contacts import ContactHasher

SITE = Path(__file__).parents[2] / "site"
EXAMPLE = re.compile(r"(?:like|For example|for example) (0[0-9]{4} ?[0-9]{3} ?[0-9]{3,4})")
HASHER = ContactHasher(b"contact-hash-key-for-tests-only")


def examples() -> list[tuple[str, str]]:
    found = []
    for path in sorted(SITE.glob("*.*")):
        if path.suffix in (".html", ".js"):
            found += [(path.name, number) for number in EXAMPLE.findall(path.read_text("utf-8"))]
    return found


def test_every_example_phone_number_on_the_site_is_accepted() -> None:
    found = examples()
    assert len(found) >= 6, found  # mobiles and landlines on the signup, sign-in and confirm pages
    for page, number in found:
        if number.startswith("07"):
            assert HASHER.mobile(number).address.startswith("+447"), (page, number)
        else:
            assert HASHER.landline(number).address.startswith("+44"), (page, number)
