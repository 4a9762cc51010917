"""The words residents receive for an alert: email, SMS, voice call and push. Pure: no AWS here.

Every rendering carries the incident reference and the contact details, whatever else is shortened. The text is the
alert's content in the resident's language when there is one, else the language it was written in. An email is one
template per language shared by a bulk call; each resident's unsubscribe link fills its `{{unsubscribe_url}}`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlsplit

from .alerts import Alert, Content, london_text, parse_time
from .delivery import EmailContent
from .events import ics
from .messages import link, unsubscribe_headers
from .sms import gsm_safe, segments
from .surveys import sms_line, voice_line

UNSUBSCRIBE_PLACEHOLDER = "{{unsubscribe_url}}"
REPLY_PLACEHOLDER = "{{reply_url}}"  # the resident's own reply page (site/reply.html), signed for them
SURVEY_PLACEHOLDER = "{{survey_url}}"  # the resident's own survey page (site/survey.html), signed for them
PRIORITY_LABELS = {"low": "Information", "normal": "Alert", "high": "Urgent alert", "urgent": "Urgent alert"}
PUSH_BODY_CHARS = 178  # what a lock screen shows before it truncates


@dataclass(frozen=True)
class AlertLinks:
    site_url: str
    api_url: str

    def full_alert(self, organisation: str, alert_id: str) -> str:
        """The public page of a sent alert (site/alert.html), where a shortened SMS or a push leads."""
        return link(self.site_url, "alert.html", org=organisation, id=alert_id)

    def manage(self) -> str:
        return link(self.site_url, "signin.html")

    def event_calendar(self, organisation: str, alert_id: str) -> str:
        """The event's .ics file, for calendars that add it from a link."""
        return f"{self.api_url.rstrip('/')}/v1/public/alerts/{organisation}/{alert_id}/event.ics"

    def host(self) -> str:
        return urlsplit(self.site_url).hostname or "localhost"


def _safe(text: str) -> str:
    """Officer text must never become an SES template placeholder (runs of three or more braces included)."""
    while "{{" in text or "}}" in text:
        text = text.replace("{{", "{ {").replace("}}", "} }")
    return text


def pick_content(alert: Alert, language: str) -> Content:
    return alert.content.get(language) or next(iter(alert.content.values()))


def contact_lines(alert: Alert) -> list[str]:
    contact = alert.contact
    lines = []
    if contact.get("phone"):
        lines.append(f"Phone {contact['phone']}")
    if contact.get("email"):
        lines.append(f"Email {contact['email']}")
    if contact.get("url"):
        lines.append(f"Web {contact['url']}")
    if contact.get("text"):
        lines.append(contact["text"])
    return lines


def footage_text(alert: Alert) -> str | None:
    request = alert.footage_request
    if not request:
        return None
    start, end = parse_time(request["from"], "/footage_request/from"), parse_time(request["to"], "/footage_request/to")
    words = (f"Footage request: if you have CCTV or dash-cam footage from {london_text(start)} to "
             f"{london_text(end)}, please contact us quoting {alert.incident_ref}.")
    return f"{words} {request['note']}" if request.get("note") else words


def subject(alert: Alert, content: Content, sender_name: str) -> str:
    return _safe(f"{PRIORITY_LABELS.get(alert.priority, 'Alert')}: {content.title} - {sender_name}")


def email_content(alert: Alert, language: str, sender_name: str, links: AlertLinks, *, footage: bool = False,
                  reply_to: str | None = None) -> EmailContent:
    content = pick_content(alert, language)
    paragraphs = [_safe(p) for p in content.body.split("\n") if p.strip()]
    extra = footage_text(alert) if footage else None
    if extra:
        paragraphs.append(_safe(extra))
    reference = f"Incident reference: {_safe(alert.incident_ref)}"
    contact = f"Contact: {_safe('; '.join(contact_lines(alert)))}"
    reply = ("Reply to this email, or on the web, to send information to the team that sent this alert."
             if reply_to else "Send information to the team that sent this alert on the web.")
    reply_line = f"Reply on the web: {REPLY_PLACEHOLDER}"
    survey_lines, survey_html = _survey_parts(alert)
    event_lines, event_html, attachments = _event_parts(alert, sender_name, links)
    translated = "This message was translated automatically." if content.machine_translated else None
    privacy = "You receive this because you signed up to community alerts. Your details are used for policing only."
    footer = [f"Change your places, topics or language: {links.manage()}",
              f"Unsubscribe: {UNSUBSCRIBE_PLACEHOLDER}"]
    text_parts = [_safe(content.title), *paragraphs, *event_lines, reference, contact, *survey_lines, reply,
                  reply_line,
                  *(p for p in (translated,) if p), privacy, *footer]
    esc = html.escape
    body_html = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    small = "font-size:.9em"
    page = (
        f'<!doctype html><html lang="{esc(content.written_in or language)}"><head><meta charset="utf-8">'
        f'<title>{esc(_safe(content.title))}</title></head>'
        f'<body style="font-family:Arial,sans-serif;color:#0b0c0c;max-width:38em">'
        f'<p style="{small}">{esc(sender_name)}</p><h1 style="font-size:1.4em">{esc(_safe(content.title))}</h1>'
        f"{body_html}{event_html}<p><strong>{esc(reference)}</strong><br>{esc(contact)}</p>{survey_html}"
        + f'<p>{esc(reply)} <a href="{REPLY_PLACEHOLDER}">Reply on the web</a></p>'
        + (f'<p style="{small}">{esc(translated)}</p>' if translated else "")
        + f'<p style="{small}">{esc(privacy)}<br><a href="{esc(links.manage())}">Change your places, topics or '
        f'language</a> | <a href="{UNSUBSCRIBE_PLACEHOLDER}">Unsubscribe</a></p></body></html>'
    )
    headers = {"X-Hexwatch-Alert": alert.id, "X-Hexwatch-Incident": _safe(alert.incident_ref)}
    return EmailContent(subject(alert, content, sender_name), "\n\n".join(text_parts), page, headers, reply_to,
                        {"alert_id": alert.id}, attachments)


def _event_parts(alert: Alert, sender_name: str,
                 links: AlertLinks) -> tuple[list[str], str, tuple[tuple[str, str, bytes], ...]]:
    """The event's when and where, a link that adds it to a calendar, and its .ics file attached."""
    event = alert.event
    if not event:
        return [], "", ()
    start, end = parse_time(event["start"], "/event/start"), parse_time(event["end"], "/event/end")
    when = f"{london_text(start)} to {london_text(end)}"
    calendar = links.event_calendar(alert.source.organisation, alert.id)
    lines = [f"Event: {_safe(str(event['title']))}", f"When: {when}", f"Where: {_safe(str(event['place']))}",
             f"Add it to your calendar: {calendar} (the calendar file is attached too)"]
    esc = html.escape
    page = (f"<p><strong>{esc(_safe(str(event['title'])))}</strong><br>{esc(when)}<br>"
            f"{esc(_safe(str(event['place'])))}<br><a href=\"{esc(calendar)}\">Add to your calendar</a></p>")
    data = ics(alert.id, event, sender_name, "; ".join(contact_lines(alert)), links.host(), alert.created_at)
    return lines, page, (("event.ics", "text/calendar; method=PUBLISH; charset=utf-8", data),)


def _survey_parts(alert: Alert) -> tuple[list[str], str]:
    """The question, and a link per option to the resident's survey page with that option chosen (the page records
    the answer only when they press its button: mail scanners follow every link)."""
    survey = alert.survey
    if not survey:
        return [], ""
    question = _safe(str(survey["question"]))
    options = [_safe(str(option)) for option in survey.get("options") or []]
    if not options:
        return [f"We would like to know: {question}", f"Answer: {SURVEY_PLACEHOLDER}"], (
            f'<p><strong>{html.escape(question)}</strong> <a href="{SURVEY_PLACEHOLDER}">Answer</a></p>')
    lines = [f"We would like to know: {question}"] + [f"{option}: {SURVEY_PLACEHOLDER}&option={number}"
                                                       for number, option in enumerate(options, start=1)]
    items = "".join(f'<li><a href="{SURVEY_PLACEHOLDER}&amp;option={number}">{html.escape(option)}</a></li>'
                    for number, option in enumerate(options, start=1))
    return lines, f"<p><strong>{html.escape(question)}</strong></p><ul>{items}</ul>"


def email_recipient_fields(links: AlertLinks, unsubscribe_token: str, reply_token: str,
                           survey_token: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """One resident's placeholder values and headers: their own unsubscribe page and one-click URL, their own reply
    page, and their own survey page when the alert asks something."""
    page = link(links.site_url, "unsubscribe.html", token=unsubscribe_token)
    data = {"unsubscribe_url": page, "reply_url": link(links.site_url, "reply.html", token=reply_token)}
    if survey_token:
        data["survey_url"] = link(links.site_url, "survey.html", token=survey_token)
    return data, unsubscribe_headers(links.api_url, unsubscribe_token)


OPT_OUT_WORDS = " Reply STOP to opt out."


def sms_text(alert: Alert, language: str, sender_name: str, links: AlertLinks, max_segments: int, *,
             footage: bool = False, opt_out_words: bool = False) -> str:
    """Sender, title and body, shortened with a link to the full alert if need be; the reference and a way to contact
    us always stay. When the full contact details would leave too little of the alert (UCS-2 texts have 67
    characters a segment), only the first of them is kept: the link leads to the rest.

    With `opt_out_words` (the SMS go from a two-way number, which answers STOP), a whole alert ends with how to opt
    out when that fits in the segments it takes anyway: the words never make a text dearer."""
    content = pick_content(alert, language)
    head = gsm_safe(f"{sender_name}: {content.title}. {content.body}")
    if footage and alert.footage_request:
        head += " CCTV/dash-cam footage wanted."
    lines = contact_lines(alert) or ["us"]
    survey = _safe(sms_line(alert.survey)) if opt_out_words else ""  # answered by text: only from a two-way number
    whole = f"{head} Ref {alert.incident_ref}. Contact {', '.join(lines)}.{survey}"
    if segments(whole) <= max_segments:
        if opt_out_words and segments(whole + OPT_OUT_WORDS) == segments(whole):
            return whole + OPT_OUT_WORDS
        return whole
    link_to_all = links.full_alert(alert.source.organisation, alert.id)
    wanted = min(len(f"{sender_name}: {content.title}") + 20, len(head))
    shortened = ""
    for contact in (", ".join(lines), lines[0]):
        shortened = _shortened(head, f"{link_to_all} Ref {alert.incident_ref}. Contact {contact}.{survey}",
                               max_segments)
        if len(shortened.split("... ", 1)[0]) >= wanted:
            break
    return shortened


def _shortened(head: str, suffix: str, max_segments: int) -> str:
    """As many of `head`'s words as fit before "... " and `suffix` in `max_segments` (at least the first word)."""
    words = head.split(" ")
    low, high = 1, len(words)
    while low < high:  # the most words that fit: fitting is monotonic in the number of words
        middle = (low + high + 1) // 2
        if segments(" ".join(words[:middle]).rstrip(" .,;:") + "... " + suffix) <= max_segments:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low]).rstrip(" .,;:") + "... " + suffix


def voice_text(alert: Alert, language: str, sender_name: str, *, footage: bool = False,
               two_way_number: str | None = None) -> str:
    """Read aloud, then repeated once, because a resident picking up a call rarely hears its start."""
    content = pick_content(alert, language)
    reference = " ".join(alert.incident_ref)  # spelt out: "1 2 3 / 2 6" is heard, "123/26" is not
    parts = [f"This is a message from {sender_name}.", f"{content.title}.", content.body,
             f"The incident reference is {reference}.", f"To contact us: {'. '.join(contact_lines(alert))}."]
    extra = footage_text(alert) if footage else None
    if extra:
        parts.append(extra)
    if alert.survey:
        parts.append(voice_line(alert.survey, two_way_number).strip())
    message = " ".join(parts)
    return f"{message} This message will now repeat. {message}"


def push_text(alert: Alert, language: str, sender_name: str) -> tuple[str, str]:
    content = pick_content(alert, language)
    tail = f" Ref {alert.incident_ref}. {', '.join(contact_lines(alert))}"
    room = max(20, PUSH_BODY_CHARS - len(tail))
    body = content.body if len(content.body) <= room else content.body[: room - 1].rsplit(" ", 1)[0] + "…"
    return f"{sender_name}: {content.title}", body + tail
