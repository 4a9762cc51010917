"""Residents' replies (table `<prefix>-replies`, ReplyModel), through PynamoDB.

A reply is written once, conditionally on its id (domain/replies.py derives the id from the provider's message id, so
a message delivered twice is stored once). The inbox reads the `by-state` index, unread first; one alert's replies
come from `by-alert`. Pages are handed out as opaque cursors that only this organisation's lists accept.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from ..domain.errors import FieldError, invalid
from ..domain.replies import INBOX_ORDER, Answer, Reply, ReplyChannel, ReplyState
from .models import ReplyModel


def inbox_key(organisation: str, state: ReplyState | str) -> str:
    return f"{organisation}#{state}"


def _to_model(reply: Reply, expires_at: int) -> ReplyModel:
    return ReplyModel(
        organisation=reply.organisation, reply_id=reply.id, alert_id=reply.alert_id,
        resident_id=reply.resident_id or None, contact_hash=reply.contact_hash or None, channel=reply.channel.value,
        text=reply.text, received_at=reply.received_at, state=reply.state.value,
        inbox=inbox_key(reply.organisation, reply.state), areas=list(reply.areas), sender=reply.sender or None,
        truncated=reply.truncated, verdicts=dict(reply.verdicts) or None,
        attachments=json.dumps(reply.attachments) if reply.attachments else None,
        answers=json.dumps([vars(a) for a in reply.answers]) if reply.answers else None, expires_at=expires_at)


def _from_model(item: ReplyModel) -> Reply:
    verdicts = item.verdicts.as_dict() if item.verdicts is not None and hasattr(item.verdicts, "as_dict") \
        else dict(item.verdicts or {})
    return Reply(
        organisation=item.organisation, id=item.reply_id, alert_id=item.alert_id, resident_id=item.resident_id or "",
        channel=ReplyChannel(item.channel), text=item.text, received_at=item.received_at,
        contact_hash=item.contact_hash or "", state=ReplyState(item.state),
        areas=tuple(str(a) for a in item.areas or ()),
        sender=item.sender or "", truncated=bool(item.truncated), verdicts={k: str(v) for k, v in verdicts.items()},
        attachments=json.loads(item.attachments) if item.attachments else [],
        answers=[Answer(**a) for a in json.loads(item.answers)] if item.answers else [])


class ReplyStore:
    def add(self, reply: Reply, expires_at: int) -> bool:
        """False when this reply (same id) is stored already."""
        try:
            _to_model(reply, expires_at).save(ReplyModel.reply_id.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, organisation: str, reply_id: str) -> Reply | None:
        try:
            return _from_model(ReplyModel.get(organisation, reply_id, consistent_read=True))
        except DoesNotExist:
            return None

    def set_state(self, reply: Reply, state: ReplyState) -> None:
        ReplyModel(reply.organisation, reply.id).update(
            actions=[ReplyModel.state.set(state.value), ReplyModel.inbox.set(inbox_key(reply.organisation, state))],
            condition=ReplyModel.reply_id.exists())

    def add_answer(self, reply: Reply, answer: Answer) -> None:
        """Appends an officer's answer; the answered reply counts as handled."""
        answers = [*reply.answers, answer]
        try:
            ReplyModel(reply.organisation, reply.id).update(
                actions=[ReplyModel.answers.set(json.dumps([vars(a) for a in answers])),
                         ReplyModel.state.set(ReplyState.HANDLED.value),
                         ReplyModel.inbox.set(inbox_key(reply.organisation, ReplyState.HANDLED))],
                condition=ReplyModel.reply_id.exists())
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    def count_between(self, organisation: str, after_id: str, before_id: str) -> int:
        """How many replies the organisation received between two ULIDs (reply ids sort by arrival): one Query that
        returns a count, for the dashboard."""
        return int(ReplyModel.count(organisation, ReplyModel.reply_id.between(after_id, before_id)))

    def for_alert(self, organisation: str, alert_id: str, limit: int, cursor: str | None) -> tuple[list[Reply],
                                                                                                    str | None]:
        start = _cursor_key(cursor, organisation, {"organisation", "reply_id", "alert_id"})
        if start is not None and start.get("alert_id") != {"S": alert_id}:
            raise _bad_cursor()
        results = ReplyModel.by_alert.query(alert_id, scan_index_forward=False, limit=limit,
                                            last_evaluated_key=start)
        items = [_from_model(i) for i in results if i.organisation == organisation]
        return items, _next_cursor(results.last_evaluated_key, organisation, "all")

    def inbox(self, organisation: str, limit: int, cursor: str | None,
              state: ReplyState | None = None) -> tuple[list[Reply], str | None]:
        """Unread first, then handled, then abusive (or one state), each newest first; `limit` at most per page. The
        cursor names the state it stopped in and where."""
        states = [state] if state else list(INBOX_ORDER)
        position = _decode(cursor, organisation) if cursor else None
        if position is not None:
            if position.get("state") not in [s.value for s in states]:
                raise _bad_cursor()
            states = states[[s.value for s in states].index(position["state"]):]
        replies: list[Reply] = []
        start = position.get("key") if position else None
        for current in states:
            results = ReplyModel.by_state.query(inbox_key(organisation, current), scan_index_forward=False,
                                                limit=limit - len(replies), last_evaluated_key=start)
            replies.extend(_from_model(i) for i in results)
            start = None
            if results.last_evaluated_key:
                return replies, _encode(organisation, current.value, results.last_evaluated_key)
            if len(replies) >= limit:
                following = states[states.index(current) + 1:]
                return replies, _encode(organisation, following[0].value, None) if following else None
        return replies, None

    def of_resident(self, resident_id: str) -> Iterator[tuple[str, str]]:
        """(organisation, reply id) of every reply this resident sent."""
        for item in ReplyModel.by_resident.query(resident_id):
            yield item.organisation, item.reply_id

    def forget_resident(self, resident_id: str) -> int:
        """Erasure: every reply of theirs loses who sent it; answers how many."""
        forgotten = 0
        for organisation, reply_id in list(self.of_resident(resident_id)):
            self.forget_sender(organisation, reply_id)
            forgotten += 1
        return forgotten

    def forget_sender(self, organisation: str, reply_id: str) -> None:
        """Erasure: the reply loses who sent it; its words stay with the alert, as what a witness said."""
        try:
            ReplyModel(organisation, reply_id).update(
                actions=[ReplyModel.resident_id.remove(), ReplyModel.contact_hash.remove()],
                condition=ReplyModel.reply_id.exists())
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise


def _bad_cursor() -> Exception:
    return invalid("That page cursor is not valid.", FieldError("/cursor", "is not a cursor from this list"))


def _encode(organisation: str, state: str, key: dict[str, Any] | None) -> str:
    document = {"organisation": organisation, "state": state, "key": key}
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


def _decode(cursor: str, organisation: str) -> dict[str, Any]:
    try:
        document = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    # Only a cursor this list handed out, for this organisation: never a way into another force's replies.
    if not isinstance(document, dict) or document.get("organisation") != organisation:
        raise _bad_cursor()
    key = document.get("key")
    if key is not None and not (isinstance(key, dict) and key.get("organisation") == {"S": organisation}):
        raise _bad_cursor()
    return document


def _cursor_key(cursor: str | None, organisation: str, names: set[str]) -> dict[str, Any] | None:
    if not cursor:
        return None
    key = _decode(cursor, organisation).get("key")
    if not isinstance(key, dict) or set(key) != names:
        raise _bad_cursor()
    return key


def _next_cursor(last: dict[str, Any] | None, organisation: str, state: str) -> str | None:
    return _encode(organisation, state, last) if last else None
