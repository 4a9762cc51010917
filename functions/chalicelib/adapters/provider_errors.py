"""Sorts what an AWS call raised into retryable (try again later through SQS) and permanent (record as failed).

Throttling, 5xx answers, timeouts and dropped connections are retryable: the same request may well succeed later.
Everything else (a refused parameter, an opted-out number, a disabled endpoint) will fail the same way again.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    ParamValidationError,
    ReadTimeoutError,
)

from ..domain.delivery import Outcome

RETRYABLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
    "ProvisionedThroughputExceededException", "LimitExceededException", "RequestThrottled", "SlowDown",
    "ServiceUnavailable", "ServiceUnavailableException", "InternalError", "InternalFailure",
    "InternalServerError", "InternalServerException", "KMSThrottlingException", "KMSThrottling",
    "TransactionConflictException",
})


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "ClientError")
    return type(error).__name__


def classify(error: BaseException) -> Outcome:
    if isinstance(error, ClientError):
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if error_code(error) in RETRYABLE_CODES or status == 429 or status >= 500:
            return Outcome.RETRYABLE
        return Outcome.PERMANENT
    if isinstance(error, ParamValidationError):
        return Outcome.PERMANENT  # botocore refused to build the request: it would refuse it again
    if isinstance(error, (ConnectionError, HTTPClientError, ReadTimeoutError, BotoCoreError)):
        return Outcome.RETRYABLE
    return Outcome.PERMANENT
