"""The exact AWS requests of the alert channel adapters (SMS, voice, push), and how they sort what AWS answers."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from chalicelib.adapters.messaging import SnsSmsSender
from chalicelib.adapters.provider_errors import NOT_ATTEMPTED
from chalicelib.adapters.push import SnsPushSender
from chalicelib.adapters.voice import MAX_MESSAGE_BODY, VOICES, LocalVoiceOutbox, PinpointVoiceSender, voice_for
from chalicelib.domain.delivery import Outcome, PushMessage, SendResult, SmsMessage, VoiceCall
from chalicelib.domain.messages import code_call, code_call_text

ORIGIN = "+447700900000"
ENDPOINT = "arn:aws:sns:eu-west-2:123456789012:endpoint/GCM/hexwatch/0a1b2c3d"


def client(service: str):  # type: ignore[no-untyped-def]
    return boto3.client(service, region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def sms_attributes(sender_id: str | None = None, sms_type: str = "Transactional") -> dict[str, Any]:
    attributes: dict[str, Any] = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": sms_type}}
    if sender_id:
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
    return attributes


def sms(n: int) -> SmsMessage:
    return SmsMessage(f"sms#{n}", f"+4474001234{n:02d}", f"Alert {n}")


def sms_params(n: int, sender_id: str | None = "POLICE") -> dict[str, Any]:
    return {"PhoneNumber": f"+4474001234{n:02d}", "Message": f"Alert {n}",
            "MessageAttributes": sms_attributes(sender_id)}


def voice_params(to: str, text: str, voice: str, key: str, **extra: Any) -> dict[str, Any]:
    return {
        "DestinationPhoneNumber": to,
        "OriginationIdentity": ORIGIN,
        "MessageBody": text,
        "MessageBodyTextType": "TEXT",
        "VoiceId": voice,
        "Context": {"key": key},
        **extra,
    }


# --- SMS


def test_alert_sms_are_published_one_by_one_with_the_type_and_sender_id() -> None:
    sns = client("sns")
    with Stubber(sns) as stub:
        stub.add_response("publish", {"MessageId": "s-1"}, sms_params(1))
        stub.add_response("publish", {"MessageId": "s-2"}, sms_params(2))
        results = SnsSmsSender(sns, sender_id="POLICE").send([sms(1), sms(2)])
        stub.assert_no_pending_responses()
    assert results == [
        SendResult("sms#1", Outcome.ACCEPTED, provider_id="s-1"),
        SendResult("sms#2", Outcome.ACCEPTED, provider_id="s-2"),
    ]


def test_alert_sms_without_a_sender_id_send_only_the_type() -> None:
    sns = client("sns")
    with Stubber(sns) as stub:
        stub.add_response(
            "publish",
            {"MessageId": "s-1"},
            {"PhoneNumber": "+447400123401", "Message": "Alert 1",
             "MessageAttributes": sms_attributes(sms_type="Promotional")},
        )
        results = SnsSmsSender(sns, sms_type="Promotional").send([sms(1)])
        stub.assert_no_pending_responses()
    assert results == [SendResult("sms#1", Outcome.ACCEPTED, provider_id="s-1")]


@pytest.mark.parametrize(("code", "status"), [("Throttling", 400), ("ThrottlingException", 400), ("Anything", 429)])
def test_a_throttled_sms_stops_the_batch_and_the_rest_are_retryable_unattempted(code: str, status: int) -> None:
    sns = client("sns")
    with Stubber(sns) as stub:
        stub.add_response("publish", {"MessageId": "s-1"}, sms_params(1))
        stub.add_client_error("publish", code, "Rate exceeded", status, expected_params=sms_params(2))
        # No more responses: a third publish would fail the Stubber.
        results = SnsSmsSender(sns, sender_id="POLICE").send([sms(1), sms(2), sms(3), sms(4)])
        stub.assert_no_pending_responses()
    assert results == [
        SendResult("sms#1", Outcome.ACCEPTED, provider_id="s-1"),
        SendResult("sms#2", Outcome.RETRYABLE, error=code),
        SendResult("sms#3", Outcome.RETRYABLE, error=NOT_ATTEMPTED),
        SendResult("sms#4", Outcome.RETRYABLE, error=NOT_ATTEMPTED),
    ]


def test_a_500_is_retryable_and_a_refused_number_permanent_and_the_rest_are_still_sent() -> None:
    sns = client("sns")
    with Stubber(sns) as stub:
        stub.add_client_error("publish", "InternalError", "oops", 500, expected_params=sms_params(1))
        stub.add_client_error(
            "publish", "InvalidParameter", "Invalid parameter: PhoneNumber Reason: +447400123402 is not valid", 400,
            expected_params=sms_params(2),
        )
        stub.add_response("publish", {"MessageId": "s-3"}, sms_params(3))
        results = SnsSmsSender(sns, sender_id="POLICE").send([sms(1), sms(2), sms(3)])
        stub.assert_no_pending_responses()
    assert results == [
        SendResult("sms#1", Outcome.RETRYABLE, error="InternalError"),
        SendResult("sms#2", Outcome.PERMANENT, error="InvalidParameter"),
        SendResult("sms#3", Outcome.ACCEPTED, provider_id="s-3"),
    ]
    assert all("+44" not in (result.error or "") for result in results)  # never the number, not even from AWS


class FakeClock:
    """Time that passes only when the code under test sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def published_at(sns: Any, clock: FakeClock) -> list[float]:
    times: list[float] = []
    sns.meta.events.register("before-parameter-build.sns.Publish", lambda **_: times.append(clock()))
    return times


def test_sms_pacing_spaces_publishes_by_the_minimum_interval() -> None:
    sns, clock = client("sns"), FakeClock()
    times = published_at(sns, clock)
    sender = SnsSmsSender(sns, sender_id="POLICE", min_interval_s=0.25, sleep=clock.sleep, clock=clock)
    with Stubber(sns) as stub:
        for n in range(1, 6):
            stub.add_response("publish", {"MessageId": f"s-{n}"}, sms_params(n))
        results = sender.send([sms(n) for n in range(1, 4)])
        clock.now += 0.1  # the caller spends a little time between batches: the interval still holds
        results += sender.send([sms(4)])
        clock.now += 5  # long after the last publish: no wait at all
        results += sender.send([sms(5)])
        stub.assert_no_pending_responses()
    assert [result.outcome for result in results] == [Outcome.ACCEPTED] * 5
    assert times == [1000.0, 1000.25, 1000.5, 1000.75, 1005.75]
    assert clock.sleeps == pytest.approx([0.25, 0.25, 0.15])


def test_sms_pacing_never_exceeds_twenty_a_second() -> None:
    sns, clock = client("sns"), FakeClock()
    times = published_at(sns, clock)
    sender = SnsSmsSender(sns, min_interval_s=1 / 20, sleep=clock.sleep, clock=clock)
    with Stubber(sns) as stub:
        for n in range(60):
            stub.add_response("publish", {"MessageId": f"s-{n}"})
        sender.send([SmsMessage(f"sms#{n}", "+447400123456", "Alert") for n in range(60)])
        stub.assert_no_pending_responses()
    assert len(times) == 60
    for start in times:
        assert sum(1 for moment in times if start <= moment < start + 1 - 1e-9) <= 20
    assert times[-1] - times[0] == pytest.approx(59 / 20)  # and no slower than it has to be


def test_without_pacing_the_sender_never_sleeps() -> None:
    sns, clock = client("sns"), FakeClock()
    with Stubber(sns) as stub:
        stub.add_response("publish", {"MessageId": "s-1"})
        stub.add_response("publish", {"MessageId": "s-2"})
        SnsSmsSender(sns, sleep=clock.sleep, clock=clock).send([sms(1), sms(2)])
    assert clock.sleeps == []


# --- voice


def test_voice_calls_use_the_residents_language_voice_and_fall_back_to_amy() -> None:
    voice = client("pinpoint-sms-voice-v2")
    calls = [
        VoiceCall("voice#en", "+447400123401", "Police alert in English", "en"),
        VoiceCall("voice#cy", "+447400123402", "Rhybudd heddlu", "cy"),
        VoiceCall("voice#pl", "+447400123403", "Alert policji", "pl"),
        VoiceCall("voice#fr", "+447400123404", "Alerte de police", "fr"),
        VoiceCall("voice#cyGB", "+447400123405", "Rhybudd heddlu", "cy-GB"),
    ]
    with Stubber(voice) as stub:
        for call, voice_id in zip(calls, ["AMY", "GWYNETH", "EWA", "AMY", "GWYNETH"], strict=True):
            stub.add_response(
                "send_voice_message",
                {"MessageId": f"v-{call.language}"},
                voice_params(call.to, call.text, voice_id, call.key, ConfigurationSetName="hexwatch-voice"),
            )
        results = PinpointVoiceSender(voice, ORIGIN, configuration_set="hexwatch-voice").send(calls)
        stub.assert_no_pending_responses()
    assert results == [SendResult(call.key, Outcome.ACCEPTED, provider_id=f"v-{call.language}") for call in calls]


def test_every_voice_is_in_the_models_voice_enum() -> None:
    model = client("pinpoint-sms-voice-v2").meta.service_model
    enum = model.operation_model("SendVoiceMessage").input_shape.members["VoiceId"].enum
    assert set(VOICES.values()) <= set(enum)
    assert voice_for("xx") == "AMY" and voice_for("EN_gb") == "AMY" and voice_for("PL") == "EWA"


def test_a_long_voice_script_is_cut_to_the_apis_limit_and_context_can_be_left_out() -> None:
    voice = client("pinpoint-sms-voice-v2")
    model = voice.meta.service_model.operation_model("SendVoiceMessage")
    assert model.input_shape.members["MessageBody"].metadata["max"] == MAX_MESSAGE_BODY
    long_text = "word " * 2000
    with Stubber(voice) as stub:
        expected = voice_params("+447400123456", long_text[:MAX_MESSAGE_BODY], "AMY", "voice#1")
        del expected["Context"]
        stub.add_response("send_voice_message", {"MessageId": "v-1"}, expected)
        results = PinpointVoiceSender(voice, ORIGIN, context=False).send(
            [VoiceCall("voice#1", "+447400123456", long_text, "en")]
        )
        stub.assert_no_pending_responses()
    assert results == [SendResult("voice#1", Outcome.ACCEPTED, provider_id="v-1")]


def test_voice_throttling_stops_the_batch_and_validation_errors_do_not() -> None:
    voice = client("pinpoint-sms-voice-v2")
    calls = [VoiceCall(f"voice#{n}", f"+4474001234{n:02d}", f"Alert {n}", "en") for n in range(1, 5)]
    with Stubber(voice) as stub:
        stub.add_client_error("send_voice_message", "ValidationException", "bad", 400,
                              expected_params=voice_params(calls[0].to, calls[0].text, "AMY", calls[0].key))
        stub.add_response("send_voice_message", {"MessageId": "v-2"},
                          voice_params(calls[1].to, calls[1].text, "AMY", calls[1].key))
        stub.add_client_error("send_voice_message", "ThrottlingException", "slow down", 429,
                              expected_params=voice_params(calls[2].to, calls[2].text, "AMY", calls[2].key))
        results = PinpointVoiceSender(voice, ORIGIN).send(calls)
        stub.assert_no_pending_responses()
    assert results == [
        SendResult("voice#1", Outcome.PERMANENT, error="ValidationException"),
        SendResult("voice#2", Outcome.ACCEPTED, provider_id="v-2"),
        SendResult("voice#3", Outcome.RETRYABLE, error="ThrottlingException"),
        SendResult("voice#4", Outcome.RETRYABLE, error=NOT_ATTEMPTED),
    ]


def test_a_voice_spend_limit_is_quota_and_stops_the_batch() -> None:
    voice = client("pinpoint-sms-voice-v2")
    calls = [VoiceCall(f"voice#{n}", f"+4474001234{n:02d}", f"Alert {n}", "en") for n in range(1, 3)]
    with Stubber(voice) as stub:
        stub.add_client_error("send_voice_message", "ServiceQuotaExceededException",
                              "MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE", 402,
                              expected_params=voice_params(calls[0].to, calls[0].text, "AMY", calls[0].key))
        results = PinpointVoiceSender(voice, ORIGIN).send(calls)
        stub.assert_no_pending_responses()
    assert results == [
        SendResult("voice#1", Outcome.QUOTA, error="ServiceQuotaExceededException"),
        SendResult("voice#2", Outcome.QUOTA, error=NOT_ATTEMPTED),
    ]


def test_a_blank_voice_script_is_permanent_without_a_request() -> None:
    voice = client("pinpoint-sms-voice-v2")
    with Stubber(voice) as stub:  # no responses: any request would fail the Stubber
        results = PinpointVoiceSender(voice, ORIGIN).send([VoiceCall("voice#1", "+447400123456", " \n", "en")])
        stub.assert_no_pending_responses()
    assert results == [SendResult("voice#1", Outcome.PERMANENT, error="ParamValidationError")]


def test_the_local_voice_outbox_writes_one_simulated_call_per_object() -> None:
    s3 = client("s3")
    written: list[dict[str, Any]] = []
    s3.meta.events.register("before-parameter-build.s3.PutObject", lambda params, **_: written.append(dict(params)))
    with Stubber(s3) as stub:
        stub.add_response("put_object", {"ETag": '"e"'})
        results = LocalVoiceOutbox(s3, "itest-local-outbox", clock=lambda: 1767225600.5).send(
            [VoiceCall("voice#1", "+447400123456", "Police alert", "cy")]
        )
        stub.assert_no_pending_responses()
    [result] = results
    assert result.outcome is Outcome.ACCEPTED and result.provider_id
    [params] = written
    assert params["Bucket"] == "itest-local-outbox" and params["Key"] == f"voice/{result.provider_id}.json"
    assert json.loads(params["Body"]) == {
        "id": result.provider_id,
        "to": "+447400123456",
        "from": "+440000000000",
        "text": "Police alert",
        "language": "cy",
        "sent_at": "2026-01-01T00:00:00.500Z",
        "simulated": True,
        "note": LocalVoiceOutbox.NOTE,
    }


def test_a_code_call_reads_ssml_with_the_residents_voice_and_a_refusal_is_raised() -> None:
    voice = client("pinpoint-sms-voice-v2")
    ssml = code_call("048213", "confirm")
    with Stubber(voice) as stub:
        stub.add_response("send_voice_message", {"MessageId": "code-1"}, {
            "DestinationPhoneNumber": "+441785123456", "OriginationIdentity": ORIGIN, "MessageBody": ssml,
            "MessageBodyTextType": "SSML", "VoiceId": "AMY", "ConfigurationSetName": "hexwatch-voice"})
        stub.add_client_error("send_voice_message", "ThrottlingException", http_status_code=429)
        sender = PinpointVoiceSender(voice, ORIGIN, configuration_set="hexwatch-voice")
        assert sender.call_code("+441785123456", ssml, "en") == "code-1"
        with pytest.raises(ClientError):  # the transactional worker fails the message; SQS brings it back
            sender.call_code("+441785123456", ssml, "en")
        stub.assert_no_pending_responses()


def test_a_code_call_says_the_six_digits_one_by_one_twice_and_the_outbox_shows_its_words() -> None:
    ssml = code_call("048213", "sign in")
    assert ssml.startswith("<speak>") and ssml.endswith("</speak>")
    assert ssml.count('<say-as interpret-as="digits">048213</say-as>') == 2
    assert "sign in" in ssml
    words = code_call_text(ssml)
    assert "<" not in words and words.count("048213") == 2 and "expires in 15 minutes" in words
    with pytest.raises(ValueError):
        code_call("12345", "confirm")
    s3 = client("s3")
    written: list[dict[str, Any]] = []
    s3.meta.events.register("before-parameter-build.s3.PutObject", lambda params, **_: written.append(dict(params)))
    with Stubber(s3) as stub:
        stub.add_response("put_object", {"ETag": '"e"'})
        call_id = LocalVoiceOutbox(s3, "itest-local-outbox").call_code("+441785123456", ssml, "en")
    document = json.loads(written[0]["Body"])
    assert written[0]["Key"] == f"voice/{call_id}.json"
    assert document["ssml"] == ssml and document["text"] == words and document["simulated"] is True


# --- push


def push(n: int, data: dict[str, str] | None = None) -> PushMessage:
    return PushMessage(f"push#{n}", f"{ENDPOINT}{n}", f"Title {n}", f"Body {n}", data or {})


def test_push_publishes_the_per_platform_json_to_the_endpoint() -> None:
    sns = client("sns")
    sent: list[dict[str, Any]] = []
    sns.meta.events.register("before-parameter-build.sns.Publish", lambda params, **_: sent.append(dict(params)))
    data = {"alert_id": "01JALERT", "url": "https://alerts.example/a/01JALERT"}
    with Stubber(sns) as stub:
        stub.add_response("publish", {"MessageId": "p-1"})
        results = SnsPushSender(sns).send([push(1, data)])
        stub.assert_no_pending_responses()
    assert results == [SendResult("push#1", Outcome.ACCEPTED, provider_id="p-1")]
    [params] = sent
    assert set(params) == {"TargetArn", "MessageStructure", "Message"}
    assert params["TargetArn"] == f"{ENDPOINT}1" and params["MessageStructure"] == "json"
    message = json.loads(params["Message"])
    assert set(message) == {"default", "GCM", "APNS", "APNS_SANDBOX"}
    assert message["default"] == "Body 1"
    assert json.loads(message["GCM"]) == {"notification": {"title": "Title 1", "body": "Body 1"}, "data": data}
    apns = {"aps": {"alert": {"title": "Title 1", "body": "Body 1"}}, **data}
    assert json.loads(message["APNS"]) == apns and json.loads(message["APNS_SANDBOX"]) == apns


@pytest.mark.parametrize("code", ["EndpointDisabled", "NotFound", "InvalidParameter", "PlatformApplicationDisabled"])
def test_a_dead_endpoint_is_permanent_and_the_rest_are_still_sent(code: str) -> None:
    sns = client("sns")
    with Stubber(sns) as stub:
        stub.add_client_error("publish", code, "Endpoint is disabled", 404 if code == "NotFound" else 400)
        stub.add_response("publish", {"MessageId": "p-2"})
        results = SnsPushSender(sns).send([push(1), push(2)])
        stub.assert_no_pending_responses()
    assert results == [
        SendResult("push#1", Outcome.PERMANENT, error=code),
        SendResult("push#2", Outcome.ACCEPTED, provider_id="p-2"),
    ]


@pytest.mark.parametrize(("code", "status"), [("Throttling", 400), ("KMSThrottling", 400), ("ServiceUnavailable", 503)])
def test_throttled_push_stops_the_batch(code: str, status: int) -> None:
    sns = client("sns")
    with Stubber(sns) as stub:
        stub.add_client_error("publish", code, "slow down", status)
        results = SnsPushSender(sns).send([push(1), push(2)])
        stub.assert_no_pending_responses()
    assert results == [
        SendResult("push#1", Outcome.RETRYABLE, error=code),
        SendResult("push#2", Outcome.RETRYABLE, error=NOT_ATTEMPTED),
    ]
