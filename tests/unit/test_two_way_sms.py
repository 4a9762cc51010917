"""Two-way SMS without AWS: the exact requests of the two-way number's adapters (Stubber), the opt-out words, the
30-day rule, reply ids, and the local outbox's inbound texts and filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters.messaging import SnsSmsSender
from chalicelib.adapters.sms_opt_outs import SmsVoiceOptOutList
from chalicelib.domain.alert_messages import OPT_OUT_WORDS, AlertLinks, sms_text
from chalicelib.domain.alerts import Alert, Content, Source, Status
from chalicelib.domain.replies import reply_id
from chalicelib.domain.sms import segments
from chalicelib.domain.sms_replies import OPT_IN_INTERVAL_SECONDS, next_opt_in
from infra.local.inbound import inbound_sms_payload
from infra.local.outbox_actions import filter_messages, text_us_from_request

TWO_WAY = "+447700900123"
LINKS = AlertLinks("https://alerts.example.org", "https://alerts.example.org")


def client(service: str) -> Any:
    return boto3.client(service, region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def test_with_a_two_way_number_every_sms_goes_from_it_and_not_from_the_sender_id() -> None:
    sns = client("sns")
    with Stubber(sns) as stub:
        stub.add_response("publish", {"MessageId": "m-1"}, {
            "PhoneNumber": "+447400123401", "Message": "Alert",
            "MessageAttributes": {
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.MM.SMS.OriginationNumber": {"DataType": "String", "StringValue": TWO_WAY}}})
        assert SnsSmsSender(sns, sender_id="POLICE", origination_number=TWO_WAY).publish("+447400123401",
                                                                                          "Alert") == "m-1"
        stub.assert_no_pending_responses()


def test_stop_and_start_are_mirrored_to_the_numbers_opt_out_list() -> None:
    sms_voice = client("pinpoint-sms-voice-v2")
    with Stubber(sms_voice) as stub:
        stub.add_response("put_opted_out_number", {"OptOutListName": "hexwatch", "OptedOutNumber": TWO_WAY},
                          {"OptOutListName": "hexwatch", "OptedOutNumber": TWO_WAY})
        stub.add_response("delete_opted_out_number", {"OptOutListName": "hexwatch", "OptedOutNumber": TWO_WAY},
                          {"OptOutListName": "hexwatch", "OptedOutNumber": TWO_WAY})
        stub.add_client_error("delete_opted_out_number", "ResourceNotFoundException", http_status_code=404,
                              expected_params={"OptOutListName": "hexwatch", "OptedOutNumber": TWO_WAY})
        stub.add_client_error("delete_opted_out_number", "ThrottlingException", http_status_code=400,
                              expected_params={"OptOutListName": "hexwatch", "OptedOutNumber": TWO_WAY})
        mirror = SmsVoiceOptOutList(sms_voice, "hexwatch")
        mirror.opt_out(TWO_WAY)
        mirror.opt_in(TWO_WAY)
        mirror.opt_in(TWO_WAY)  # not on the list: opted in already, which is what was asked
        with pytest.raises(Exception, match="Throttling"):
            mirror.opt_in(TWO_WAY)  # anything else is raised, so that the event is retried
        stub.assert_no_pending_responses()


def alert(body: str) -> Alert:
    return Alert(id="01JABCDEFGHJKMNPQRSTVWXYZ0", type="alert", references=[], status=Status.SENDING,
                 category="crime", priority="normal", incident_ref="SP-1", contact={"phone": "101"},
                 target={"type": "organisation"}, channels=["sms"], groups=[], business_sectors=[],
                 content={"en": Content("Doors", body)}, source=Source("officer", "staffordshire", "sub"),
                 created_at=datetime(2026, 12, 2, tzinfo=UTC))


def test_alert_sms_end_with_the_opt_out_words_only_where_they_cost_no_extra_segment() -> None:
    short = sms_text(alert("Lock up."), "en", "Staffs Police", LINKS, 3, opt_out_words=True)
    assert short.endswith(OPT_OUT_WORDS)
    assert not sms_text(alert("Lock up."), "en", "Staffs Police", LINKS, 3).endswith(OPT_OUT_WORDS)
    # A text that fills its one segment: the words would make it two, so they are left out.
    without = sms_text(alert("x" * 100), "en", "Staffs Police", LINKS, 3)
    assert segments(without) == 1 and segments(without + OPT_OUT_WORDS) == 2
    assert sms_text(alert("x" * 100), "en", "Staffs Police", LINKS, 3, opt_out_words=True) == without


def test_a_start_is_honoured_once_in_thirty_days() -> None:
    assert next_opt_in(None, 1_000.0) is None
    assert next_opt_in(1_000.0, 1_000.0 + OPT_IN_INTERVAL_SECONDS) is None
    assert next_opt_in(1_000.0, 1_000.0 + 86_400) == 1_000.0 + OPT_IN_INTERVAL_SECONDS


def test_the_same_message_always_gets_the_same_reply_id_and_ids_sort_by_arrival() -> None:
    assert reply_id(1_796_000_000.5, "sms:abc") == reply_id(1_796_000_000.5, "sms:abc")
    assert reply_id(1_796_000_000.5, "sms:abc") != reply_id(1_796_000_000.5, "sms:abd")
    assert reply_id(1_796_000_000.5, "sms:zzz") < reply_id(1_796_000_001.0, "sms:aaa")


def test_the_outbox_builds_the_providers_inbound_shape_and_refuses_bad_input_naming_the_field() -> None:
    payload = inbound_sms_payload("+447400123401", "stop please", message_id="in-1", replying_to="out-1")
    assert payload == {"originationNumber": "+447400123401", "destinationNumber": TWO_WAY, "messageKeyword": "STOP",
                       "messageBody": "stop please", "inboundMessageId": "in-1",
                       "previousPublishedMessageId": "out-1"}
    status, answer = text_us_from_request(b'{"from": "07400 123401", "text": "STOP"}', "application/json")
    assert status == 400 and answer["errors"][0]["pointer"] == "/from"
    status, answer = text_us_from_request(b"from=%2B447400123401&text=", "application/x-www-form-urlencoded")
    assert status == 400 and answer["errors"][0]["pointer"] == "/text"
    status, answer = text_us_from_request(b"[1]", "application/json")
    assert status == 400


def test_the_outbox_filters_by_channel_recipient_and_alert() -> None:
    messages = [
        {"channel": "sms", "to": ["+447400123401"], "text": "A", "headers": {}, "links": []},
        {"channel": "email", "to": ["a@example.org"], "text": "B", "headers": {"X-Hexwatch-Alert": "01JALERT"},
         "links": []},
        {"channel": "sms", "to": ["+447400123402"], "text": "C https://x/alert.html?id=01JALERT", "headers": {},
         "links": []},
    ]
    assert [m["text"] for m in filter_messages(messages, "channel=sms")] == ["A", "C https://x/alert.html?id=01JALERT"]
    assert [m["text"] for m in filter_messages(messages, "to=%2B447400123401")] == ["A"]
    assert [m["text"] for m in filter_messages(messages, "alert=01JALERT")] == ["B",
                                                                                "C https://x/alert.html?id=01JALERT"]
    assert filter_messages(messages, "") == messages


def test_the_deploy_step_makes_the_number_two_way_with_self_managed_opt_outs(
        capsys: pytest.CaptureFixture[str]) -> None:
    from infra import two_way_number

    topic = "arn:aws:sns:eu-west-2:123456789012:hexwatch-inbound-sms"
    sms_voice = client("pinpoint-sms-voice-v2")
    with Stubber(sms_voice) as stub:
        stub.add_response("update_phone_number", {
            "PhoneNumberId": "phone-0123", "PhoneNumber": TWO_WAY, "TwoWayEnabled": True, "TwoWayChannelArn": topic,
            "SelfManagedOptOutsEnabled": True, "OptOutListName": "Default"}, {
            "PhoneNumberId": "phone-0123", "TwoWayEnabled": True, "TwoWayChannelArn": topic,
            "SelfManagedOptOutsEnabled": True, "OptOutListName": "Default"})
        assert two_way_number.main(["--phone-number-id", "phone-0123", "--topic-arn", topic], client=sms_voice) == 0
        stub.assert_no_pending_responses()
    assert f"TwoWayNumber = {TWO_WAY}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        two_way_number.main(["--phone-number-id", "phone-0123", "--topic-arn", "not-a-topic"], client=sms_voice)
