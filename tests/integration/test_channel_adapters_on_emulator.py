"""The alert channel adapters against the emulator, read back through the local outbox as a developer would see them.

Other tests share the emulator, so each test finds its own messages by a number or title made for it.
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3

from chalicelib.adapters.messaging import SnsSmsSender
from chalicelib.adapters.push import SnsPushSender
from chalicelib.adapters.voice import LocalVoiceOutbox
from chalicelib.domain.delivery import Outcome, PushMessage, SmsMessage, VoiceCall
from infra.local.outbox import list_messages
from infra.local.testing import EmulatorStack

from .residents_helpers import unique_mobile


def client(emulator: EmulatorStack, service: str) -> Any:
    return boto3.client(service, endpoint_url=emulator.endpoint, region_name=emulator.region)


def unique_number() -> str:
    """A UK mobile number no other test uses (residents_helpers.py says why one counter hands them all out)."""
    return unique_mobile()


def test_local_voice_outbox_calls_show_in_the_outbox_as_simulated(emulator: EmulatorStack) -> None:
    to = unique_number()
    outbox = LocalVoiceOutbox(client(emulator, "s3"), f"{emulator.prefix}-local-outbox")
    results = outbox.send([VoiceCall("voice#1", to, "Police alert: a road is closed near you.", "cy")])
    [result] = results
    assert result.outcome is Outcome.ACCEPTED and result.provider_id
    [call] = [m for m in list_messages(emulator.endpoint, emulator.prefix) if m["channel"] == "voice" and to in m["to"]]
    assert call["id"] == result.provider_id
    assert call["simulated"] is True
    assert call["text"] == "Police alert: a road is closed near you."
    assert call["from"] == "+440000000000"
    assert call["headers"]["language"] == "cy" and "no call was placed" in call["headers"]["note"]
    assert call["sent_at"].endswith("Z")


def test_push_reaches_a_platform_endpoint_with_its_title_and_body(emulator: EmulatorStack) -> None:
    sns = client(emulator, "sns")
    marker = uuid.uuid4().hex[:10]
    application = sns.create_platform_application(
        Name=f"hexwatch-test-{marker}", Platform="GCM", Attributes={"PlatformCredential": "x"}
    )["PlatformApplicationArn"]
    endpoint = sns.create_platform_endpoint(
        PlatformApplicationArn=application, Token=f"token-{marker}", CustomUserData=f"resident-{marker}"
    )["EndpointArn"]
    message = PushMessage("push#1", endpoint, f"Alert {marker}", "A road is closed near you.", {"alert_id": marker})
    [result] = SnsPushSender(sns).send([message])
    assert result.outcome is Outcome.ACCEPTED and result.provider_id
    [push] = [m for m in list_messages(emulator.endpoint, emulator.prefix)
              if m["channel"] == "push" and m["subject"] == f"Alert {marker}"]
    assert push["id"] == result.provider_id
    assert push["text"] == "A road is closed near you."
    assert push["to"] == [f"resident-{marker}"] and push["headers"]["EndpointArn"] == endpoint


def test_push_to_a_deleted_endpoint_is_permanent(emulator: EmulatorStack) -> None:
    sns = client(emulator, "sns")
    marker = uuid.uuid4().hex[:10]
    application = sns.create_platform_application(
        Name=f"hexwatch-test-{marker}", Platform="GCM", Attributes={"PlatformCredential": "x"}
    )["PlatformApplicationArn"]
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=application, Token=f"token-{marker}")["EndpointArn"]
    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    [result] = SnsPushSender(sns).send([PushMessage("push#1", endpoint, "Title", "Body")])
    assert result.outcome is Outcome.PERMANENT and result.error == "EndpointDisabled"


def test_alert_sms_show_in_the_outbox(emulator: EmulatorStack) -> None:
    numbers = [unique_number(), unique_number()]
    while numbers[1] == numbers[0]:
        numbers[1] = unique_number()
    messages = [SmsMessage(f"sms#{n}", number, f"Police alert {n}") for n, number in enumerate(numbers)]
    results = SnsSmsSender(client(emulator, "sns"), sender_id="POLICE", min_interval_s=0.01).send(messages)
    assert [result.outcome for result in results] == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    sent = {m["to"][0]: m for m in list_messages(emulator.endpoint, emulator.prefix)
            if m["channel"] == "sms" and m["to"][0] in numbers}
    assert {number: sent[number]["text"] for number in numbers} == {numbers[0]: "Police alert 0",
                                                                     numbers[1]: "Police alert 1"}
    assert {sent[number]["id"] for number in numbers} == {result.provider_id for result in results}
