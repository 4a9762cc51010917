"""What residents would have received: every email, SMS, push notification and voice call the app sent to the emulator.

Sources (moto 5.2.5):
- moto's own model instances for SES and SNS, read in-process (what `/moto-api/data.json` lists, without the
  thousands of DynamoDB items that make that dump slow):
  - `ses.RawMessage`: SESv2/SES `SendEmail` with Raw MIME, the app's local path; parsed with the `email` package. Its
    `destinations` list a recipient once per Destination and once per To header, so they are de-duplicated.
  - `ses.Message`: Simple sends (subject and body only; moto drops custom headers).
  - `ses.TemplateMessage`, `ses.BulkTemplateMessage`: stored *unrendered*; rendered here with the template from
    `ses.get_template` and moto's own template engine, one message per destination.
  - `sns.SMS`: SMS published to a phone number.
  - `sns.PlatformEndpoint`: push notifications; moto keeps each endpoint's published messages in `messages`.
- S3 bucket `<prefix>-local-outbox`, keys under `voice/`: the local voice adapter writes one JSON object per call it
  would have placed (`{"to", "from", "text", "language", "sent_at"}`; other keys are kept under `headers`). A missing
  or empty bucket means no calls.

moto records no send time, so a message's `sent_at` is its Date header (email), its own `sent_at` (voice) or the time
this reader first saw it; `watch()` polls in the background so that first-seen times stay close to send times.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto.ses.template import parse_template  # the engine the emulator's own SES uses

from infra.local.emulator import REGION
from infra.local.stack import OUTBOX_BUCKET_FORMAT

LOG = logging.getLogger(__name__)

Message = dict[str, Any]

VOICE_PREFIX = "voice/"
_URL = re.compile(r"https?://[^\s\"'<>()\[\]{}]+")


def find_links(*texts: str | None) -> list[str]:
    """Every http(s) URL in the texts, in order of appearance, once each (HTML entities decoded first)."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in _URL.findall(html.unescape(text or "")):
            seen.setdefault(match.rstrip(".,;:!?"), None)
    return list(seen)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _message(channel: str, message_id: str, **fields: Any) -> Message:
    text = fields.get("text") or ""
    body_html = fields.get("html")
    return {
        "channel": channel,
        "id": message_id,
        "to": list(fields.get("to") or []),
        "from": fields.get("sender") or "",
        "subject": fields.get("subject"),
        "headers": dict(fields.get("headers") or {}),
        "text": text,
        "html": body_html,
        "links": find_links(text, body_html),
        "sent_at": fields.get("sent_at"),
        "simulated": fields.get("simulated", False),
    }


def parse_mime(raw: str | bytes) -> tuple[dict[str, str], str, str | None]:
    """Headers, text body and HTML body of a MIME message (the first part of each type; attachments ignored)."""
    if isinstance(raw, bytes):
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
    else:
        parsed = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    headers = {name: str(value) for name, value in parsed.items()}
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    text = text_part.get_content() if isinstance(text_part, EmailMessage) else ""
    body_html = html_part.get_content() if isinstance(html_part, EmailMessage) else None
    return headers, str(text), None if body_html is None else str(body_html)


def render_template(template: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """Subject, text and HTML of an SES template filled with `data`, as SES renders it (moto's engine)."""

    def fill(part: str | None) -> str | None:
        if part is None:
            return None
        try:
            return parse_template(part, dict(data))
        except Exception:  # a template error shows the raw template rather than hiding the message
            LOG.warning("could not render SES template %s", template.get("TemplateName"), exc_info=True)
            return part

    return fill(template.get("SubjectPart")) or "", fill(template.get("TextPart")) or "", fill(template.get("HtmlPart"))


def _addresses(destination: Mapping[str, Any]) -> list[str]:
    return _unique(
        [*destination.get("ToAddresses", []), *destination.get("CcAddresses", []), *destination.get("BccAddresses", [])]
    )


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        loaded = json.loads(text or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _public_attributes(instance: Any) -> dict[str, Any]:
    """The JSON-serialisable public attributes of a moto model, as moto's data.json lists them."""
    attributes: dict[str, Any] = {}
    for name in dir(instance):
        if name.startswith("_"):
            continue
        try:
            value = getattr(instance, name)
            json.dumps(value)
        except (TypeError, AttributeError, ValueError):
            continue
        attributes[name] = value
    return attributes


class Outbox:
    """Reads sent messages back from the emulator. One instance remembers when it first saw each message."""

    def __init__(
        self,
        endpoint: str,
        prefix: str,
        region: str = REGION,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.prefix = prefix
        self.bucket = OUTBOX_BUCKET_FORMAT.format(prefix=prefix)
        self._clock = clock
        self._ses = boto3.client("ses", endpoint_url=endpoint, region_name=region)
        self._s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)
        self._first_seen: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    # --- public

    def list_messages(self) -> list[Message]:
        """Every message residents would have received, newest first."""
        data = self._model_data()
        messages = [
            *self._emails(data.get("ses", {})),
            *self._sms(data.get("sns", {})),
            *self._push(data.get("sns", {})),
        ]
        messages.extend(self._voice())
        with self._lock:
            now = _iso(self._clock())
            for message in messages:
                key = f"{message['channel']}:{message['id']}"
                seen = self._first_seen.setdefault(key, (now, len(self._first_seen)))
                message["sent_at"] = message["sent_at"] or seen[0]
                message["_order"] = seen[1]
        messages.sort(key=lambda message: (message["sent_at"], message["_order"]), reverse=True)
        for message in messages:
            del message["_order"]
        return messages

    def watch(self, interval: float = 2.0) -> threading.Thread:
        """Poll in a daemon thread so that first-seen times track send times; `stop()` ends it."""

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.list_messages()
                except Exception:
                    LOG.debug("outbox poll failed", exc_info=True)

        thread = threading.Thread(target=loop, name="outbox-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    # --- sources

    def _model_data(self) -> dict[str, Any]:
        """What `/moto-api/data.json` would say about SES and SNS, read in-process from the emulator's own models.

        The emulator runs in this process (run.py and the test fixtures start it in a thread). The HTTP dump would
        serialise every model moto ever tracked, every DynamoDB item written included, which grows without bound and
        took seconds once the demo residents were seeded; these two services are all the outbox needs.
        """
        from moto.core.model_instances import model_data

        return {
            service: {name: [_public_attributes(instance) for instance in list(getattr(model, "instances_tracked", []))]
                      for name, model in model_data.get(service, {}).items()}
            for service in ("ses", "sns")
        }

    def _emails(self, ses: Mapping[str, Any]) -> list[Message]:
        messages: list[Message] = []
        for record in ses.get("RawMessage", []):
            raw = record.get("raw_data") or ""
            headers, text, body_html = parse_mime(raw)
            sent_at = None
            if "Date" in headers:
                try:
                    sent_at = _iso(parsedate_to_datetime(headers["Date"]))
                except (TypeError, ValueError):
                    sent_at = None
            messages.append(
                _message(
                    "email",
                    str(record.get("id")),
                    to=_unique(record.get("destinations") or []),
                    sender=headers.get("From") or record.get("source"),
                    subject=headers.get("Subject"),
                    headers=headers,
                    text=text,
                    html=body_html,
                    sent_at=sent_at,
                )
            )
        for record in ses.get("Message", []):
            body = str(record.get("body") or "")
            is_html = body.lstrip().startswith("<")
            messages.append(
                _message(
                    "email",
                    str(record.get("id")),
                    to=_addresses(record.get("destinations") or {}),
                    sender=record.get("source"),
                    subject=record.get("subject"),
                    headers={"From": record.get("source") or "", "Subject": record.get("subject") or ""},
                    text="" if is_html else body,
                    html=body if is_html else None,
                )
            )
        templates: dict[str, dict[str, Any] | None] = {}
        for record in ses.get("TemplateMessage", []):
            destinations = record.get("destinations") or {}
            if isinstance(destinations, list):
                continue  # a bulk send, which moto also records (with per-destination ids) as a BulkTemplateMessage
            messages.append(
                self._templated(
                    str(record.get("id")),
                    record,
                    _addresses(destinations),
                    _json_object(record.get("template_data")),
                    templates,
                )
            )
        for record in ses.get("BulkTemplateMessage", []):
            defaults = _json_object(record.get("template_data"))
            ids = record.get("ids") or []
            for index, destination in enumerate(record.get("destinations") or []):
                data = {**defaults, **_json_object(destination.get("ReplacementTemplateData"))}
                message_id = str(ids[index]) if index < len(ids) else f"{record.get('ids')}-{index}"
                to = _addresses(destination.get("Destination") or {})
                messages.append(self._templated(message_id, record, to, data, templates))
        return messages

    def _templated(
        self,
        message_id: str,
        record: Mapping[str, Any],
        to: list[str],
        data: Mapping[str, Any],
        templates: dict[str, dict[str, Any] | None],
    ) -> Message:
        name = str(record.get("template"))
        if name not in templates:
            try:
                templates[name] = dict(self._ses.get_template(TemplateName=name)["Template"])
            except ClientError:
                templates[name] = None
        template = templates[name]
        if template is None:
            subject, text, body_html = f"(template {name} not found)", json.dumps(data, indent=2), None
        else:
            subject, text, body_html = render_template(template, data)
        headers = {"From": str(record.get("source") or ""), "Subject": subject, "X-SES-Template": name}
        return _message(
            "email",
            message_id,
            to=to,
            sender=record.get("source"),
            subject=subject,
            headers=headers,
            text=text,
            html=body_html,
        )

    def _sms(self, sns: Mapping[str, Any]) -> list[Message]:
        return [
            _message(
                "sms",
                str(record.get("message_id")),
                to=[str(record.get("phone_number"))],
                text=str(record.get("message") or ""),
                headers={"PhoneNumber": str(record.get("phone_number"))},
            )
            for record in sns.get("SMS", [])
        ]

    def _push(self, sns: Mapping[str, Any]) -> list[Message]:
        messages: list[Message] = []
        for endpoint in sns.get("PlatformEndpoint", []):
            target = str(endpoint.get("custom_user_data") or endpoint.get("token") or endpoint.get("arn"))
            for message_id, body in (endpoint.get("messages") or {}).items():
                title, text = _push_title_and_text(str(body))
                headers = {"EndpointArn": str(endpoint.get("arn")), "Token": str(endpoint.get("token"))}
                messages.append(
                    _message("push", str(message_id), to=[target], subject=title, text=text, headers=headers)
                )
        return messages

    def _voice(self) -> list[Message]:
        messages: list[Message] = []
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=VOICE_PREFIX)
            for page in pages:
                for item in page.get("Contents", []):
                    body = self._s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
                    call = _json_object(body.decode("utf-8", errors="replace"))
                    known = {"to", "from", "text", "sent_at", "id"}
                    headers = {key: str(value) for key, value in call.items() if key not in known}
                    to = call.get("to")
                    messages.append(
                        _message(
                            "voice",
                            str(call.get("id") or item["Key"]),
                            to=to if isinstance(to, list) else [str(to or "")],
                            sender=call.get("from"),
                            subject="Voice call (simulated)",
                            headers=headers,
                            text=str(call.get("text") or ""),
                            sent_at=call.get("sent_at") or _iso(item["LastModified"]),
                            simulated=True,
                        )
                    )
        except ClientError as error:
            # No bucket (the stack was deployed without it) or no calls yet: the outbox shows no voice calls.
            LOG.debug("no voice calls: %s", error)
        return messages


def _push_title_and_text(body: str) -> tuple[str | None, str]:
    """Title and text of a push payload: SNS `MessageStructure=json` bodies carry per-platform JSON."""
    document = _json_object(body)
    if not document:
        return None, body
    for platform in ("GCM", "FCM", "APNS", "APNS_SANDBOX"):
        payload = _json_object(document.get(platform)) if isinstance(document.get(platform), str) else {}
        notification = payload.get("notification") or payload.get("aps", {}).get("alert")
        if isinstance(notification, dict):
            return notification.get("title"), str(notification.get("body") or "")
        if isinstance(notification, str):
            return None, notification
    return document.get("title"), str(document.get("default") or document.get("body") or body)


_DEFAULT_OUTBOXES: dict[tuple[str, str], Outbox] = {}


def list_messages(endpoint: str | None = None, prefix: str | None = None) -> list[Message]:
    """Every message sent through the emulator, newest first (defaults: AWS_ENDPOINT_URL and HEXWATCH_PREFIX)."""
    resolved_endpoint = endpoint or os.environ["AWS_ENDPOINT_URL"]
    resolved_prefix = prefix or os.environ.get("HEXWATCH_PREFIX", "hexwatch")
    key = (resolved_endpoint, resolved_prefix)
    if key not in _DEFAULT_OUTBOXES:
        _DEFAULT_OUTBOXES[key] = Outbox(resolved_endpoint, resolved_prefix)
    return _DEFAULT_OUTBOXES[key].list_messages()
