"""Sending an alert's SMS through SNS, one `Publish` per resident, paced under the account's SMS rate.

SNS has no batch call for SMS to phone numbers, so each message is its own request. Every message answers a
`SendResult`: accepted with SNS's message id, or retryable/permanent with a short error code (never the number, and
never the provider's error message, which can quote it).

SNS's `MessageId` is the SMS's provider id: the ledger records it with the send, together with a pointer from it to
the ledger entry, because SNS's delivery-status records (CloudWatch Logs, read by workers/receipts.py) name only that
id. `Publish` takes no configuration set: delivery receipts are turned on for the account
(infra/sms_delivery_status.py).

`send_each`, `is_throttled` and `outcome_of` are shared with the voice and push adapters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from botocore.exceptions import ClientError, ParamValidationError

from ..domain.delivery import Outcome, SendResult, SmsMessage
from .provider_errors import classify, error_code

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
else:
    SNSClient = Any

# Codes that mean "you are sending too fast", as SNS and the other providers spell them. SNS answers KMSThrottling
# (not KMSThrottlingException, which provider_errors knows) when the topic's KMS key is throttled.
THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
    "RequestThrottled", "SlowDown", "KMSThrottling", "KMSThrottlingException",
})
NOT_ATTEMPTED = "NotAttempted"  # the error code of messages skipped after the provider throttled us


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


_Item = TypeVar("_Item", bound=_Keyed)


def is_throttled(error: BaseException) -> bool:
    """The provider asked us to slow down (or is shedding load): later requests in the same batch would fail too."""
    if not isinstance(error, ClientError):
        return False
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return error_code(error) in THROTTLE_CODES or status in (429, 503)


def outcome_of(error: BaseException) -> Outcome:
    """provider_errors.classify, plus the cases it does not know.

    - A request botocore refused before sending (ParamValidationError, e.g. an empty body) fails the same way every
      time; classify counts every BotoCoreError as retryable.
    - SNS's KMSThrottling is a 400 whose code classify does not list.
    """
    if isinstance(error, ParamValidationError):
        return Outcome.PERMANENT
    if is_throttled(error):
        return Outcome.RETRYABLE
    return classify(error)


def send_each(items: Sequence[_Item], attempt: Callable[[_Item], str]) -> list[SendResult]:
    """One result per item, in order: `attempt` answers the provider's id, or raises and is classified.

    Once the provider throttles, the rest are not attempted: the limit is the account's (SNS SMS and push, Pinpoint
    voice), so they would only be throttled too, and more requests only delay the recovery. They answer retryable,
    which sends them back through SQS. Other failures (a refused number, a disabled endpoint, one 500) concern one
    request, so the rest are still sent.
    """
    results: list[SendResult] = []
    for index, item in enumerate(items):
        try:
            provider_id = attempt(item)
        except Exception as error:
            results.append(SendResult(item.key, outcome_of(error), error=error_code(error)))
            if is_throttled(error):
                skipped = items[index + 1:]
                results.extend(SendResult(later.key, Outcome.RETRYABLE, error=NOT_ATTEMPTED) for later in skipped)
                break
            continue
        results.append(SendResult(item.key, Outcome.ACCEPTED, provider_id=provider_id))
    return results


class SnsAlertSmsSender:
    """Publishes each SMS to its phone number.

    `min_interval_s` spaces successive publishes (1 / the account's SMS rate, e.g. 0.05 for 20 messages a second), so
    one sender never exceeds the rate; the interval holds across `send` calls on the same instance. It cannot pace
    senders in other Lambda invocations: the worker's concurrency bounds that.
    `sleep` and `clock` are injectable so tests pace with a fake clock.
    """

    def __init__(
        self,
        client: SNSClient,
        sender_id: str | None = None,
        sms_type: str = "Transactional",
        min_interval_s: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._sender_id = sender_id
        self._sms_type = sms_type
        self._min_interval_s = max(0.0, min_interval_s)
        self._sleep = sleep
        self._clock = clock
        self._last_publish: float | None = None

    def _attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": self._sms_type}}
        if self._sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self._sender_id}
        return attributes

    def _pace(self) -> None:
        if self._min_interval_s and self._last_publish is not None:
            wait = self._last_publish + self._min_interval_s - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_publish = self._clock()

    def send(self, messages: Sequence[SmsMessage]) -> list[SendResult]:
        attributes = self._attributes()

        def publish(message: SmsMessage) -> str:
            self._pace()
            response = self._client.publish(PhoneNumber=message.to, Message=message.text, MessageAttributes=attributes)
            return str(response["MessageId"])

        return send_each(messages, publish)
