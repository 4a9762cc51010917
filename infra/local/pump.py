"""The event pump: what Lambda's event source mappings, SNS subscriptions and EventBridge rules do, for `chalice local`.

`chalice local` serves HTTP routes only. The pump reads the app's SQS, SNS and schedule sources from
`app.event_sources` and invokes the same handler objects Lambda would, with the same event shapes:

- SQS: long-polls the queue and calls the handler with up to `batch_size` records. Like an event source mapping with
  `ReportBatchItemFailures`, it deletes the records that succeeded, and keeps those listed in `batchItemFailures` (or
  every record, if the handler raised) so they come back; their visibility is cut to a couple of seconds so that a
  retry happens while you watch, not after the queue's production timeout. The queue's redrive policy still applies.
- SNS: subscribes a pump-owned SQS queue to the topic and calls the handler with one `Records[].Sns` record per
  message, as SNS invokes Lambda; a failing message is retried twice, as Lambda's asynchronous invocation does.
- DynamoDB streams: reads the table's latest stream from its oldest record (TRIM_HORIZON), shard by shard, and calls
  the handler with up to `batch_size` records in Lambda's shape. A batch whose handler raised is given again (after a
  pause), as Lambda retries a stream batch: the handler must be idempotent (workers/stats.py is).
- Schedules: fires the CloudWatch "Scheduled Event" at the rule's rate (the first time after `first_schedule_after`
  seconds, if given). A cron expression fires every hour locally (said in a log line); `fire_schedule(name)` fires
  any schedule on demand. Handlers keep no state between firings (the every-minute release of scheduled alerts reads
  what is due from DynamoDB), so stopping and starting the pump neither loses nor repeats a firing's work.

One daemon thread per source; a handler's exception is logged and never stops the pump.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError
from chalice.app import (
    Chalice,
    Cron,
    DynamoDBEventConfig,
    Rate,
    ScheduledEventConfig,
    ScheduleExpression,
    SNSEventConfig,
    SQSEventConfig,
)

from infra import quotas
from infra.local.emulator import REGION
from infra.local.stack import ACCOUNT_ID

LOG = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]

RETRY_VISIBILITY_SECONDS = 2
SNS_MAX_ATTEMPTS = 3  # Lambda's asynchronous invocation: the first attempt and two retries
CRON_LOCAL_INTERVAL_SECONDS = 3600.0
_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: float = quotas.WORKER_TIMEOUT_SECONDS  # what Lambda gives the deployed workers
    region: str = REGION
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        remaining = self.timeout_seconds - (time.monotonic() - self._started)
        return max(0, int(remaining * 1000))


def schedule_interval_seconds(expression: str | ScheduleExpression) -> tuple[float, bool]:
    """Seconds between firings, and whether the expression was a cron that the pump approximates as hourly."""
    if isinstance(expression, Rate):
        unit = expression.unit.lower().rstrip("s")
        return float(expression.value * _UNIT_SECONDS[unit]), False
    if isinstance(expression, Cron):
        return CRON_LOCAL_INTERVAL_SECONDS, True
    text = expression.to_string() if isinstance(expression, ScheduleExpression) else str(expression)
    match = _RATE.fullmatch(text.strip())
    if match:
        unit = match.group(2).lower().rstrip("s")
        return float(int(match.group(1)) * _UNIT_SECONDS[unit]), False
    if text.strip().lower().startswith("cron("):
        return CRON_LOCAL_INTERVAL_SECONDS, True
    raise ValueError(f"unknown schedule expression {text!r}")


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _lambda_message_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """SQS's receive shape (StringValue, BinaryValue as bytes) to Lambda's (stringValue, base64 binaryValue)."""
    converted: dict[str, Any] = {}
    for name, value in attributes.items():
        item: dict[str, Any] = {
            "stringListValues": list(value.get("StringListValues", [])),
            "binaryListValues": [base64.b64encode(v).decode() for v in value.get("BinaryListValues", [])],
            "dataType": value.get("DataType", "String"),
        }
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            item["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        converted[name] = item
    return converted


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str = REGION) -> dict[str, Any]:
    """One record of Lambda's SQS event, from one message of `ReceiveMessage`."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": _lambda_message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sns_record(envelope: Mapping[str, Any], subscription_arn: str) -> dict[str, Any]:
    """One record of Lambda's SNS event, from the JSON envelope SNS puts on a (non-raw) SQS subscription."""
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": envelope.get("SignatureVersion", "1"),
            "Timestamp": envelope.get("Timestamp", _iso_now()),
            "Signature": envelope.get("Signature", ""),
            "SigningCertUrl": envelope.get("SigningCertURL", ""),
            "MessageId": envelope["MessageId"],
            "Message": envelope["Message"],
            "MessageAttributes": dict(envelope.get("MessageAttributes", {})),
            "Type": envelope.get("Type", "Notification"),
            "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
            "TopicArn": envelope["TopicArn"],
            "Subject": envelope.get("Subject"),
        },
    }


def stream_record(record: Mapping[str, Any], stream_arn: str, region: str = REGION) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it over: the creation time in epoch seconds (boto3 parsed it into a
    datetime), the stream's ARN and the region."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn, "awsRegion": region}


def scheduled_event(rule_name: str, region: str = REGION) -> dict[str, Any]:
    """The event EventBridge (CloudWatch Events) sends a Lambda target when a schedule fires."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{rule_name}"],
        "detail": {},
    }


def resolve_handler(app: Chalice, name: str, handler_string: str) -> Handler:
    """The callable Lambda would invoke for an event source.

    `app.handler_map` holds the wrapped handler (with the app's middleware) under the source's name; it is the object
    that `handler_string` names, and it also works for an app defined outside a module Lambda could import (a test's
    throwaway app, whose handler_string says `app.<function>`). Importing `handler_string` is the fallback.
    """
    handler = app.handler_map.get(name)
    if handler is None:
        module_name, _, attribute = handler_string.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
    return handler


def _failed_ids(result: Any) -> set[str] | None:
    """Ids the handler reported as failed; None when the response is not a partial-batch response."""
    if not isinstance(result, Mapping) or "batchItemFailures" not in result:
        return None
    return {str(item["itemIdentifier"]) for item in result["batchItemFailures"] or []}


class EventPump:
    """Feeds the app's SQS, SNS and schedule handlers from the emulator. `start()`, then `stop()`."""

    def __init__(
        self,
        app: Chalice,
        *,
        endpoint: str | None = None,
        region: str = REGION,
        function_prefix: str = "hexwatch-local",
        retry_visibility_seconds: int = RETRY_VISIBILITY_SECONDS,
        wait_time_seconds: int = 1,
        sqs_client: Any = None,
        sns_client: Any = None,
        first_schedule_after: float | None = None,
    ) -> None:
        self.app = app
        # Each schedule first fires this many seconds after start (None: one whole interval, as a new rule does).
        # `make run` sets it short, so that a restarted stack releases the scheduled alerts that fell due while it
        # was down within seconds, not a minute (or an hour) later.
        self.first_schedule_after = first_schedule_after
        self.region = region
        self.function_prefix = function_prefix
        self.retry_visibility_seconds = retry_visibility_seconds
        self.wait_time_seconds = wait_time_seconds
        self._sqs = sqs_client or boto3.client("sqs", endpoint_url=endpoint, region_name=region)
        self._sns = sns_client or boto3.client("sns", endpoint_url=endpoint, region_name=region)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._owned_queues: list[str] = []
        self._subscriptions: list[str] = []
        # Per handler name: records delivered, records that succeeded, records kept for retry, invocations that raised.
        self.stats: dict[str, Counter[str]] = {}
        self._stats_lock = threading.Lock()

    # --- discovery

    @property
    def sqs_sources(self) -> list[SQSEventConfig]:
        return [source for source in self.app.event_sources if isinstance(source, SQSEventConfig)]

    @property
    def sns_sources(self) -> list[SNSEventConfig]:
        return [source for source in self.app.event_sources if isinstance(source, SNSEventConfig)]

    @property
    def stream_sources(self) -> list[DynamoDBEventConfig]:
        return [source for source in self.app.event_sources if isinstance(source, DynamoDBEventConfig)]

    @property
    def schedules(self) -> list[ScheduledEventConfig]:
        return [source for source in self.app.event_sources if isinstance(source, ScheduledEventConfig)]

    # --- lifecycle

    def start(self, schedules_only: bool = False) -> None:
        """Starts a thread per source; `schedules_only` starts just the schedules (a test that drives the queues
        itself)."""
        for schedule in self.schedules:
            self._spawn(f"pump-schedule-{schedule.name}", self._run_schedule, schedule)
        if schedules_only:
            return
        for sqs_source in self.sqs_sources:
            self._spawn(f"pump-sqs-{sqs_source.name}", self._run_sqs, sqs_source)
        for sns_source in self.sns_sources:
            self._spawn(f"pump-sns-{sns_source.name}", self._run_sns, sns_source)
        for stream_source in self.stream_sources:
            self._spawn(f"pump-stream-{stream_source.name}", self._run_stream, stream_source)
        LOG.info(
            "event pump started: %d SQS, %d SNS, %d schedule sources",
            len(self.sqs_sources),
            len(self.sns_sources),
            len(self.schedules),
        )

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        for subscription_arn in self._subscriptions:
            self._quietly(self._sns.unsubscribe, SubscriptionArn=subscription_arn)
        for queue_url in self._owned_queues:
            self._quietly(self._sqs.delete_queue, QueueUrl=queue_url)
        self._subscriptions.clear()
        self._owned_queues.clear()

    def _spawn(self, name: str, target: Callable[..., None], source: Any) -> None:
        thread = threading.Thread(target=self._guarded, args=(target, source), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _guarded(self, target: Callable[..., None], source: Any) -> None:
        # Set-up errors (a queue that does not exist yet) are retried rather than ending the source's thread.
        while not self._stop.is_set():
            try:
                target(source)
            except Exception:
                LOG.exception("event pump source %s failed; retrying in 2 s", source.name)
                self._stop.wait(2)
            else:
                return

    @staticmethod
    def _quietly(call: Callable[..., Any], **kwargs: Any) -> None:
        try:
            call(**kwargs)
        except ClientError as error:
            LOG.debug("ignored during pump shutdown: %s", error)

    def _count(self, handler: str, **increments: int) -> None:
        with self._stats_lock:
            self.stats.setdefault(handler, Counter()).update(increments)

    def _context(self, name: str) -> LambdaContext:
        return LambdaContext(function_name=f"{self.function_prefix}-{name}", region=self.region)

    # --- DynamoDB streams

    def _run_stream(self, source: DynamoDBEventConfig) -> None:
        # The decorator's ARN names the table; the stream is the table's latest (its ARN carries a creation time).
        table = source.stream_arn.split(":table/", 1)[1].split("/", 1)[0]
        dynamodb = boto3.client("dynamodb", endpoint_url=self._sqs.meta.endpoint_url, region_name=self.region)
        streams = boto3.client("dynamodbstreams", endpoint_url=self._sqs.meta.endpoint_url, region_name=self.region)
        stream_arn = str(dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"])
        handler = resolve_handler(self.app, source.name, source.handler_string)
        iterators = {
            shard["ShardId"]: streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                                         ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]}
        LOG.info("pumping DynamoDB stream of %s -> %s (batch size %d)", table, source.name, source.batch_size)
        while not self._stop.is_set():
            busy = False
            for shard, iterator in list(iterators.items()):
                response = streams.get_records(ShardIterator=iterator, Limit=source.batch_size)
                records = response.get("Records") or []
                if records:
                    busy = True
                    event = {"Records": [stream_record(record, stream_arn, self.region) for record in records]}
                    try:
                        handler(event, self._context(source.name))
                    except Exception:
                        self._count(source.name, delivered=len(records), raised=1)
                        LOG.exception("%s failed on a stream batch; it is given again", source.name)
                        self._stop.wait(2)
                        continue  # the same iterator: the batch comes again, as Lambda retries it
                    self._count(source.name, delivered=len(records), succeeded=len(records))
                iterators[shard] = response.get("NextShardIterator") or iterator
            if not busy:
                self._stop.wait(0.5)

    # --- SQS

    def _queue_url_and_arn(self, queue: str) -> tuple[str, str]:
        name = queue.rsplit(":", 1)[-1] if queue.startswith("arn:") else queue
        url = str(self._sqs.get_queue_url(QueueName=name)["QueueUrl"])
        arn = str(self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
        return url, arn

    def _receive(self, queue_url: str, max_messages: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            WaitTimeSeconds=self.wait_time_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def _run_sqs(self, source: SQSEventConfig) -> None:
        queue = source.queue or source.queue_arn
        if queue is None:
            raise ValueError(f"SQS source {source.name} names no queue")
        handler = resolve_handler(self.app, source.name, source.handler_string)
        queue_url, queue_arn = self._queue_url_and_arn(queue)
        LOG.info("pumping SQS %s -> %s (batch size %d)", queue_url.rsplit("/", 1)[-1], source.name, source.batch_size)
        while not self._stop.is_set():
            try:
                messages = self._receive(queue_url, source.batch_size)
            except ClientError:
                LOG.exception("receiving from %s failed", queue_url)
                self._stop.wait(1)
                continue
            if messages:
                self.deliver_sqs_batch(source.name, handler, queue_url, queue_arn, messages)

    def deliver_sqs_batch(
        self, name: str, handler: Handler, queue_url: str, queue_arn: str, messages: list[dict[str, Any]]
    ) -> set[str]:
        """Invoke `handler` with one Lambda SQS event; delete what succeeded. Returns the ids kept for retry."""
        event = {"Records": [sqs_record(message, queue_arn, self.region) for message in messages]}
        by_id = {message["MessageId"]: message for message in messages}
        try:
            result = handler(event, self._context(name))
        except Exception:
            LOG.exception("%s raised on a batch of %d SQS records; all will be retried", name, len(messages))
            failed = set(by_id)
            self._count(name, delivered=len(messages), retried=len(messages), errors=1)
        else:
            reported = _failed_ids(result)
            failed = (reported or set()) & set(by_id)
            self._count(name, delivered=len(messages), succeeded=len(messages) - len(failed), retried=len(failed))
        LOG.info("%s got %d SQS record(s), %d failed", name, len(messages), len(failed))
        succeeded = [by_id[message_id] for message_id in by_id if message_id not in failed]
        for start in range(0, len(succeeded), 10):
            chunk = succeeded[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        for message_id in failed:
            self._quietly(
                self._sqs.change_message_visibility,
                QueueUrl=queue_url,
                ReceiptHandle=by_id[message_id]["ReceiptHandle"],
                VisibilityTimeout=self.retry_visibility_seconds,
            )
        return failed

    # --- SNS

    def _subscribe_queue(self, source: SNSEventConfig) -> tuple[str, str]:
        topic_arn = (
            source.topic
            if source.topic.startswith("arn:")
            else f"arn:aws:sns:{self.region}:{ACCOUNT_ID}:{source.topic}"
        )
        self._sns.get_topic_attributes(TopicArn=topic_arn)  # fails loudly if the stack lacks the topic
        queue_name = re.sub(r"[^A-Za-z0-9_-]", "-", f"{source.topic.rsplit(':', 1)[-1]}-pump-{source.name}")[:80]
        queue_url = str(self._sqs.create_queue(QueueName=queue_name)["QueueUrl"])
        self._owned_queues.append(queue_url)
        queue_arn = str(
            self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        )
        subscription_arn = str(
            self._sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True)[
                "SubscriptionArn"
            ]
        )
        self._subscriptions.append(subscription_arn)
        return queue_url, subscription_arn

    def _run_sns(self, source: SNSEventConfig) -> None:
        handler = resolve_handler(self.app, source.name, source.handler_string)
        queue_url, subscription_arn = self._subscribe_queue(source)
        LOG.info("pumping SNS %s -> %s", source.topic, source.name)
        while not self._stop.is_set():
            try:
                messages = self._receive(queue_url, 10)
            except ClientError:
                LOG.exception("receiving from %s failed", queue_url)
                self._stop.wait(1)
                continue
            for message in messages:
                self._deliver_sns_message(source.name, handler, queue_url, subscription_arn, message)

    def _deliver_sns_message(
        self, name: str, handler: Handler, queue_url: str, subscription_arn: str, message: dict[str, Any]
    ) -> None:
        receipt = message["ReceiptHandle"]
        attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            envelope = json.loads(message["Body"])
            event = {"Records": [sns_record(envelope, subscription_arn)]}
            handler(event, self._context(name))
        except Exception:
            self._count(name, delivered=1, errors=1)
            if attempts < SNS_MAX_ATTEMPTS:
                LOG.exception("%s raised on an SNS message (attempt %d); retrying", name, attempts)
                self._quietly(
                    self._sqs.change_message_visibility,
                    QueueUrl=queue_url,
                    ReceiptHandle=receipt,
                    VisibilityTimeout=self.retry_visibility_seconds,
                )
                return
            LOG.exception("%s raised on an SNS message %d times; dropping it, as Lambda would", name, attempts)
        else:
            self._count(name, delivered=1, succeeded=1)
            LOG.info("%s got 1 SNS record", name)
        self._sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)

    # --- schedules

    def _run_schedule(self, source: ScheduledEventConfig) -> None:
        interval, approximated = schedule_interval_seconds(source.schedule_expression)
        expression = source.schedule_expression
        text = expression.to_string() if isinstance(expression, ScheduleExpression) else expression
        if approximated:
            LOG.info("schedule %s is %s; locally it fires every hour (and on demand)", source.name, text)
        else:
            LOG.info("schedule %s fires every %d s (%s)", source.name, interval, text)
        wait = interval if self.first_schedule_after is None else min(interval, self.first_schedule_after)
        while not self._stop.wait(wait):
            wait = interval
            try:
                self._fire(source)
            except Exception:
                LOG.exception("schedule %s raised", source.name)

    def fire_schedule(self, name: str) -> Any:
        """Fire one schedule now, in the caller's thread, and return the handler's result (exceptions propagate)."""
        for source in self.schedules:
            if name in {source.name, source.handler_string, source.handler_string.rsplit(".", 1)[-1]}:
                return self._fire(source)
        known = ", ".join(source.name for source in self.schedules) or "none"
        raise KeyError(f"no schedule named {name!r} (known: {known})")

    def _fire(self, source: ScheduledEventConfig) -> Any:
        handler = resolve_handler(self.app, source.name, source.handler_string)
        try:
            result = handler(scheduled_event(source.name, self.region), self._context(source.name))
        except Exception:
            self._count(source.name, delivered=1, errors=1)
            raise
        self._count(source.name, delivered=1, succeeded=1)
        LOG.info("%s got 1 scheduled event", source.name)
        return result
