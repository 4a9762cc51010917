"""Every message an alert will become, rendered when the alert is created, so that a problem is a 400 naming the field
then, not a failed send later. Pure: it calls the very renderers the delivery workers call (domain/alert_messages.py)
and the adapters' own payload builders and limits, and touches no AWS.

Rendered: each chosen channel, for each language the alert has content in, with and without the footage request
(only CCTV operators near the incident get it). Checked:
- email: the subject, with the priority label and the force's name added, is one line of at most
  MAX_EMAIL_SUBJECT_CHARS characters;
- SMS: the text fits the force's budget of segments (a long contact line can leave no room, even shortened);
- voice: the call script (read twice) fits SendVoiceMessage's MessageBody limit;
- push: each platform's payload fits the platform's limit (APNs and FCM: 4 KB), measured as SNS delivers it.
"""

from __future__ import annotations

import json

from ..adapters.push import push_payload
from ..adapters.voice import MAX_MESSAGE_BODY
from ..domain.alert_messages import AlertLinks, contact_lines, email_content, push_text, sms_text, voice_text
from ..domain.alerts import Alert
from ..domain.delivery import PushMessage
from ..domain.errors import FieldError, invalid
from ..domain.sms import describe

# Phones and mail clients cut a subject far sooner (about 40-90 characters shown), and the force's name, which tells
# the resident who is writing, comes last; past this the subject is mostly lost. RFC 5322 recommends 78 characters a
# line; SES itself would take longer subjects, so this is our limit, not a provider's.
MAX_EMAIL_SUBJECT_CHARS = 150
# APNs refuses a notification payload over 4,096 bytes; FCM's limit for a notification message is also 4 KB.
MAX_PUSH_PAYLOAD_BYTES = 4096
CONTACT_FIELDS = ("phone", "email", "url", "text")  # in the order contact_lines lists them


LONGEST_NUMBER = "+447700900000"  # a call's survey line names the two-way number: check the longest script


def check_renderings(alert: Alert, sender_name: str, links: AlertLinks, sms_max_segments: int) -> None:
    """Renders every chosen channel in every language; raises a 400 naming the field behind each problem."""
    problems: dict[str, FieldError] = {}
    footage_variants = (False, True) if alert.footage_request else (False,)
    for language in alert.content:
        for footage in footage_variants:
            for problem in _problems(alert, language, footage, sender_name, links, sms_max_segments):
                problems.setdefault(problem.pointer, problem)
    if problems:
        raise invalid("The alert cannot be delivered as written: shorten the fields named.", *problems.values())


def _problems(alert: Alert, language: str, footage: bool, sender_name: str, links: AlertLinks,
              sms_max_segments: int) -> list[FieldError]:
    found = []
    if "email" in alert.channels:
        subject = email_content(alert, language, sender_name, links, footage=footage).subject
        if len(subject) > MAX_EMAIL_SUBJECT_CHARS or "\r" in subject or "\n" in subject:
            found.append(FieldError("/title", f"with the priority and the force's name the email subject is "
                                              f"{len(subject)} characters; it can be at most "
                                              f"{MAX_EMAIL_SUBJECT_CHARS}: shorten the title"))
    if "sms" in alert.channels:
        # As sent from a two-way number, with the survey's line: the longest the text can be.
        cost = describe(sms_text(alert, language, sender_name, links, sms_max_segments, footage=footage,
                                 opt_out_words=True))
        if cost.segments > sms_max_segments:
            found.append(FieldError(_first_contact_pointer(alert),
                                    f"the text message cannot fit in {sms_max_segments} segments even shortened "
                                    f"({cost.segments} as {cost.encoding}): the reference and the first contact "
                                    "detail always stay, so shorten this contact detail or give a phone number"))
    if "voice" in alert.channels:
        script = voice_text(alert, language, sender_name, footage=footage, two_way_number=LONGEST_NUMBER)
        if len(script) > MAX_MESSAGE_BODY:
            pointer = "/footage_request/note" if footage and (alert.footage_request or {}).get("note") else "/body"
            found.append(FieldError(pointer, f"the voice call reads the alert twice: {len(script)} characters, at "
                                             f"most {MAX_MESSAGE_BODY}: shorten the body"))
    if "push" in alert.channels and not footage:  # a push carries no footage request
        largest = _largest_push_platform_bytes(alert, language, sender_name, links)
        if largest > MAX_PUSH_PAYLOAD_BYTES:
            found.append(FieldError(_largest_push_field(alert, language),
                                    f"the app notification would be {largest} bytes, at most "
                                    f"{MAX_PUSH_PAYLOAD_BYTES}: shorten this (characters outside ASCII count up "
                                    "to 12 bytes each)"))
    return found


def _first_contact_pointer(alert: Alert) -> str:
    """The contact detail an SMS keeps when it has to shorten (contact_lines' first), else the reference."""
    present = [name for name in CONTACT_FIELDS if alert.contact.get(name)]
    return f"/contact/{present[0]}" if present and contact_lines(alert) else "/incident_ref"


def _largest_push_platform_bytes(alert: Alert, language: str, sender_name: str, links: AlertLinks) -> int:
    title, body = push_text(alert, language, sender_name)
    data = {"alert_id": alert.id, "url": links.full_alert(alert.source.organisation, alert.id)}
    payloads = json.loads(push_payload(PushMessage("check", "check", title, body, data)))
    return max(len(str(value).encode("utf-8")) for value in payloads.values())


def _largest_push_field(alert: Alert, language: str) -> str:
    """The officer's field that takes the most room in the notification, as JSON encodes it."""
    content = alert.content.get(language) or next(iter(alert.content.values()))
    sizes = {"/title": content.title, "/body": content.body[:200],
             **{f"/contact/{name}": str(alert.contact[name]) for name in CONTACT_FIELDS if alert.contact.get(name)}}
    return max(sizes, key=lambda pointer: len(json.dumps(sizes[pointer])))
