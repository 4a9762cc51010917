"""A neighbourhood event an alert announces, as an iCalendar file (RFC 5545). Pure: no AWS here.

Times are stored in UTC and written as Europe/London local times with a VTIMEZONE that carries the UK's rules (GMT in
winter, BST from the last Sunday of March at 01:00 UTC to the last Sunday of October at 01:00 UTC), so a calendar
shows the time the officer meant on either side of a clock change. Text values are escaped (backslash, semicolon,
comma, newline) and lines folded at 75 octets, as the RFC requires; the file is written here rather than with a
library so that the Lambda layer carries no calendar package (tests/unit/test_events.py reads it back with icalendar).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .alerts import LONDON, parse_time

PRODID = "-//Hexwatch//Community alerts//EN"
VTIMEZONE = [
    "BEGIN:VTIMEZONE", "TZID:Europe/London",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0000", "TZOFFSETTO:+0100", "TZNAME:BST", "DTSTART:19810329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0000", "TZNAME:GMT", "DTSTART:19961027T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
]


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n")
            .replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF and a space, never splitting a UTF-8 character."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _local(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y%m%dT%H%M%S")


def ics(alert_id: str, event: Mapping[str, Any], organiser: str, contact: str, uid_domain: str,
        stamp: datetime) -> bytes:
    """One VEVENT in a VCALENDAR (METHOD:PUBLISH), its UID the alert's, so a second copy updates the first."""
    start, end = parse_time(event["start"], "/event/start"), parse_time(event["end"], "/event/end")
    description = str(event.get("description") or "")
    if contact:
        description = f"{description}\n{contact}".strip()
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH", *VTIMEZONE,
        "BEGIN:VEVENT", f"UID:{alert_id.lower()}@{uid_domain}", f"DTSTAMP:{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTSTART;TZID=Europe/London:{_local(start)}", f"DTEND;TZID=Europe/London:{_local(end)}",
        f"SUMMARY:{_escape(str(event['title']))}", f"LOCATION:{_escape(str(event['place']))}",
        f"DESCRIPTION:{_escape(description)}", f"ORGANIZER;CN={_escape(organiser)}:mailto:noreply@{uid_domain}",
        "END:VEVENT", "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
