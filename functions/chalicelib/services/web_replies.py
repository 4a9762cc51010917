"""Replies on the web: the reply page (site/reply.html) a resident opens from the signed link in their alert email.

The link's token names the resident, the alert, its organisation and the contact it reached them at, and expires with
the alert's reply window (domain/replies.py). The page shows the alert and what this resident wrote about it, with
any answers; a reply is kept only while the resident exists and the ledger says the alert reached them. Each link may
send `reply.link` replies an hour (429 after), and a reply is at most MAX_WEB_REPLY_CHARS.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..domain.errors import FieldError, HexwatchError, invalid
from ..domain.replies import REPLY_LINK, REPLY_RETENTION_SECONDS, Reply, ReplyChannel, reply_id
from ..domain.tokens import TokenError, TokenSigner
from .replies import Limiter, reply_context

MAX_WEB_REPLY_CHARS = 5_000
SHOWN_REPLIES = 20  # the page shows this resident's latest replies to the alert, with their answers


def link_refused(reason: str, noun: str = "reply") -> HexwatchError:
    message = (f"This {noun} link has expired: an alert may be answered for 90 days." if reason == "expired"
               else f"This {noun} link is not valid. Open it again from the alert email.")
    return invalid(message, FieldError("/token", "has expired" if reason == "expired" else "is not valid"))


def link_claims(signer: TokenSigner, token: object, purpose: str, noun: str) -> dict[str, Any]:
    """The claims of a resident's signed link for one alert (resident, alert, organisation, contact), or 400 naming
    /token: forged, malformed, or past the alert's reply window."""
    try:
        claims = signer.verify(token, purpose)
    except TokenError as error:
        raise link_refused(str(error), noun) from None
    if not all(isinstance(claims.get(name), str) for name in ("sub", "a", "o", "ch")):
        raise link_refused("malformed", noun)
    return claims


class WebReplyService:
    def __init__(self, *, signer: TokenSigner, ledger: Any, residents: Any, replies: Any, alerts: Any,
                 limiter: Limiter, sender_name: Callable[[str], str], clock: Callable[[], float]) -> None:
        self._signer = signer
        self._ledger = ledger
        self._residents = residents
        self._replies = replies
        self._alerts = alerts
        self._limiter = limiter
        self._sender_name = sender_name
        self._clock = clock

    def _claims(self, token: object) -> dict[str, Any]:
        return link_claims(self._signer, token, REPLY_LINK, "reply")

    def page(self, token: object) -> dict[str, Any]:
        claims = self._claims(token)
        found = self._alerts.get(claims["o"], claims["a"])
        if found is None or self._residents.get(claims["sub"]) is None:
            raise link_refused("gone")
        alert = found[0]
        content = next(iter(alert.content.values()))
        mine, _ = self._replies.for_alert(claims["o"], claims["a"], 100, None)
        mine = [r for r in mine if r.resident_id == claims["sub"] and r.channel is ReplyChannel.WEB][:SHOWN_REPLIES]
        return {
            "alert": {"from": self._sender_name(claims["o"]), "title": content.title, "body": content.body,
                      "incident_ref": alert.incident_ref, "contact": alert.contact},
            "replies": [{"text": r.text, "received_at": r.received_at,
                         "answers": [{"text": a.text, "at": a.at} for a in r.answers]} for r in mine],
        }

    def submit(self, token: object, text: str) -> dict[str, Any]:
        claims = self._claims(token)
        self._limiter.check("reply.link", f"{claims['sub']}:{claims['a']}")
        resident = self._residents.get(claims["sub"])
        reached = self._ledger.reached_by_contact(claims["ch"], claims["a"], "email") if resident else None
        context = reply_context(self._ledger, self._alerts, claims["a"]) if reached == claims["sub"] else None
        if context is None:
            raise link_refused("gone")
        now = self._clock()
        reply = Reply(organisation=context.organisation, id=reply_id(now, f"web:{uuid.uuid4()}"),
                      alert_id=claims["a"], resident_id=claims["sub"], channel=ReplyChannel.WEB, text=text.strip(),
                      received_at=datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
                      contact_hash=claims["ch"], areas=context.areas, sender=context.sender)
        self._replies.add(reply, int(now) + REPLY_RETENTION_SECONDS)
        return {"status": "received", "id": reply.id, "received_at": reply.received_at}
