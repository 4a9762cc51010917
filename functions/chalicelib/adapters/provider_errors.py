"""The one place that sorts what a provider answered into retryable, permanent and quota.

Every adapter that calls SES v2, SNS (SMS and push), SMS Voice v2 or DynamoDB asks `classify` what an error means; no
other module keeps a list of codes (tests/unit/test_provider_errors.py checks that none comes back). Each provider has
one table, from the error codes of its botocore service model (and, for SES, the per-entry statuses of
SendBulkEmail), plus `COMMON`, the errors AWS documents for every API:

- RETRYABLE: the same request may well succeed later (a 5xx, a conflicting transaction, a dropped connection).
- THROTTLED: retryable, and the account is being pushed back, not this one request: later requests in the same batch
  would be refused too, so the adapters stop the batch (`ProviderError.pushback`).
- QUOTA: the account may not send at all for now (sending paused, daily quota or spend limit reached). Retrying in
  seconds does not help; the delivery stage parks it (services/pipeline/deliver.py).
- PERMANENT: the same request would be refused the same way (a refused parameter, a disabled endpoint).

A code the table does not know is sorted by its HTTP status: 429 and 503 are throttling, other 5xx retryable, anything
else (4xx) permanent. A SendBulkEmail status the table does not know is permanent: SES may have sent it.

What no table can see: SNS answers a Publish to a phone number normally once the account's monthly SMS spend limit is
reached and drops the message later ("No quota left for account"), so that quota shows only in the SMS delivery-status
logs that workers/receipts.py reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from ..domain.delivery import Outcome, SendResult


class Provider(StrEnum):
    SES = "sesv2"  # SendEmail, SendBulkEmail (its exceptions and its per-entry statuses)
    SNS_SMS = "sns-sms"  # Publish to a phone number
    SNS_PUSH = "sns-push"  # Publish to a platform endpoint
    SMS_VOICE = "sms-voice-v2"  # SendVoiceMessage
    DYNAMODB = "dynamodb"
    S3 = "s3"  # the local stack's voice outbox (adapters/voice.py LocalVoiceOutbox)


class Kind(StrEnum):
    RETRYABLE = "retryable"
    THROTTLED = "throttled"
    QUOTA = "quota"
    PERMANENT = "permanent"

    @property
    def outcome(self) -> Outcome:
        return {Kind.RETRYABLE: Outcome.RETRYABLE, Kind.THROTTLED: Outcome.RETRYABLE, Kind.QUOTA: Outcome.QUOTA,
                Kind.PERMANENT: Outcome.PERMANENT}[self]


RETRYABLE, THROTTLED, QUOTA, PERMANENT = Kind.RETRYABLE, Kind.THROTTLED, Kind.QUOTA, Kind.PERMANENT

# The errors every AWS API may answer (AWS "Common errors"), and the spellings of throttling that SDKs and older
# protocols use. ServiceUnavailable is the service shedding load: throttling, for the batch.
COMMON: Mapping[str, Kind] = {
    "Throttling": THROTTLED, "ThrottlingException": THROTTLED, "ThrottledException": THROTTLED,
    "TooManyRequestsException": THROTTLED, "RequestLimitExceeded": THROTTLED, "RequestThrottled": THROTTLED,
    "RequestThrottledException": THROTTLED, "ServiceUnavailable": THROTTLED, "ServiceUnavailableException": THROTTLED,
    "InternalFailure": RETRYABLE, "InternalError": RETRYABLE, "InternalServerError": RETRYABLE,
    "InternalServerException": RETRYABLE, "RequestTimeout": RETRYABLE, "RequestTimeoutException": RETRYABLE,
    "AccessDenied": PERMANENT, "AccessDeniedException": PERMANENT, "NotAuthorized": PERMANENT,
    "InvalidClientTokenId": PERMANENT, "UnrecognizedClientException": PERMANENT, "IncompleteSignature": PERMANENT,
    "OptInRequired": PERMANENT, "ValidationError": PERMANENT, "ValidationException": PERMANENT,
}

SES: Mapping[str, Kind] = {
    **COMMON,
    # SendEmail and SendBulkEmail exceptions (botocore sesv2 2019-09-27).
    "SendingPausedException": QUOTA,
    # Kept retryable as it always was: SES documents it as "too many instances of a resource type", which a send
    # can only meet transiently.
    "LimitExceededException": RETRYABLE,
    "AccountSuspendedException": PERMANENT,  # "permanently restricted": an operator must appeal to AWS
    "MessageRejected": PERMANENT, "MailFromDomainNotVerifiedException": PERMANENT, "NotFoundException": PERMANENT,
    "BadRequestException": PERMANENT,
    # SendBulkEmail's per-entry statuses (BulkEmailStatus), other than SUCCESS.
    "ACCOUNT_THROTTLED": THROTTLED, "TRANSIENT_FAILURE": RETRYABLE,
    "ACCOUNT_DAILY_QUOTA_EXCEEDED": QUOTA, "ACCOUNT_SENDING_PAUSED": QUOTA, "CONFIGURATION_SET_SENDING_PAUSED": QUOTA,
    "MESSAGE_REJECTED": PERMANENT, "MAIL_FROM_DOMAIN_NOT_VERIFIED": PERMANENT, "CONFIGURATION_SET_NOT_FOUND": PERMANENT,
    "TEMPLATE_NOT_FOUND": PERMANENT, "ACCOUNT_SUSPENDED": PERMANENT, "INVALID_SENDING_POOL_NAME": PERMANENT,
    "INVALID_PARAMETER": PERMANENT, "FAILED": PERMANENT,
}
# SES answers a reached daily sending quota as throttling, told apart only by its message ("Daily message quota
# exceeded"): waiting seconds does not help, so it is a quota.
SES_QUOTA_MESSAGES = ("daily message quota exceeded",)

# Publish's exceptions (botocore sns 2010-03-31) by their wire codes, which are not the shape names.
SNS_SMS: Mapping[str, Kind] = {
    **COMMON,
    "InternalError": RETRYABLE,
    "KMSThrottling": THROTTLED,
    "InvalidParameter": PERMANENT, "ParameterValueInvalid": PERMANENT, "AuthorizationError": PERMANENT,
    "InvalidSecurity": PERMANENT, "NotFound": PERMANENT,
}

SNS_PUSH: Mapping[str, Kind] = {
    **COMMON,
    "InternalError": RETRYABLE,
    "KMSThrottling": THROTTLED,  # the endpoint's messages are encrypted with a KMS key that is throttled
    "EndpointDisabled": PERMANENT, "PlatformApplicationDisabled": PERMANENT, "NotFound": PERMANENT,
    "InvalidParameter": PERMANENT, "ParameterValueInvalid": PERMANENT, "AuthorizationError": PERMANENT,
    "InvalidSecurity": PERMANENT, "KMSDisabled": PERMANENT, "KMSInvalidState": PERMANENT, "KMSNotFound": PERMANENT,
    "KMSOptInRequired": PERMANENT, "KMSAccessDenied": PERMANENT,
}

# SendVoiceMessage's exceptions (botocore pinpoint-sms-voice-v2 2022-03-31).
SMS_VOICE: Mapping[str, Kind] = {
    **COMMON,
    "ThrottlingException": THROTTLED,
    "InternalServerException": RETRYABLE,
    # Its Reason is the quota: MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE, DAILY_DESTINATION_CALL_LIMIT, ...
    "ServiceQuotaExceededException": QUOTA,
    "AccessDeniedException": PERMANENT,  # also ACCOUNT_DISABLED and INSUFFICIENT_ACCOUNT_REPUTATION
    "ConflictException": PERMANENT,  # e.g. DESTINATION_PHONE_NUMBER_OPTED_OUT
    "ResourceNotFoundException": PERMANENT, "ValidationException": PERMANENT,
}

# The data-plane exceptions (botocore dynamodb 2012-08-10). ConditionalCheckFailed and TransactionCanceled are
# permanent here: the callers read them as answers (someone else got there first), never as reasons to retry.
DYNAMODB: Mapping[str, Kind] = {
    **COMMON,
    "ProvisionedThroughputExceededException": THROTTLED, "ThrottlingException": THROTTLED,
    "RequestLimitExceeded": THROTTLED,
    "InternalServerError": RETRYABLE, "TransactionConflictException": RETRYABLE,
    "TransactionInProgressException": RETRYABLE, "ReplicatedWriteConflictException": RETRYABLE,
    "ConditionalCheckFailedException": PERMANENT, "TransactionCanceledException": PERMANENT,
    "ResourceNotFoundException": PERMANENT, "ItemCollectionSizeLimitExceededException": PERMANENT,
    "IdempotentParameterMismatchException": PERMANENT,
}

S3: Mapping[str, Kind] = {
    **COMMON,
    "SlowDown": THROTTLED,
    "NoSuchBucket": PERMANENT,
}

TABLES: Mapping[Provider, Mapping[str, Kind]] = {
    Provider.SES: SES, Provider.SNS_SMS: SNS_SMS, Provider.SNS_PUSH: SNS_PUSH, Provider.SMS_VOICE: SMS_VOICE,
    Provider.DYNAMODB: DYNAMODB, Provider.S3: S3,
}
QUOTA_MESSAGES: Mapping[Provider, tuple[str, ...]] = {Provider.SES: SES_QUOTA_MESSAGES}


@dataclass(frozen=True)
class ProviderError:
    code: str  # the provider's code (or the exception's class name): short, for the log and the ledger
    kind: Kind

    @property
    def outcome(self) -> Outcome:
        """RETRYABLE, PERMANENT or QUOTA."""
        return self.kind.outcome

    @property
    def retryable(self) -> bool:
        return self.kind in (RETRYABLE, THROTTLED)

    @property
    def pushback(self) -> bool:
        """The account is refused, not just this request: the rest of a batch would be refused too."""
        return self.kind in (THROTTLED, QUOTA)


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "ClientError")
    return type(error).__name__


def classify_code(code: str, provider: Provider, http_status: int = 0, message: str = "") -> ProviderError:
    """An error code (or a SendBulkEmail entry status, with no HTTP status) sorted by `provider`'s table."""
    kind = TABLES[provider].get(code)
    if kind is None:
        if http_status in (429, 503):
            kind = THROTTLED
        elif http_status >= 500:
            kind = RETRYABLE
        else:
            kind = PERMANENT
    if kind in (RETRYABLE, THROTTLED) and any(m in message.lower() for m in QUOTA_MESSAGES.get(provider, ())):
        kind = QUOTA
    return ProviderError(code, kind)


def classify(error: BaseException, provider: Provider) -> ProviderError:
    """What an exception raised by a call to `provider` means."""
    if isinstance(error, ClientError):
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        message = str(error.response.get("Error", {}).get("Message") or "")
        return classify_code(error_code(error), provider, status, message)
    if isinstance(error, ParamValidationError):
        # botocore refused to build the request: it would refuse it again (a BotoCoreError like a dropped connection,
        # which is why this comes first).
        return ProviderError(error_code(error), PERMANENT)
    if isinstance(error, BotoCoreError):
        return ProviderError(error_code(error), RETRYABLE)  # a timeout or a dropped connection
    return ProviderError(error_code(error), PERMANENT)  # a bug or an unexpected answer: retrying repeats it


NOT_ATTEMPTED = "NotAttempted"  # the error code of messages skipped after the provider pushed back


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


_Item = TypeVar("_Item", bound=_Keyed)


def send_each(items: Sequence[_Item], attempt: Callable[[_Item], str], provider: Provider) -> list[SendResult]:
    """One result per item, in order: `attempt` answers the provider's id, or raises and is classified.

    Once the provider pushes back (throttled, or out of quota), the rest are not attempted: the limit is the
    account's (SNS SMS and push, SMS Voice), so they would only be refused too, and more requests only delay the
    recovery. They answer as the refused one did (retryable or quota), which sends them back through SQS. Other
    failures (a refused number, a disabled endpoint, one 500) concern one request, so the rest are still sent.
    """
    results: list[SendResult] = []
    for index, item in enumerate(items):
        try:
            provider_id = attempt(item)
        except Exception as error:
            found = classify(error, provider)
            results.append(SendResult(item.key, found.outcome, error=found.code))
            if found.pushback:
                results.extend(SendResult(later.key, found.outcome, error=NOT_ATTEMPTED)
                               for later in items[index + 1:])
                break
            continue
        results.append(SendResult(item.key, Outcome.ACCEPTED, provider_id=provider_id))
    return results
