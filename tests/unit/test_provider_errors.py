"""The one classifier of provider errors: every table entry, the defaults for codes it does not know, the quota
category, how a batch reacts to it, and that no other module keeps a list of codes again."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)

from chalicelib.adapters import provider_errors
from chalicelib.adapters.provider_errors import (
    NOT_ATTEMPTED,
    PERMANENT,
    QUOTA,
    RETRYABLE,
    TABLES,
    THROTTLED,
    Kind,
    Provider,
    classify,
    classify_code,
    send_each,
)
from chalicelib.domain.delivery import Outcome, SendResult, SmsMessage

CHALICELIB = Path(provider_errors.__file__).resolve().parents[1]


def client_error(code: str, status: int, message: str = "refused", operation: str = "Send") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                            "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


# --- every table entry -------------------------------------------------------------------------------------------

ENTRIES = [(provider, code, kind) for provider, table in TABLES.items() for code, kind in table.items()]


@pytest.mark.parametrize(("provider", "code", "kind"), ENTRIES, ids=[f"{p}-{c}" for p, c, _ in ENTRIES])
def test_every_table_entry_wins_over_the_http_status(provider: Provider, code: str, kind: Kind) -> None:
    # The status that would say the opposite, had the code been unknown: the table must decide.
    status = 500 if kind is PERMANENT else 400
    found = classify(client_error(code, status), provider)
    assert (found.code, found.kind) == (code, kind)
    assert found.outcome is {RETRYABLE: Outcome.RETRYABLE, THROTTLED: Outcome.RETRYABLE, QUOTA: Outcome.QUOTA,
                             PERMANENT: Outcome.PERMANENT}[kind]
    assert found.pushback is (kind in (THROTTLED, QUOTA))
    assert found.retryable is (kind in (RETRYABLE, THROTTLED))


# What the service models and AWS's documentation say, written out: a change to a table must change this too.
EXPECTED = {
    Provider.SES: {
        RETRYABLE: {"InternalFailure", "LimitExceededException", "TRANSIENT_FAILURE"},
        THROTTLED: {"TooManyRequestsException", "Throttling", "ThrottlingException", "ACCOUNT_THROTTLED",
                    "ServiceUnavailable"},
        QUOTA: {"SendingPausedException", "ACCOUNT_SENDING_PAUSED", "ACCOUNT_DAILY_QUOTA_EXCEEDED",
                "CONFIGURATION_SET_SENDING_PAUSED"},
        PERMANENT: {"MessageRejected", "MailFromDomainNotVerifiedException", "AccountSuspendedException",
                    "NotFoundException", "BadRequestException", "MESSAGE_REJECTED", "MAIL_FROM_DOMAIN_NOT_VERIFIED",
                    "CONFIGURATION_SET_NOT_FOUND", "TEMPLATE_NOT_FOUND", "ACCOUNT_SUSPENDED",
                    "INVALID_SENDING_POOL_NAME", "INVALID_PARAMETER", "FAILED"},
    },
    Provider.SNS_SMS: {
        RETRYABLE: {"InternalError"},
        THROTTLED: {"Throttling", "ThrottledException", "KMSThrottling"},
        QUOTA: set(),
        PERMANENT: {"InvalidParameter", "ParameterValueInvalid", "AuthorizationError", "InvalidSecurity", "NotFound"},
    },
    Provider.SNS_PUSH: {
        RETRYABLE: {"InternalError"},
        THROTTLED: {"Throttling", "KMSThrottling"},
        QUOTA: set(),
        PERMANENT: {"EndpointDisabled", "PlatformApplicationDisabled", "NotFound", "InvalidParameter",
                    "KMSDisabled", "KMSAccessDenied"},
    },
    Provider.SMS_VOICE: {
        RETRYABLE: {"InternalServerException"},
        THROTTLED: {"ThrottlingException"},
        QUOTA: {"ServiceQuotaExceededException"},
        PERMANENT: {"AccessDeniedException", "ConflictException", "ResourceNotFoundException", "ValidationException"},
    },
    Provider.DYNAMODB: {
        RETRYABLE: {"InternalServerError", "TransactionConflictException", "TransactionInProgressException",
                    "ReplicatedWriteConflictException"},
        THROTTLED: {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"},
        QUOTA: set(),
        PERMANENT: {"ConditionalCheckFailedException", "TransactionCanceledException", "ResourceNotFoundException",
                    "ItemCollectionSizeLimitExceededException", "ValidationException"},
    },
    Provider.S3: {RETRYABLE: {"InternalError"}, THROTTLED: {"SlowDown"}, QUOTA: set(), PERMANENT: {"NoSuchBucket"}},
}


@pytest.mark.parametrize("provider", list(Provider))
def test_the_tables_say_what_the_service_models_say(provider: Provider) -> None:
    for kind, codes in EXPECTED[provider].items():
        assert {code: TABLES[provider][code] for code in codes} == dict.fromkeys(codes, kind), (provider, kind)
    assert not [code for code, kind in TABLES[provider].items() if kind is QUOTA and
                code not in EXPECTED[provider][QUOTA]], "a quota code without a test"


def test_every_provider_has_a_table_with_the_common_errors() -> None:
    assert set(TABLES) == set(Provider)
    for table in TABLES.values():
        assert set(provider_errors.COMMON) <= set(table)


# --- codes no table knows ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("provider", list(Provider))
@pytest.mark.parametrize(("status", "kind"), [(500, RETRYABLE), (502, RETRYABLE), (504, RETRYABLE), (503, THROTTLED),
                                              (429, THROTTLED), (400, PERMANENT), (403, PERMANENT), (404, PERMANENT),
                                              (0, PERMANENT)])
def test_an_unknown_code_is_sorted_by_its_status(provider: Provider, status: int, kind: Kind) -> None:
    assert classify(client_error("SomethingNew", status), provider).kind is kind


def test_an_unknown_bulk_entry_status_is_permanent_since_ses_may_have_sent_it() -> None:
    assert classify_code("SOMETHING_SES_ADDS_LATER", Provider.SES).kind is PERMANENT


def test_a_missing_code_is_named_client_error() -> None:
    error = ClientError({"ResponseMetadata": {"HTTPStatusCode": 500}}, "Send")
    assert (classify(error, Provider.SES).code, classify(error, Provider.SES).kind) == ("ClientError", RETRYABLE)


# --- quota -------------------------------------------------------------------------------------------------------

def test_ses_daily_quota_is_told_apart_from_throttling_by_its_message() -> None:
    quota = classify(client_error("ThrottlingException", 400, "Daily message quota exceeded."), Provider.SES)
    rate = classify(client_error("ThrottlingException", 400, "Maximum sending rate exceeded."), Provider.SES)
    assert (quota.kind, quota.outcome, quota.pushback) == (QUOTA, Outcome.QUOTA, True)
    assert (rate.kind, rate.outcome, rate.pushback) == (THROTTLED, Outcome.RETRYABLE, True)
    # A refusal that quotes the phrase is still a refusal.
    rejected = classify(client_error("MessageRejected", 400, "Daily message quota exceeded"), Provider.SES)
    assert rejected.kind is PERMANENT


def test_the_message_rule_is_ses_only() -> None:
    found = classify(client_error("RequestLimitExceeded", 400, "Daily message quota exceeded"), Provider.DYNAMODB)
    assert found.kind is THROTTLED


def test_quota_is_retried_like_retryable_until_the_pipeline_parks_it() -> None:
    assert Outcome.QUOTA.retried and Outcome.RETRYABLE.retried
    assert not Outcome.PERMANENT.retried and not Outcome.ACCEPTED.retried


# --- errors that are not the provider's answer ---------------------------------------------------------------------

@pytest.mark.parametrize(("error", "kind"), [
    (ParamValidationError(report="MessageBody is blank"), PERMANENT),  # botocore refused to build it: again
    (EndpointConnectionError(endpoint_url="https://sns.eu-west-2.amazonaws.com"), RETRYABLE),
    (ConnectTimeoutError(endpoint_url="https://sns.eu-west-2.amazonaws.com"), RETRYABLE),
    (ReadTimeoutError(endpoint_url="https://sns.eu-west-2.amazonaws.com"), RETRYABLE),
    (NoCredentialsError(), RETRYABLE),
    (KeyError("MessageId"), PERMANENT),
])
def test_errors_raised_before_or_after_the_provider_answered(error: Exception, kind: Kind) -> None:
    found = classify(error, Provider.SNS_SMS)
    assert (found.code, found.kind, found.pushback) == (type(error).__name__, kind, False)


# --- a batch -------------------------------------------------------------------------------------------------------

def batch(*errors: Exception | None) -> list[SendResult]:
    messages = [SmsMessage(f"sms#{n}", "+447400123456", "Alert") for n in range(len(errors))]
    outcomes = dict(zip((m.key for m in messages), errors, strict=True))

    def attempt(message: SmsMessage) -> str:
        error = outcomes[message.key]
        if error is not None:
            raise error
        return f"id-{message.key}"

    return send_each(messages, attempt, Provider.SNS_SMS)


def test_a_quota_stops_the_batch_and_the_rest_wait_for_the_same_reason() -> None:
    def out_of_quota(message: SmsMessage) -> str:
        raise client_error("ServiceQuotaExceededException", 400, "MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE")

    # SMS Voice's spend limit (SNS answers none when its SMS spend limit is reached: the module says why).
    results = send_each([SmsMessage("sms#0", "+44", "A"), SmsMessage("sms#1", "+44", "A")], out_of_quota,
                        Provider.SMS_VOICE)
    assert results == [SendResult("sms#0", Outcome.QUOTA, error="ServiceQuotaExceededException"),
                       SendResult("sms#1", Outcome.QUOTA, error=NOT_ATTEMPTED)]


def test_a_single_failure_does_not_stop_the_batch() -> None:
    assert batch(client_error("InternalError", 500), client_error("InvalidParameter", 400), None) == [
        SendResult("sms#0", Outcome.RETRYABLE, error="InternalError"),
        SendResult("sms#1", Outcome.PERMANENT, error="InvalidParameter"),
        SendResult("sms#2", Outcome.ACCEPTED, provider_id="id-sms#2"),
    ]


def test_throttling_stops_the_batch() -> None:
    assert batch(None, client_error("Throttling", 400), None) == [
        SendResult("sms#0", Outcome.ACCEPTED, provider_id="id-sms#0"),
        SendResult("sms#1", Outcome.RETRYABLE, error="Throttling"),
        SendResult("sms#2", Outcome.RETRYABLE, error=NOT_ATTEMPTED),
    ]


# --- one table ---------------------------------------------------------------------------------------------------

# Codes that would give a copy away: any code a table calls retryable, throttled or quota.
TELLING = {code for table in TABLES.values() for code, kind in table.items() if kind is not PERMANENT}


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def copies_of_the_table(source: str) -> list[str]:
    """Collections of codes, and comparisons with a code, outside the classifier."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Set, ast.Tuple, ast.List, ast.Dict)):
            codes = _strings(node) & TELLING
        elif isinstance(node, ast.Compare):
            codes = {s for part in (node.left, *node.comparators) for s in _strings(part)} & TELLING
        else:
            continue
        if codes:
            found.append(f"line {node.lineno}: {sorted(codes)}")
    return found


def test_no_other_module_keeps_a_table_of_provider_codes() -> None:
    offenders = {}
    for path in sorted(CHALICELIB.rglob("*.py")):
        if path.name == "provider_errors.py" and path.parent.name == "adapters":
            continue
        found = copies_of_the_table(path.read_text())
        if found:
            offenders[str(path.relative_to(CHALICELIB))] = found
    assert not offenders, f"provider codes outside adapters/provider_errors.py: {offenders}"


def test_the_copy_finder_finds_a_copy() -> None:
    assert copies_of_the_table('RETRY = frozenset({"ThrottlingException", "Other"})')
    assert copies_of_the_table('if code in ("InternalServerError",): pass')
    assert copies_of_the_table('if code == "ACCOUNT_SENDING_PAUSED": pass')
    assert not copies_of_the_table('if code == "ConditionalCheckFailedException": pass')
