"""Delivery feedback without AWS: each recorded event shape parsed (domain/receipts.py), and the exact requests that
wire feedback in (configuration sets, SES tags, the voice call's Context, SetSMSAttributes) with botocore's Stubber."""

from __future__ import annotations

import base64
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.adapters.bulk_email import LocalEmailSender
from chalicelib.adapters.messaging import SesEmailSender
from chalicelib.adapters.voice import PinpointVoiceSender
from chalicelib.domain.delivery import EmailContent, EmailRecipient, Outcome, SendResult, VoiceCall
from chalicelib.domain.messages import RenderedEmail
from chalicelib.domain.receipts import (
    MAX_TAG_VALUE,
    Verdict,
    decode_tag_value,
    encode_tag_value,
    is_tag_value,
    parse_ses_event,
    parse_sms_delivery_record,
    parse_sms_logs,
    parse_voice_event,
)
from infra import sms_delivery_status
from tests import delivery_events as events

TO = "resident@hexwatch.example"
KEY = "email#0a#01JRESIDENT0000000000000000"


def client(service: str) -> Any:
    return boto3.client(service, region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")


# --- SES tags ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [KEY, "sms#ff#01J", "voice#00#x", "email#0a#ré"])
def test_a_ledger_key_becomes_a_tag_value_ses_accepts_and_comes_back(key: str) -> None:
    value = encode_tag_value(key)
    assert is_tag_value(value) and "#" not in value and "=" not in value
    assert decode_tag_value(value) == key


def test_tag_values_outside_the_ses_charset_or_too_long_are_refused() -> None:
    assert decode_tag_value("a#b") is None and decode_tag_value("") is None
    assert decode_tag_value("A" * (MAX_TAG_VALUE + 1)) is None
    with pytest.raises(ValueError):
        encode_tag_value("x" * 200)  # 200 bytes are 267 characters of base64


# --- SES events ----------------------------------------------------------------------------------------------------


def test_a_delivery_event_names_its_alert_entry_and_message() -> None:
    feedback = parse_ses_event(events.ses_delivery("m-1", TO, "01JALERT", KEY))
    assert feedback is not None
    assert (feedback.verdict, feedback.kind, feedback.message_id) == (Verdict.DELIVERED, "Delivery", "m-1")
    assert (feedback.alert_id, feedback.ledger_key, feedback.suppress) == ("01JALERT", KEY, ())


def test_a_permanent_bounce_suppresses_and_a_transient_one_does_not() -> None:
    permanent = parse_ses_event(events.ses_bounce("m-1", TO, "01JALERT", KEY))
    transient = parse_ses_event(events.ses_bounce("m-2", TO, "01JALERT", KEY, "Transient", "MailboxFull"))
    assert permanent is not None and transient is not None
    assert permanent.verdict is Verdict.BOUNCED and permanent.suppress == ((TO, "bounced"),)
    assert permanent.detail == "bounce:Permanent:General"
    assert transient.verdict is Verdict.BOUNCED and transient.suppress == ()
    assert transient.detail == "bounce:Transient:MailboxFull"
    assert TO not in permanent.detail and "550" not in permanent.detail  # no address, no SMTP text in the ledger


def test_a_complaint_suppresses_and_changes_no_delivery() -> None:
    feedback = parse_ses_event(events.ses_complaint("m-1", TO, "01JALERT", KEY))
    assert feedback is not None
    assert feedback.verdict is Verdict.COMPLAINED and feedback.suppress == ((TO, "complained"),)
    assert feedback.detail == "complaint:abuse"


def test_reject_and_rendering_failure_are_failures_and_a_delay_is_not_final() -> None:
    reject = parse_ses_event(events.ses_reject("m-1", TO, "01JALERT", KEY))
    rendering = parse_ses_event(events.ses_rendering_failure("m-2", TO))
    delay = parse_ses_event(events.ses_delivery_delay("m-3", TO))
    assert reject is not None and (reject.verdict, reject.detail) == (Verdict.FAILED, "rejected")
    assert rendering is not None and (rendering.verdict, rendering.detail) == (Verdict.FAILED, "rendering-failure")
    assert delay is not None and delay.verdict is Verdict.PENDING and delay.suppress == ()


def test_the_older_notification_shape_still_suppresses_and_names_the_alert_from_its_header() -> None:
    feedback = parse_ses_event(events.ses_notification_bounce(TO, "01JALERT"))
    assert feedback is not None
    assert feedback.suppress == ((TO, "bounced"),) and feedback.alert_id == "01JALERT"
    assert feedback.ledger_key is None


@pytest.mark.parametrize("document", [
    None, [], "text", {}, {"Type": "SubscriptionConfirmation"}, {"eventType": "Unknown"}, {"eventType": 3},
    {"notificationType": "Bounce", "bounce": "not a mapping", "mail": []},
])
def test_foreign_or_malformed_documents_are_none_or_harmless(document: Any) -> None:
    feedback = parse_ses_event(document)
    assert feedback is None or feedback.suppress == ()


def test_a_tag_that_is_not_base64url_gives_no_ledger_key() -> None:
    document = events.ses_delivery("m-1", TO, "01JALERT")
    document["mail"]["tags"]["ledger_key"] = ["email#0a#x"]
    feedback = parse_ses_event(document)
    assert feedback is not None and feedback.ledger_key is None


# --- voice events --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("event_type", "verdict"), [
    ("VOICE_COMPLETED", Verdict.DELIVERED), ("VOICE_NO_ANSWER", Verdict.FAILED), ("VOICE_BUSY", Verdict.FAILED),
    ("VOICE_FAILED", Verdict.FAILED), ("VOICE_TTL_EXPIRED", Verdict.FAILED), ("VOICE_RINGING", Verdict.PENDING),
    ("VOICE_INITIATED", Verdict.PENDING),
])
def test_voice_events_map_to_verdicts_with_the_context_key(event_type: str, verdict: Verdict) -> None:
    receipt = parse_voice_event(events.voice_event("v-1", event_type, key="voice#0a#01J", status="X"))
    assert receipt is not None
    assert (receipt.channel, receipt.message_id, receipt.verdict, receipt.ledger_key) == \
        ("voice", "v-1", verdict, "voice#0a#01J")
    assert "+44" not in receipt.detail


@pytest.mark.parametrize("document", [None, {}, {"eventType": "TEXT_DELIVERED", "messageId": "x"},
                                      {"eventType": "VOICE_COMPLETED"}])
def test_other_events_are_not_voice_receipts(document: Any) -> None:
    assert parse_voice_event(document) is None


# --- SMS delivery-status logs --------------------------------------------------------------------------------------


def test_a_logs_payload_gives_one_receipt_per_record_and_never_the_number() -> None:
    event = events.logs_event([events.sms_delivery_record("s-1"), events.sms_delivery_record("s-2", success=False)],
                              extra_messages=["not json", '{"notification": {}}'])
    batch = parse_sms_logs(event)
    assert batch is not None and not batch.control and batch.unreadable == 2
    assert [(r.channel, r.message_id, r.verdict, r.detail) for r in batch.receipts] == [
        ("sms", "s-1", Verdict.DELIVERED, "SUCCESS"), ("sms", "s-2", Verdict.FAILED, "FAILURE")]
    assert "+447700900123" not in repr(batch)


def test_a_control_message_and_a_foreign_payload_give_no_receipts() -> None:
    control = parse_sms_logs(events.logs_control_event())
    assert control is not None and control.control and control.receipts == []
    assert parse_sms_logs({"awslogs": {"data": "not base64!"}}) is None
    assert parse_sms_logs({"awslogs": {"data": base64.b64encode(b"not gzip").decode()}}) is None
    assert parse_sms_logs({"Records": []}) is None
    assert parse_sms_delivery_record('{"notification": {"messageId": "x"}, "status": "PENDING"}') is None


# --- the exact requests ------------------------------------------------------------------------------------------


def test_the_local_single_sender_names_the_configuration_set_and_tags_each_message() -> None:
    sesv2 = client("sesv2")
    content = EmailContent("Subject", "Text {{u}}", "<p>{{u}}</p>", tags={"alert_id": "01JALERT"})
    recipient = EmailRecipient(KEY, TO, {"u": "https://x"})
    with Stubber(sesv2) as stub:
        stub.add_response("send_email", {"MessageId": "m-1"}, {
            "FromEmailAddress": "alerts@hexwatch.example",
            "Destination": {"ToAddresses": [TO]},
            "Content": {"Raw": {"Data": ANY}},
            "EmailTags": [{"Name": "alert_id", "Value": "01JALERT"},
                          {"Name": "ledger_key", "Value": encode_tag_value(KEY)}],
            "ConfigurationSetName": "hexwatch-deliveries",
        })
        results = LocalEmailSender(sesv2, "alerts@hexwatch.example",
                                   configuration_set="hexwatch-deliveries").send(content, [recipient])
        stub.assert_no_pending_responses()
    assert results == [SendResult(KEY, Outcome.ACCEPTED, provider_id="m-1")]


def test_transactional_email_names_the_configuration_set() -> None:
    sesv2 = client("sesv2")
    with Stubber(sesv2) as stub:
        stub.add_response("send_email", {"MessageId": "m-1"}, {
            "FromEmailAddress": "alerts@hexwatch.example", "Destination": {"ToAddresses": [TO]},
            "Content": {"Raw": {"Data": ANY}}, "ConfigurationSetName": "hexwatch-deliveries"})
        sender = SesEmailSender(sesv2, "alerts@hexwatch.example", configuration_set="hexwatch-deliveries")
        assert sender.send(TO, RenderedEmail("Subject", "Text", "<p>Html</p>", {})) == "m-1"
        stub.assert_no_pending_responses()


def test_a_voice_call_names_the_configuration_set_and_carries_its_ledger_key_as_context() -> None:
    voice = client("pinpoint-sms-voice-v2")
    with Stubber(voice) as stub:
        stub.add_response("send_voice_message", {"MessageId": "v-1"}, {
            "DestinationPhoneNumber": "+447700900123", "OriginationIdentity": "+447700900000",
            "MessageBody": "Police alert", "MessageBodyTextType": "TEXT", "VoiceId": "AMY",
            "ConfigurationSetName": "hexwatch-voice", "Context": {"key": "voice#0a#01J"}})
        results = PinpointVoiceSender(voice, "+447700900000", configuration_set="hexwatch-voice").send(
            [VoiceCall("voice#0a#01J", "+447700900123", "Police alert", "en")])
        stub.assert_no_pending_responses()
    assert results == [SendResult("voice#0a#01J", Outcome.ACCEPTED, provider_id="v-1")]


ROLE = "arn:aws:iam::123456789012:role/hexwatch-resources-SmsDeliveryStatusRole-ABC123"


def test_sms_delivery_status_sets_the_accounts_sms_attributes() -> None:
    sns = client("sns")
    attributes = {"DeliveryStatusIAMRole": ROLE, "DeliveryStatusSuccessSamplingRate": "100"}
    with Stubber(sns) as stub:
        stub.add_response("set_sms_attributes", {}, {"attributes": attributes})
        stub.add_response("get_sms_attributes", {"attributes": attributes},
                          {"attributes": ["DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate"]})
        assert sms_delivery_status.main(["--role-arn", ROLE, "--sampling-rate", "100"], sns=sns) == 0
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("argv", [["--role-arn", "not-an-arn"], ["--role-arn", ROLE, "--sampling-rate", "101"]])
def test_sms_delivery_status_refuses_bad_arguments_before_any_call(argv: list[str]) -> None:
    sns = client("sns")
    with Stubber(sns), pytest.raises(SystemExit) as exited:
        sms_delivery_status.main(argv, sns=sns)
    assert exited.value.code == 2
