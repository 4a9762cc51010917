"""The address an alert email's replies go to: `replies+<alert id>-<tag>@<reply domain>`, where the tag is a short
signature of the alert id (domain/tokens.py: `TokenSigner.tag`). Pure: no AWS here.

The alert id alone would do to find the alert, but anyone could then write to any alert's team by guessing ids
(they are ULIDs, and sortable by time). With the tag, only an address taken from an alert email is accepted; the
reply must also come from a contact the alert was delivered to, which the handler checks in the ledger. The local
part is at most 51 characters (the limit is 64), and all lower case, because mail servers may change its case.
"""

from __future__ import annotations

import re
from typing import Protocol

from .tokens import TAG_CHARS, TokenError

REPLY_PURPOSE = "reply-address"
LOCAL_PREFIX = "replies+"
_ADDRESS = re.compile(rf"^replies\+([0-9a-hjkmnp-tv-z]{{26}})-([a-z2-7]{{{TAG_CHARS}}})@[^@\s]+$")


class Tagger(Protocol):
    def tag(self, purpose: str, text: str) -> str: ...

    def tag_matches(self, purpose: str, text: str, tag: str) -> bool: ...


def reply_address(alert_id: str, domain: str, tagger: Tagger) -> str:
    alert = alert_id.lower()
    return f"{LOCAL_PREFIX}{alert}-{tagger.tag(REPLY_PURPOSE, alert)}@{domain}"


def alert_of(address: str, tagger: Tagger) -> str:
    """The alert id (upper case, as stored) a reply address was made for; TokenError when the address is not one of
    ours ("malformed") or its tag does not match ("forged")."""
    found = _ADDRESS.fullmatch(address.strip().lower())
    if found is None:
        raise TokenError("malformed")
    alert, tag = found.groups()
    if not tagger.tag_matches(REPLY_PURPOSE, alert, tag):
        raise TokenError("forged")
    return alert.upper()
