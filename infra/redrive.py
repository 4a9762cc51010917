"""Redrive a dead-letter queue: move the messages waiting in a queue's DLQ back to the queue they came from.

For an operator with AWS credentials for the deployment, once the cause of the failures is found and fixed:

    python -m infra.redrive --prefix hexwatch [--region eu-west-2] --queue deliver-email --dry-run
    python -m infra.redrive --prefix hexwatch --queue deliver-email                 (an SQS message move task)
    python -m infra.redrive --prefix hexwatch --all --rate 50                        (every queue, 50 messages/s each)
    python -m infra.redrive --prefix hexwatch --queue targeting --method copy --max 3   (at most three)

The queues are the ones with a dead-letter queue: transactional, targeting, the delivery queues (deliver-email,
deliver-sms, deliver-voice, deliver-push) and webhooks. Each one's DLQ is read from its RedrivePolicy, never guessed
from its name; the number of messages waiting there is shown before anything moves.

Two methods move them:

  move-task (the default)  asks SQS to move them (StartMessageMoveTask, from the DLQ to the source queue) and follows
                           the task with ListMessageMoveTasks until it ends or --wait runs out. SQS moves every
                           message, keeping its body and attributes; --rate caps the messages per second.
  copy                     receives up to 10 messages at a time from the DLQ, sends them to the source queue
                           (SendMessageBatch, same body and message attributes) and deletes from the DLQ only those
                           whose send succeeded. A message whose send failed stays in the DLQ and is visible again
                           after a minute. For the local stack (the emulator has no move tasks) and for --max.

Delivery is idempotent (the ledger claims each recipient once), so a redriven batch sends only what was not sent.

`<prefix>-event-handlers-dlq` is refused: it holds Lambda's on-failure records for the receipt handlers, not messages
from a queue, so there is nowhere to move them. Replay them with `aws lambda invoke` (docs/operations.md, "Redrive a
dead-letter queue"). With --all its count is shown, and it is left alone.

Output is counts only: nothing prints a message's body, attributes or id.

Exit status: 0 done (or nothing to move, or a dry run; or a move task still running when --wait ran out, which it
says), 1 something could not be moved (see the message; nothing was lost), 2 bad arguments or refused.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from infra.deployment_args import add_deployment_arguments

FUNCTIONS_DIR = str(Path(__file__).resolve().parents[1] / "functions")
if FUNCTIONS_DIR not in sys.path:
    sys.path.insert(0, FUNCTIONS_DIR)

from chalicelib import config  # noqa: E402  (the queue suffixes the functions use, never a copy of them)

DONE, NOT_MOVED, REFUSED = 0, 1, 2
# The queues with a RedrivePolicy in infra/resources.yaml, by the suffix the operator names them with.
QUEUES = (config.TRANSACTIONAL_QUEUE, config.TARGETING_QUEUE, *config.DELIVERY_QUEUES.values(),
          config.WEBHOOK_QUEUE)
EVENT_HANDLERS_DLQ = "event-handlers-dlq"
DLQ_SUFFIX = "-dlq"
# How long a received message stays hidden from others while the copy method sends and deletes it: long enough for
# one batch's send and delete, short enough that a message whose send failed is soon back in the DLQ.
COPY_VISIBILITY_SECONDS = 60
# Long polling asks every SQS server, so an empty answer means the DLQ is empty, not that a short poll missed it.
COPY_WAIT_SECONDS = 1
SQS_BATCH = 10
# SendMessageBatch refuses a batch whose messages add up to more than this; 256 KiB holds on every account.
BATCH_BYTES = 256 * 1024
MOVE_TASK_POLL_SECONDS = 5.0
DEFAULT_WAIT_SECONDS = 300
MAX_RATE = 500  # the most StartMessageMoveTask's MaxNumberOfMessagesPerSecond accepts


def out(line: str = "") -> None:
    print(line, flush=True)


def err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def failure(error: Exception) -> str:
    """What went wrong, by the error's code: a ClientError's message can quote the request, never a body here, but
    the code is what an operator needs."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', 'ClientError')}: {info.get('Message', '')}".rstrip(": ")
    return type(error).__name__


@dataclass(frozen=True)
class Pair:
    """A source queue and the dead-letter queue its RedrivePolicy names."""

    name: str
    url: str
    arn: str
    dlq_name: str
    dlq_url: str
    dlq_arn: str


@dataclass
class Outcome:
    """What one redrive did: `moved` are in the source queue and gone from the DLQ; `failed` are still in the DLQ;
    `duplicated` are in both. `error` says what stopped it, `note` what the operator should know otherwise."""

    moved: int = 0
    failed: int = 0
    duplicated: int = 0
    error: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.duplicated and not self.error

    @property
    def handled(self) -> int:
        """Every message this run took off the DLQ or tried to: what --max counts."""
        return self.moved + self.failed + self.duplicated


class Redrive(Protocol):
    """One way of moving a DLQ's messages back to their source queue."""

    name: str

    def move(self, pair: Pair, limit: int | None) -> Outcome: ...


class MessageMoveTask:
    """SQS moves the messages itself (StartMessageMoveTask); this follows the task with ListMessageMoveTasks."""

    name = "move-task"

    def __init__(self, sqs: Any, rate: int | None = None, wait_seconds: float = DEFAULT_WAIT_SECONDS,
                 poll_seconds: float = MOVE_TASK_POLL_SECONDS, sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.sqs = sqs
        self.rate = rate
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic

    def move(self, pair: Pair, limit: int | None) -> Outcome:
        # A move task moves everything in the DLQ; main() refuses --max with this method before it gets here.
        assert limit is None, "a move task cannot stop after a number of messages"
        request: dict[str, Any] = {"SourceArn": pair.dlq_arn, "DestinationArn": pair.arn}
        if self.rate is not None:
            request["MaxNumberOfMessagesPerSecond"] = self.rate
        try:
            handle = str(self.sqs.start_message_move_task(**request)["TaskHandle"])
        except (ClientError, BotoCoreError) as error:
            # One task per DLQ at a time: a task already running is the commonest refusal, and says so in its code.
            return Outcome(error=f"could not start a move task ({failure(error)})")
        out(f"  move task started: {pair.dlq_name} -> {pair.name}")
        deadline = self.clock() + self.wait_seconds
        while True:
            try:
                task = self.latest_task(pair, handle)
            except (ClientError, BotoCoreError) as error:
                return Outcome(note=f"started, but its progress could not be read ({failure(error)}); "
                                                  f"see aws sqs list-message-move-tasks --source-arn {pair.dlq_arn}")
            status = str(task.get("Status", "RUNNING")) if task else "RUNNING"
            moved = int(task.get("ApproximateNumberOfMessagesMoved", 0)) if task else 0
            to_move = int(task.get("ApproximateNumberOfMessagesToMove", 0)) if task else 0
            if status == "COMPLETED":
                return Outcome(moved=moved)
            if status in ("FAILED", "CANCELLED", "CANCELLING"):
                reason = task.get("FailureReason") if task else None
                left = max(to_move - moved, 0)
                return Outcome(moved=moved, failed=left,
                               error=f"move task {status.lower()}" + (f": {reason}" if reason else ""))
            out(f"  moving: {moved} of about {to_move} moved")
            if self.clock() >= deadline:
                return Outcome(moved=moved,
                               note=f"still running after {self.wait_seconds:g} s; follow it with aws sqs "
                                    f"list-message-move-tasks --source-arn {pair.dlq_arn} (cancel: aws sqs "
                                    f"cancel-message-move-task --task-handle <handle>)")
            self.sleep(self.poll_seconds)

    def latest_task(self, pair: Pair, handle: str) -> dict[str, Any] | None:
        """The task just started: ListMessageMoveTasks lists the DLQ's newest first, and gives a TaskHandle only
        while a task runs, so the newest is taken when no listed task carries the handle."""
        tasks = self.sqs.list_message_move_tasks(SourceArn=pair.dlq_arn, MaxResults=1).get("Results") or []
        for task in tasks:
            if task.get("TaskHandle") in (None, handle):
                return dict(task)
        return None


def refused_whole_batch(error: ClientError) -> bool:
    """A 4xx other than throttling: SQS looked at the batch and took none of it."""
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)
    code = str(error.response.get("Error", {}).get("Code", ""))
    return status < 500 and status != 429 and "Throttl" not in code


class ReceiveSendDelete:
    """Receive from the DLQ, send to the source queue, and delete from the DLQ only what was sent.

    Nothing can be lost: a message leaves the DLQ only after SendMessageBatch said it was accepted. A failed send
    leaves the message hidden in the DLQ for COPY_VISIBILITY_SECONDS, then it is there again for the next run. What
    can happen is a duplicate: a message sent but whose delete failed is in both queues, which the count says (the
    delivery ledger makes the second one send nothing).
    """

    name = "copy"

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs

    def move(self, pair: Pair, limit: int | None) -> Outcome:
        outcome = Outcome()
        seen: set[str] = set()
        while limit is None or outcome.handled < limit:
            wanted = SQS_BATCH if limit is None else min(SQS_BATCH, limit - outcome.handled)
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=pair.dlq_url, MaxNumberOfMessages=wanted, MessageAttributeNames=["All"],
                    VisibilityTimeout=COPY_VISIBILITY_SECONDS, WaitTimeSeconds=COPY_WAIT_SECONDS,
                ).get("Messages") or []
            except (ClientError, BotoCoreError) as error:
                outcome.error = f"could not receive from {pair.dlq_name} ({failure(error)})"
                break
            # A message seen before in this run came back (its send failed and it became visible again): stop rather
            # than go round it again; it waits for the next run.
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                break
            seen.update(m["MessageId"] for m in fresh)
            for batch in batches(fresh):
                self.copy(pair, batch, outcome)
        if outcome.failed and not outcome.error:
            outcome.error = (f"{outcome.failed} could not be sent to {pair.name}; they stay in {pair.dlq_name} "
                            f"and are visible there again within {COPY_VISIBILITY_SECONDS} s")
        return outcome

    def copy(self, pair: Pair, batch: list[dict[str, Any]], outcome: Outcome) -> None:
        """Sends `batch` to the source queue and deletes from the DLQ only what SQS says it took."""
        by_id = {str(index): message for index, message in enumerate(batch)}
        entries = [entry(index, message) for index, message in by_id.items()]
        try:
            answer = self.sqs.send_message_batch(QueueUrl=pair.url, Entries=entries)
        except ClientError as error:
            if not refused_whole_batch(error):
                # Throttled or a server error after botocore's retries: SQS may have taken the batch, so, as with no
                # answer at all, nothing is deleted and nothing sent again; the messages wait for the next run.
                outcome.failed += len(batch)
                return
            # SQS refused the whole batch, which one bad message (too large for the source queue, say) is enough
            # for: sending each alone again cannot duplicate, and moves all the others.
            if len(batch) == 1:
                outcome.failed += 1
            else:
                for message in batch:
                    self.copy(pair, [message], outcome)
            return
        except BotoCoreError:
            # No answer (the connection failed): the batch may or may not be in the source queue, so nothing is
            # deleted and nothing is sent again; the messages wait in the DLQ for the next run.
            outcome.failed += len(batch)
            return
        sent = [str(item["Id"]) for item in answer.get("Successful") or []]
        outcome.failed += len(answer.get("Failed") or [])
        if not sent:
            return
        try:
            deleted = self.sqs.delete_message_batch(
                QueueUrl=pair.dlq_url,
                Entries=[{"Id": i, "ReceiptHandle": by_id[i]["ReceiptHandle"]} for i in sent])
            not_deleted = len(deleted.get("Failed") or [])
        except (ClientError, BotoCoreError):
            not_deleted = len(sent)
        outcome.moved += len(sent) - not_deleted
        outcome.duplicated += not_deleted


def entry(entry_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """A SendMessageBatch entry carrying the received message's body and message attributes, as they were."""
    sent: dict[str, Any] = {"Id": entry_id, "MessageBody": message["Body"]}
    attributes = {
        # ReceiveMessage may add the list fields SQS reserves; SendMessage takes only the type and one value.
        name: {key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value}
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    if attributes:
        sent["MessageAttributes"] = attributes
    return sent


def size_of(message: dict[str, Any]) -> int:
    """The bytes SQS counts for a message: its body, and each attribute's name, type and value."""
    total = len(message["Body"].encode())
    for name, value in (message.get("MessageAttributes") or {}).items():
        total += len(name.encode()) + len(str(value.get("DataType", "")).encode())
        total += len(str(value.get("StringValue", "")).encode()) + len(value.get("BinaryValue") or b"")
    return total


def batches(messages: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The messages in batches SendMessageBatch accepts: at most 10, and at most BATCH_BYTES together (a single
    larger message goes alone, which the queue's own maximum size allows)."""
    batch: list[dict[str, Any]] = []
    size = 0
    for message in messages:
        bytes_ = size_of(message)
        if batch and (len(batch) == SQS_BATCH or size + bytes_ > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(message)
        size += bytes_
    if batch:
        yield batch


class NoSuchQueue(Exception):
    """The prefix and region name no such queue: a wrong argument, or another deployment."""


class NoDeadLetterQueue(Exception):
    """The queue has no RedrivePolicy, so there is no DLQ to move messages from."""


def queue_url(sqs: Any, name: str, owner: str | None = None) -> str:
    request = {"QueueName": name, **({"QueueOwnerAWSAccountId": owner} if owner else {})}
    try:
        return str(sqs.get_queue_url(**request)["QueueUrl"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("AWS.SimpleQueueService.NonExistentQueue",
                                                           "QueueDoesNotExist"):
            raise NoSuchQueue(name) from error
        raise


def pair_of(sqs: Any, prefix: str, suffix: str) -> Pair:
    """The source queue and, from its RedrivePolicy, its DLQ (which may be named anything, in any account)."""
    name = config.resource_name(suffix, prefix)
    url = queue_url(sqs, name)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy"])["Attributes"]
    policy = json.loads(attributes.get("RedrivePolicy") or "{}")
    dlq_arn = policy.get("deadLetterTargetArn")
    if not dlq_arn:
        raise NoDeadLetterQueue(name)
    # arn:aws:sqs:<region>:<account>:<name>
    parts = str(dlq_arn).split(":")
    dlq_name, owner = parts[5], parts[4]
    return Pair(name=name, url=url, arn=str(attributes["QueueArn"]), dlq_name=dlq_name,
                dlq_url=queue_url(sqs, dlq_name, owner), dlq_arn=str(dlq_arn))


def waiting(sqs: Any, url: str) -> tuple[int, int]:
    """(messages waiting, messages in flight: received by someone and hidden until their visibility timeout)."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0)), \
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))


def describe_counts(visible: int, hidden: int) -> str:
    return f"{visible} waiting" + (f", {hidden} in flight (moved once visible again)" if hidden else "")


def redrive_one(sqs: Any, method: Redrive, prefix: str, suffix: str, args: argparse.Namespace) -> bool:
    """Shows one queue's DLQ and moves its messages back; True when nothing was left behind by a failure."""
    try:
        pair = pair_of(sqs, prefix, suffix)
    except NoDeadLetterQueue as error:
        err(f"{error}: no RedrivePolicy, so no dead-letter queue to move messages from")
        return False
    visible, hidden = waiting(sqs, pair.dlq_url)
    out(f"{pair.dlq_name} -> {pair.name}: {describe_counts(visible, hidden)}")
    if args.dry_run:
        would = visible if args.max is None else min(visible, args.max)
        out(f"  dry run: would move {would} with {method.name}; nothing was changed")
        return True
    if not visible:
        out("  nothing to move")
        return True
    outcome = method.move(pair, args.max)
    after, after_hidden = waiting(sqs, pair.dlq_url)
    out(f"  moved {outcome.moved}" + (f", not moved {outcome.failed}" if outcome.failed else "")
        + f"; {pair.dlq_name} now {describe_counts(after, after_hidden)}")
    if outcome.duplicated:
        err(f"  {outcome.duplicated} were sent to {pair.name} but could not be deleted from {pair.dlq_name}: they "
            "will be there again and a later redrive sends them a second time, which the delivery ledger makes "
            "harmless")
    if outcome.error:
        err(f"  not moved: {outcome.error}")
    if outcome.note:
        out(f"  {outcome.note}")
    return outcome.ok


def show_event_handlers(sqs: Any, prefix: str) -> None:
    """With --all: the event handlers' DLQ is counted, never moved (there is no source queue)."""
    name = config.resource_name(EVENT_HANDLERS_DLQ, prefix)
    try:
        visible, hidden = waiting(sqs, queue_url(sqs, name))
    except NoSuchQueue:
        return
    out(f"{name}: {describe_counts(visible, hidden)}; not moved: Lambda failure records, "
        "replay with aws lambda invoke (docs/operations.md)")


def suffix_of(given: str, prefix: str) -> str:
    """`deliver-email`, `deliver-email-dlq`, `hexwatch-deliver-email` and `hexwatch-deliver-email-dlq` all name the
    source queue `deliver-email`."""
    name = given.removeprefix(f"{prefix}-")
    return name if name == EVENT_HANDLERS_DLQ else name.removesuffix(DLQ_SUFFIX)


def parser() -> argparse.ArgumentParser:
    parsing = argparse.ArgumentParser(prog="python -m infra.redrive", description=__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    add_deployment_arguments(parsing)
    which = parsing.add_mutually_exclusive_group(required=True)
    which.add_argument("--queue", action="append", metavar="QUEUE",
                       help=f"a source queue whose DLQ to redrive (repeatable): {', '.join(QUEUES)}")
    which.add_argument("--all", action="store_true", help="every queue that has a DLQ")
    parsing.add_argument("--method", choices=["move-task", "copy"], default="move-task",
                         help="move-task (default): SQS moves every message itself (StartMessageMoveTask) and the "
                              "command follows it (ListMessageMoveTasks). copy: receive from the DLQ, send to the "
                              "source queue with the same body and attributes, delete from the DLQ only what was "
                              "sent; for the local emulator (no move tasks) and --max")
    parsing.add_argument("--dry-run", action="store_true", help="show how many messages wait; change nothing")
    parsing.add_argument("--max", type=int, metavar="N", help="move at most N messages per queue (copy only)")
    parsing.add_argument("--rate", type=int, metavar="N",
                         help=f"move-task only: at most N messages a second (1 to {MAX_RATE}; default: SQS's)")
    parsing.add_argument("--wait", type=float, default=DEFAULT_WAIT_SECONDS, metavar="SECONDS",
                         help=f"move-task only: how long to follow the task (default {DEFAULT_WAIT_SECONDS}; "
                              "0: start it and report once)")
    return parsing


def refusal(args: argparse.Namespace) -> str | None:
    """Why these arguments cannot run, or None."""
    if args.max is not None and args.max < 1:
        return "--max must be 1 or more"
    if args.max is not None and args.method == "move-task" and not args.dry_run:
        return "a move task moves every message; --max needs --method copy"
    if args.rate is not None and args.method != "move-task":
        return "--rate is for --method move-task (copy moves as fast as SQS answers)"
    if args.rate is not None and not 1 <= args.rate <= MAX_RATE:
        return f"--rate must be from 1 to {MAX_RATE}"
    if args.wait < 0:
        return "--wait must be 0 or more"
    for given in args.queue or []:
        suffix = suffix_of(given, args.prefix)
        if suffix in (EVENT_HANDLERS_DLQ, EVENT_HANDLERS_DLQ.removesuffix(DLQ_SUFFIX)):
            return (f"{config.resource_name(EVENT_HANDLERS_DLQ, args.prefix)} holds Lambda's on-failure records "
                    "for the receipt handlers, not messages from a queue: there is nowhere to move them. Fix the "
                    "cause, then replay each record's requestPayload with aws lambda invoke "
                    "(docs/operations.md, \"Redrive a dead-letter queue\")")
        if suffix not in QUEUES:
            return f"no queue {given!r} with a dead-letter queue; the queues are: {', '.join(QUEUES)}"
    return None


def main(argv: list[str] | None = None, sqs: Any = None) -> int:
    args = parser().parse_args(argv)
    if (why := refusal(args)) is not None:
        err(f"refused: {why}")
        return REFUSED
    sqs = sqs or boto3.client("sqs", region_name=args.region)
    method: Redrive = MessageMoveTask(sqs, args.rate, args.wait) if args.method == "move-task" \
        else ReceiveSendDelete(sqs)
    suffixes = list(QUEUES) if args.all else list(dict.fromkeys(suffix_of(q, args.prefix) for q in args.queue))
    all_moved = True
    try:
        for suffix in suffixes:
            all_moved = redrive_one(sqs, method, args.prefix, suffix, args) and all_moved
        if args.all:
            show_event_handlers(sqs, args.prefix)
    except NoSuchQueue as error:
        err(f"refused: no queue {error} in {args.region}: check --prefix and --region")
        return REFUSED
    except (ClientError, BotoCoreError) as error:  # credentials, permissions, throttling: say which, not a traceback
        err(f"stopped: {failure(error)}; nothing was lost, run the command again once it is fixed")
        return NOT_MOVED
    return DONE if all_moved else NOT_MOVED


if __name__ == "__main__":
    sys.exit(main())
