"""Reading what residents send back (issue 10, first part): an emailed reply's new text, sender and files within
limits (domain/email_replies.py), and what an inbound SMS asks for (domain/sms_replies.py)."""

from __future__ import annotations

import json
import random
from email.message import EmailMessage

import pytest

from chalicelib.domain.email_replies import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_PARTS,
    MAX_RAW_BYTES,
    MAX_REPLY_CHARS,
    html_to_text,
    parse_reply,
)
from chalicelib.domain.errors import HexwatchError
from chalicelib.domain.reply_addresses import alert_of, reply_address
from chalicelib.domain.sms_replies import MAX_SMS_REPLY_CHARS, SmsIntent, parse_inbound_payload, read_sms
from chalicelib.domain.tokens import KeyRing, TokenError, TokenSigner

ALERT_TEXT = "Burglaries on Mill Lane. Please lock doors and windows tonight. Incident SP-2026-1234."


def reply(body: str, *, html: str | None = None, sender: str = "Jo Bloggs <Jo@Example.org>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "replies+tok123@alerts.example"
    message["Cc"] = "neighbour@example.org"
    message["Subject"] = "Re: Burglaries on Mill Lane"
    message["Message-ID"] = "<abc@example.org>"
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def test_a_gmail_reply_keeps_the_new_text_and_drops_the_quoted_alert() -> None:
    body = ("I saw a white van parked there at 2am.\nPlate started KX.\n\n"
            "On Mon, 1 Dec 2026 at 10:00, Staffordshire Police <alerts@alerts.example>\nwrote:\n"
            f"> {ALERT_TEXT}\n")
    parsed = parse_reply(reply(body).as_bytes())
    assert parsed.text == "I saw a white van parked there at 2am.\nPlate started KX."
    assert parsed.sender == "jo@example.org"
    assert parsed.recipients == ("replies+tok123@alerts.example", "neighbour@example.org")
    assert parsed.subject == "Re: Burglaries on Mill Lane" and not parsed.truncated


@pytest.mark.parametrize("history", [
    f"-----Original Message-----\nFrom: Staffordshire Police\n{ALERT_TEXT}",
    f"________________________________\nFrom: Staffordshire Police\nSent: 01 December 2026 10:00\n{ALERT_TEXT}",
    f"From: Staffordshire Police <alerts@alerts.example>\nSent: Monday\nTo: Jo\nSubject: Burglaries\n\n{ALERT_TEXT}",
    f"-- \nJo Bloggs\nNeighbourhood Watch coordinator\n\n{ALERT_TEXT}",
    f"Sent from my iPhone\n\n{ALERT_TEXT}",
])
def test_outlook_and_phone_histories_and_signatures_are_left_out(history: str) -> None:
    assert parse_reply(reply(f"Van seen again tonight.\n\n{history}").as_bytes()).text == "Van seen again tonight."


def test_an_html_only_reply_is_read_as_text_without_the_quote_or_scripts() -> None:
    message = EmailMessage()
    message["From"] = "jo@example.org"
    message["To"] = "replies+tok123@alerts.example"
    message.set_content("<html><head><style>p{}</style></head><body><p>Two men &amp; a dog</p><div>at 9pm</div>"
                        "<script>alert(1)</script><div class='gmail_quote'><p>" + ALERT_TEXT + "</p></div>"
                        "</body></html>", subtype="html")
    assert parse_reply(message.as_bytes()).text == "Two men & a dog\n\nat 9pm"


def test_photos_are_kept_and_other_files_refused_with_the_reason() -> None:
    message = reply("Photo of the van attached.")
    message.add_attachment(b"\xff\xd8jpeg", maintype="image", subtype="jpeg", filename="van.jpg")
    message.add_attachment(b"MZ...", maintype="application", subtype="x-msdownload", filename="invoice.exe")
    message.add_attachment(b"0" * (MAX_ATTACHMENT_BYTES + 1), maintype="image", subtype="png", filename="big.png")
    parsed = parse_reply(message.as_bytes())
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [("van.jpg", "image/jpeg",
                                                                                   b"\xff\xd8jpeg")]
    assert len(parsed.refused) == 2
    assert "invoice.exe" in parsed.refused[0] and "not accepted" in parsed.refused[0]
    assert "big.png" in parsed.refused[1] and "MB" in parsed.refused[1]


def test_what_a_reply_may_cost_is_bounded() -> None:
    with pytest.raises(HexwatchError) as raised:
        parse_reply(b"From: a@example.org\n\n" + b"x" * MAX_RAW_BYTES)
    assert raised.value.status == 400 and raised.value.errors[0].pointer == "/message"

    many = reply("Lots of photos.")
    for n in range(MAX_PARTS + 5):
        many.add_attachment(b"img", maintype="image", subtype="png", filename=f"p{n}.png")
    parsed = parse_reply(many.as_bytes())
    assert len(parsed.attachments) == MAX_ATTACHMENTS
    assert any(f"more than {MAX_PARTS} parts" in reason for reason in parsed.refused)

    long = parse_reply(reply("word " * MAX_REPLY_CHARS).as_bytes())
    assert long.truncated and len(long.text) <= MAX_REPLY_CHARS


def test_a_message_with_no_sender_is_refused_naming_the_field() -> None:
    with pytest.raises(HexwatchError) as raised:
        parse_reply(b"To: replies+tok@alerts.example\nSubject: hi\n\nhello")
    assert raised.value.errors[0].pointer == "/message/from"


def test_html_text_keeps_line_breaks_of_blocks() -> None:
    assert html_to_text("<p>one</p><p>two<br>three</p>").split() == ["one", "two", "three"]


@pytest.mark.parametrize(("body", "intent"), [
    ("STOP", SmsIntent.OPT_OUT), ("stop", SmsIntent.OPT_OUT), (" Stop. ", SmsIntent.OPT_OUT),
    ("StopAll", SmsIntent.OPT_OUT), ("unsubscribe!", SmsIntent.OPT_OUT), ("END", SmsIntent.OPT_OUT),
    ("cancel", SmsIntent.OPT_OUT), ("START", SmsIntent.OPT_IN), ("start", SmsIntent.OPT_IN),
    ("stop the van on Mill Lane", SmsIntent.REPLY), ("I saw them at the end of the road", SmsIntent.REPLY),
    ("3", SmsIntent.ANSWER), ("7", SmsIntent.REPLY), ("0", SmsIntent.REPLY), ("", SmsIntent.REPLY),
])
def test_an_inbound_sms_is_read_as_the_resident_meant_it(body: str, intent: SmsIntent) -> None:
    assert read_sms(body).intent is intent


def test_a_survey_answer_carries_its_option_and_a_long_reply_is_cut() -> None:
    assert read_sms(" 2 ").option == 2
    long = read_sms("a" * (MAX_SMS_REPLY_CHARS + 10))
    assert long.truncated and len(long.text) == MAX_SMS_REPLY_CHARS


def test_parts_nested_thousands_deep_are_refused_not_a_crash() -> None:
    depth = 3000
    raw = b"From: a@example.org\nTo: replies+tok@alerts.example\nMIME-Version: 1.0\n"
    raw += b"".join(f'Content-Type: multipart/mixed; boundary="b{n}"\n\n--b{n}\n'.encode() for n in range(depth))
    raw += b"Content-Type: text/plain\n\nhello\n" + b"".join(f"--b{n}--\n".encode() for n in reversed(range(depth)))
    with pytest.raises(HexwatchError) as raised:
        parse_reply(raw)
    assert raised.value.errors[0].message == "is nested too deeply"


# Reply addresses -------------------------------------------------------------------------------------------------


def _signer(keys: dict[str, bytes], current: str) -> TokenSigner:
    return TokenSigner(KeyRing(keys, current), lambda: 1_800_000_000.0)


ALERT_ID = "01JDEFG0000000000000000ABC"  # a ULID: Crockford base32, so no I, L, O or U


def test_a_reply_address_names_its_alert_and_survives_a_server_that_changes_case() -> None:
    signer = _signer({"k1": b"key-one-for-tests"}, "k1")
    address = reply_address(ALERT_ID, "alerts.example", signer)
    local = address.split("@")[0]
    assert local.startswith("replies+01jdefg") and len(local) <= 64 and local == local.lower()
    assert alert_of(address, signer) == ALERT_ID
    assert alert_of(address.upper(), signer) == ALERT_ID


def test_a_guessed_or_altered_reply_address_is_refused() -> None:
    signer = _signer({"k1": b"key-one-for-tests"}, "k1")
    address = reply_address(ALERT_ID, "alerts.example", signer)
    other_alert = address.replace("01jdefg", "01jdefh")
    with pytest.raises(TokenError, match="forged"):
        alert_of(other_alert, signer)
    with pytest.raises(TokenError, match="forged"):
        alert_of(reply_address(ALERT_ID, "alerts.example", _signer({"k9": b"someone-else"}, "k9")), signer)
    for not_ours in (f"replies+{ALERT_ID.lower()}@alerts.example", "jo@example.org", "replies+@alerts.example",
                     address.replace("@", "@@")):
        with pytest.raises(TokenError, match="malformed"):
            alert_of(not_ours, signer)


def test_a_reply_address_made_before_a_key_rotation_is_still_accepted() -> None:
    old = _signer({"k1": b"key-one-for-tests"}, "k1")
    rotated = _signer({"k1": b"key-one-for-tests", "k2": b"key-two-for-tests"}, "k2")
    assert alert_of(reply_address(ALERT_ID, "alerts.example", old), rotated) == ALERT_ID


def _payload(**changes: object) -> str:
    payload = {"originationNumber": "+447400123456", "destinationNumber": "+447700900100", "messageKeyword": "KEYWORD",
               "messageBody": "Stop", "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84",
               "previousPublishedMessageId": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", **changes}
    return json.dumps({k: v for k, v in payload.items() if v is not None})


def test_the_providers_inbound_payload_is_read_and_its_words_understood() -> None:
    event = parse_inbound_payload(_payload())
    assert (event.from_number, event.to_number, event.sms.intent) == ("+447400123456", "+447700900100",
                                                                      SmsIntent.OPT_OUT)
    assert event.message_id == "cae173d2-66b9-564c-8309-21f858e9fb84"
    assert event.replying_to == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert parse_inbound_payload(_payload(previousPublishedMessageId=None)).replying_to is None


@pytest.mark.parametrize("bad", [
    "not json", "[1, 2]", "[" * 100_000, _payload(originationNumber="07400123456"),
    _payload(originationNumber=None), _payload(messageBody=None), _payload(messageBody=7),
    _payload(inboundMessageId="x" * 300), _payload(messageBody="a" * 20_000),
])
def test_a_malformed_inbound_payload_is_refused_naming_what_is_wrong(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_inbound_payload(bad)


def test_malformed_headers_are_refused_naming_the_message_not_a_crash() -> None:
    # Headers the standard library's parser stumbles on (an IndexError, an AttributeError), then random damage to a
    # good message: every one is read or refused with a 400, never an unexpected exception.
    crashing = [b"From: Jo <\no@example.org>\nTo: replies+x@y.z\nSubject: R(: x\n\nhello",
                b"From: Jo <jo@[xample.or\\>\nTo: replies+x@y.z\n\nhello"]
    good = (b"From: Jo <jo@example.org>\nTo: replies+x@y.z\nSubject: Re: x\nContent-Type: multipart/alternative; "
            b'boundary="q"\n\n--q\nContent-Type: text/plain; charset=utf-8\n\nhello\n--q\nContent-Type: text/html\n\n'
            b"<p>hi</p>\n--q--\n")
    damaged = []
    chooser = random.Random(1)
    for _ in range(300):
        message = bytearray(good)
        for _ in range(chooser.randint(1, 8)):
            message[chooser.randrange(len(message))] = chooser.choice(b' <>"@:;,=\n\\()[]\xff')
        damaged.append(bytes(message))
    for raw in [*crashing, *damaged]:
        try:
            parse_reply(raw)
        except HexwatchError as refused:
            assert refused.status == 400 and refused.errors[0].pointer.startswith("/message")
