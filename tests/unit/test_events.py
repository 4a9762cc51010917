"""An event alert's calendar file, read back by a real calendar parser (icalendar): the right local times on either
side of the UK's clock changes, text escaped, lines folded; and the email carries it as an attachment."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar

from chalicelib.domain.alert_messages import AlertLinks, email_content
from chalicelib.domain.alerts import Alert, Content, Source, Status
from chalicelib.domain.events import ics

LONDON = ZoneInfo("Europe/London")
STAMP = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def event(start: str, end: str, **extra: str) -> dict[str, str]:
    return {"title": "Beat meeting", "start": start, "end": end, "place": "Village hall, Church Lane", **extra}


def parsed(data: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(data)
    (vevent,) = calendar.walk("VEVENT")
    return vevent


def local(value: datetime) -> tuple[int, int, str]:
    moment = value.astimezone(LONDON)
    return moment.hour, moment.minute, moment.tzname() or ""


def test_local_times_are_right_on_both_sides_of_the_autumn_clock_change() -> None:
    # Saturday 24 October 2026 is BST; the clocks go back at 02:00 on Sunday 25 October.
    before = parsed(ics("01J0ABCDEFGHJKMNPQRSTVWXYZ", event("2026-10-24T17:30:00Z", "2026-10-24T19:00:00Z"),
                        "Staffordshire Police", "101", "alerts.example.org", STAMP))
    after = parsed(ics("01J0ABCDEFGHJKMNPQRSTVWXYZ", event("2026-10-31T18:30:00Z", "2026-10-31T20:00:00Z"),
                       "Staffordshire Police", "101", "alerts.example.org", STAMP))
    assert local(before["DTSTART"].dt) == (18, 30, "BST") and local(before["DTEND"].dt) == (20, 0, "BST")
    assert local(after["DTSTART"].dt) == (18, 30, "GMT") and local(after["DTEND"].dt) == (20, 0, "GMT")
    assert before["DTSTART"].dt == datetime(2026, 10, 24, 17, 30, tzinfo=UTC)
    assert after["DTSTART"].dt == datetime(2026, 10, 31, 18, 30, tzinfo=UTC)


def test_an_event_across_the_spring_change_keeps_its_real_length() -> None:
    # 00:30 GMT to 03:30 BST on Sunday 29 March 2026 is two hours (the clocks go forward at 01:00 GMT).
    vevent = parsed(ics("01J0ABCDEFGHJKMNPQRSTVWXYZ", event("2026-03-29T00:30:00Z", "2026-03-29T02:30:00Z"),
                        "Staffordshire Police", "101", "alerts.example.org", STAMP))
    # (In UTC: Python subtracts two times of one zone by their wall clocks, which is what a calendar must not do.)
    length = vevent["DTEND"].dt.astimezone(UTC) - vevent["DTSTART"].dt.astimezone(UTC)
    assert length.total_seconds() == 2 * 3600
    assert local(vevent["DTEND"].dt) == (3, 30, "BST")


def test_text_is_escaped_and_long_lines_folded() -> None:
    description = "Bring tea; cake, and questions.\nAll welcome. " + "Long words " * 20
    data = ics("01J0ABCDEFGHJKMNPQRSTVWXYZ", event("2026-11-05T19:00:00Z", "2026-11-05T20:00:00Z",
                                                   description=description),
               "Staffordshire Police", "Call 101", "alerts.example.org", STAMP)
    assert all(len(line.encode()) <= 75 for line in data.decode().split("\r\n"))
    vevent = parsed(data)
    assert str(vevent["LOCATION"]) == "Village hall, Church Lane"
    assert str(vevent["DESCRIPTION"]) == f"{description}\nCall 101"
    assert str(vevent["UID"]) == "01j0abcdefghjkmnpqrstvwxyz@alerts.example.org"


def test_the_event_alerts_email_carries_the_calendar_file_and_says_when_in_local_time() -> None:
    alert = Alert(id="01J0ABCDEFGHJKMNPQRSTVWXYZ", type="alert", references=[], status=Status.SENDING,
                  category="neighbourhood", priority="low", incident_ref="SP-EVT-1", contact={"phone": "101"},
                  target={"type": "organisation"}, channels=["email"], groups=[], business_sectors=[],
                  content={"en": Content("Beat meeting", "Come and meet your team.")},
                  source=Source("officer", "staffordshire", "sub"), created_at=STAMP,
                  event=event("2026-10-31T18:30:00Z", "2026-10-31T20:00:00Z"))
    links = AlertLinks("https://alerts.example.org", "https://api.example.org")
    email = email_content(alert, "en", "Staffordshire Police", links)
    ((filename, content_type, data),) = email.attachments
    assert filename == "event.ics" and content_type.startswith("text/calendar")
    assert local(parsed(data)["DTSTART"].dt) == (18, 30, "GMT")
    assert "When: 31 October 2026, 18:30 GMT to 31 October 2026, 20:00 GMT" in email.text
    assert "https://api.example.org/v1/public/alerts/staffordshire/01J0ABCDEFGHJKMNPQRSTVWXYZ/event.ics" in email.text


def test_the_bulk_sender_attaches_the_calendar_file_once_for_every_recipient() -> None:
    import boto3
    from botocore.stub import ANY, Stubber

    from chalicelib.adapters.bulk_email import SesBulkEmailSender
    from chalicelib.domain.delivery import EmailContent, EmailRecipient

    data = ics("01J0ABCDEFGHJKMNPQRSTVWXYZ", event("2026-10-31T18:30:00Z", "2026-10-31T20:00:00Z"),
               "Staffordshire Police", "101", "alerts.example.org", STAMP)
    content = EmailContent("Beat meeting", "Come.", "<p>Come.</p>",
                           attachments=(("event.ics", "text/calendar; method=PUBLISH; charset=utf-8", data),))
    sesv2 = boto3.client("sesv2", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    template = {"TemplateContent": {"Subject": "Beat meeting", "Text": "Come.", "Html": "<p>Come.</p>"},
                "TemplateData": "{}",
                "Attachments": [{"RawContent": data, "FileName": "event.ics", "ContentDisposition": "ATTACHMENT",
                                 "ContentType": "text/calendar; method=PUBLISH; charset=utf-8"}]}
    with Stubber(sesv2) as stub:
        stub.add_response("send_bulk_email", {"BulkEmailEntryResults": [{"Status": "SUCCESS", "MessageId": "m-1"}]},
                          {"FromEmailAddress": ANY, "DefaultContent": {"Template": template}, "BulkEmailEntries": ANY})
        SesBulkEmailSender(sesv2, "alerts@hexwatch.example").send(
            content, [EmailRecipient("email#1", "a@example.org", {}, {})])
        stub.assert_no_pending_responses()
