"""The exact SESv2 SendBulkEmail requests of the production bulk email adapter, and how it reads what comes back."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.adapters.bulk_email import MAX_BULK_ENTRIES, SesBulkEmailSender
from chalicelib.domain.delivery import EmailContent, EmailRecipient, Outcome, SendResult
from chalicelib.domain.receipts import decode_tag_value

SENDER = "alerts@hexwatch.example"
CONTENT = EmailContent(
    subject="Burglary in Stafford",
    text="Lock your doors.\n\nUnsubscribe: {{unsubscribe_url}}",
    html='<p>Lock your doors.</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>',
    headers={"X-Hexwatch-Alert": "01JALERT"},
    reply_to="alert-01JALERT@replies.hexwatch.example",
    tags={"alert_id": "01JALERT", "channel": "email"},
)


# The ledger keys of recipient(1) and recipient(2) as SES tag values: base64url of "email#0001", "email#0002".
TAGS = {"email#0001": "ZW1haWwjMDAwMQ", "email#0002": "ZW1haWwjMDAwMg"}


def test_the_tag_values_are_the_ledger_keys_in_base64url() -> None:
    assert {decode_tag_value(value) for value in TAGS.values()} == set(TAGS)
    assert decode_tag_value("ZW1haWwjMQ") == "email#1"


def sesv2() -> Any:
    return boto3.client("sesv2", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def recipient(n: int) -> EmailRecipient:
    unsubscribe = f"https://api.hexwatch.example/v1/unsubscribe?token=t{n}"
    return EmailRecipient(
        key=f"email#{n:04d}",
        address=f"resident-{n}@hexwatch.example",
        data={"unsubscribe_url": unsubscribe},
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def accepted(count: int, prefix: str = "m") -> dict[str, Any]:
    return {"BulkEmailEntryResults": [{"Status": "SUCCESS", "MessageId": f"{prefix}-{i}"} for i in range(count)]}


def count_entries(client: Any) -> list[int]:
    sizes: list[int] = []
    client.meta.events.register(
        "provide-client-params.sesv2.SendBulkEmail",  # before the Stubber looks at the call
        lambda params, **_: sizes.append(len(params["BulkEmailEntries"])),
    )
    return sizes


def test_the_exact_request_for_two_recipients() -> None:
    client = sesv2()
    first, second = recipient(1), recipient(2)
    with Stubber(client) as stub:
        stub.add_response(
            "send_bulk_email",
            accepted(2),
            {
                "FromEmailAddress": "Community Alerts <alerts@hexwatch.example>",
                "ReplyToAddresses": ["alert-01JALERT@replies.hexwatch.example"],
                "DefaultContent": {
                    "Template": {
                        "TemplateContent": {"Subject": CONTENT.subject, "Text": CONTENT.text, "Html": CONTENT.html},
                        "TemplateData": "{}",
                        "Headers": [{"Name": "X-Hexwatch-Alert", "Value": "01JALERT"}],
                    }
                },
                "BulkEmailEntries": [
                    {
                        "Destination": {"ToAddresses": [r.address]},
                        # Each entry carries the whole tag set: the alert and its own ledger key (base64url).
                        "ReplacementTags": [{"Name": "alert_id", "Value": "01JALERT"},
                                            {"Name": "channel", "Value": "email"},
                                            {"Name": "ledger_key", "Value": TAGS[r.key]}],
                        "ReplacementEmailContent": {
                            "ReplacementTemplate": {
                                "ReplacementTemplateData": json.dumps({"unsubscribe_url": r.data["unsubscribe_url"]})
                            }
                        },
                        "ReplacementHeaders": [
                            {"Name": "List-Unsubscribe", "Value": f"<{r.data['unsubscribe_url']}>"},
                            {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
                        ],
                    }
                    for r in (first, second)
                ],
                "ConfigurationSetName": "hexwatch",
            },
        )
        results = SesBulkEmailSender(client, SENDER, configuration_set="hexwatch").send(CONTENT, [first, second])
        stub.assert_no_pending_responses()
    assert results == [
        SendResult("email#0001", Outcome.ACCEPTED, provider_id="m-0"),
        SendResult("email#0002", Outcome.ACCEPTED, provider_id="m-1"),
    ]


def test_optional_fields_are_left_out_when_unset() -> None:
    client = sesv2()
    plain = EmailRecipient(key="email#1", address="resident-1@hexwatch.example")
    with Stubber(client) as stub:
        stub.add_response(
            "send_bulk_email",
            accepted(1),
            {
                "FromEmailAddress": "Police Alerts <alerts@hexwatch.example>",
                "DefaultContent": {
                    "Template": {"TemplateContent": {"Subject": "s", "Text": "t", "Html": "h"}, "TemplateData": "{}"}
                },
                "BulkEmailEntries": [
                    {
                        "Destination": {"ToAddresses": ["resident-1@hexwatch.example"]},
                        "ReplacementTags": [{"Name": "ledger_key", "Value": "ZW1haWwjMQ"}],
                        "ReplacementEmailContent": {"ReplacementTemplate": {"ReplacementTemplateData": "{}"}},
                    }
                ],
            },
        )
        results = SesBulkEmailSender(client, SENDER, "Police Alerts").send(EmailContent("s", "t", "h"), [plain])
        stub.assert_no_pending_responses()
    assert [result.outcome for result in results] == [Outcome.ACCEPTED]


def test_120_recipients_take_three_calls_of_50_50_and_20() -> None:
    client = sesv2()
    sizes = count_entries(client)
    recipients = [recipient(n) for n in range(120)]
    with Stubber(client) as stub:
        for call, size in enumerate((50, 50, 20)):
            expected = dict.fromkeys(
                ("FromEmailAddress", "ReplyToAddresses", "DefaultContent", "BulkEmailEntries"), ANY
            )
            stub.add_response("send_bulk_email", accepted(size, prefix=f"c{call}"), expected)
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, recipients)
        stub.assert_no_pending_responses()
    assert MAX_BULK_ENTRIES == 50 and sizes == [50, 50, 20]
    assert [result.key for result in results] == [r.key for r in recipients]
    assert {result.outcome for result in results} == {Outcome.ACCEPTED}
    assert [results[i].provider_id for i in (0, 49, 50, 100, 119)] == ["c0-0", "c0-49", "c1-0", "c2-0", "c2-19"]


def test_each_entry_status_maps_to_its_recipient_by_position() -> None:
    client = sesv2()
    recipients = [recipient(n) for n in range(5)]
    with Stubber(client) as stub:
        stub.add_response(
            "send_bulk_email",
            {
                "BulkEmailEntryResults": [
                    {"Status": "SUCCESS", "MessageId": "m-0"},
                    {"Status": "MESSAGE_REJECTED", "Error": "rejected resident-1@hexwatch.example"},
                    {"Status": "TRANSIENT_FAILURE"},
                    {"Status": "ACCOUNT_THROTTLED"},
                    {"Status": "INVALID_PARAMETER"},
                ]
            },
        )
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, recipients)
    assert results == [
        SendResult("email#0000", Outcome.ACCEPTED, provider_id="m-0"),
        SendResult("email#0001", Outcome.PERMANENT, error="MESSAGE_REJECTED"),
        SendResult("email#0002", Outcome.RETRYABLE, error="TRANSIENT_FAILURE"),
        SendResult("email#0003", Outcome.RETRYABLE, error="ACCOUNT_THROTTLED"),
        SendResult("email#0004", Outcome.PERMANENT, error="INVALID_PARAMETER"),
    ]


def test_missing_results_are_failed_for_an_operator_never_retried() -> None:
    client = sesv2()
    with Stubber(client) as stub:
        stub.add_response("send_bulk_email", {"BulkEmailEntryResults": [{"Status": "SUCCESS", "MessageId": "m-0"},
                                                                        {"MessageId": "m-1"}]})
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, [recipient(n) for n in range(3)])
    assert [(r.outcome, r.error) for r in results] == [
        (Outcome.ACCEPTED, None),
        (Outcome.PERMANENT, "missing-result"),
        (Outcome.PERMANENT, "missing-result"),
    ]


def test_throttling_on_the_first_chunk_makes_everyone_retryable_without_more_calls() -> None:
    client = sesv2()
    sizes = count_entries(client)  # an unstubbed call raises a BotoCoreError, which the adapter would catch
    recipients = [recipient(n) for n in range(120)]
    with Stubber(client) as stub:
        stub.add_client_error("send_bulk_email", service_error_code="TooManyRequestsException", http_status_code=429)
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, recipients)
        stub.assert_no_pending_responses()
    assert sizes == [50]
    assert len(results) == 120 and [r.key for r in results] == [r.key for r in recipients]
    assert {(r.outcome, r.error) for r in results} == {(Outcome.RETRYABLE, "TooManyRequestsException")}


def test_throttling_on_a_later_chunk_keeps_the_earlier_results() -> None:
    client = sesv2()
    sizes = count_entries(client)
    with Stubber(client) as stub:
        stub.add_response("send_bulk_email", accepted(50))
        stub.add_client_error("send_bulk_email", service_error_code="TooManyRequestsException", http_status_code=429)
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, [recipient(n) for n in range(150)])
        stub.assert_no_pending_responses()
    assert sizes == [50, 50]
    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 50 + [Outcome.RETRYABLE] * 100


def test_an_internal_failure_is_retryable() -> None:
    client = sesv2()
    with Stubber(client) as stub:
        stub.add_client_error("send_bulk_email", service_error_code="InternalFailure", http_status_code=500)
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, [recipient(1), recipient(2)])
        stub.assert_no_pending_responses()
    assert {(r.outcome, r.error) for r in results} == {(Outcome.RETRYABLE, "InternalFailure")}


def test_a_permanent_error_fails_its_chunk_and_the_next_chunk_is_still_sent() -> None:
    client = sesv2()
    sizes = count_entries(client)
    with Stubber(client) as stub:
        stub.add_client_error("send_bulk_email", service_error_code="BadRequestException", http_status_code=400,
                              service_message="Illegal address resident-3@hexwatch.example")
        stub.add_response("send_bulk_email", accepted(10))
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, [recipient(n) for n in range(60)])
        stub.assert_no_pending_responses()
    assert sizes == [50, 10]
    assert {(r.outcome, r.error) for r in results[:50]} == {(Outcome.PERMANENT, "BadRequestException")}
    assert {r.outcome for r in results[50:]} == {Outcome.ACCEPTED}


def test_a_request_botocore_refuses_is_permanent_not_retried_and_the_next_chunk_is_sent() -> None:
    client = sesv2()
    broken = EmailRecipient(key="email#broken", address="resident-x@hexwatch.example", headers={"X-Empty": ""})
    with Stubber(client) as stub:
        stub.add_response("send_bulk_email", accepted(1))
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, [broken, *[recipient(n) for n in range(50)]])
        stub.assert_no_pending_responses()
    assert {(r.outcome, r.error) for r in results[:50]} == {(Outcome.PERMANENT, "ParamValidationError")}
    assert results[50].outcome is Outcome.ACCEPTED


@pytest.mark.parametrize("code,status", [("TooManyRequestsException", 429), ("BadRequestException", 400),
                                         ("MessageRejected", 400)])
def test_errors_never_carry_an_address(code: str, status: int) -> None:
    client = sesv2()
    with Stubber(client) as stub:
        stub.add_client_error("send_bulk_email", service_error_code=code, http_status_code=status,
                              service_message="Email address is not verified: resident-1@hexwatch.example")
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, [recipient(1)])
    assert all("@" not in (r.error or "") for r in results)


def test_paused_and_over_quota_entries_answer_quota_each_on_its_own() -> None:
    client = sesv2()
    statuses = ["ACCOUNT_SENDING_PAUSED", "ACCOUNT_DAILY_QUOTA_EXCEEDED", "CONFIGURATION_SET_SENDING_PAUSED"]
    with Stubber(client) as stub:
        stub.add_response("send_bulk_email", {"BulkEmailEntryResults": [{"Status": s} for s in statuses]})
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, [recipient(n) for n in range(3)])
    assert [(r.outcome, r.error) for r in results] == [(Outcome.QUOTA, status) for status in statuses]


@pytest.mark.parametrize(("code", "message"), [("SendingPausedException", "Sending paused for this account"),
                                               ("ThrottlingException", "Daily message quota exceeded")])
def test_a_paused_account_or_a_spent_daily_quota_stops_every_chunk_as_quota(code: str, message: str) -> None:
    client = sesv2()
    sizes = count_entries(client)
    with Stubber(client) as stub:
        stub.add_client_error("send_bulk_email", service_error_code=code, service_message=message,
                              http_status_code=400)
        results = SesBulkEmailSender(client, SENDER).send(CONTENT, [recipient(n) for n in range(60)])
        stub.assert_no_pending_responses()
    assert sizes == [50]
    assert len(results) == 60 and {(r.outcome, r.error) for r in results} == {(Outcome.QUOTA, code)}
