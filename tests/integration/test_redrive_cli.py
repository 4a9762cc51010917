"""`python -m infra.redrive --method copy` against the emulator: dead letters go back to the queue they came from.

Messages are put straight into a fresh stack's DLQs (as if every retry had failed), with message attributes of each
type, and the command moves them back. The emulator has no message move tasks, so the default method is proven by
tests/unit/test_redrive.py with Stubber. Every test also checks that no body was printed.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest

from infra import redrive
from infra.local.emulator import REGION


@pytest.fixture
def prefix(emulator, fresh_stack) -> str:  # type: ignore[no-untyped-def]
    return str(fresh_stack()["prefix"])


def url(sqs: Any, name: str) -> str:
    return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])


def body(n: int) -> str:
    # What the delivery queues carry: ledger keys, never addresses.
    return json.dumps({"alert_id": "01JALERT", "keys": [f"ledger#{n:04d}"]})


def attributes(n: int) -> dict[str, Any]:
    return {"channel": {"DataType": "String", "StringValue": "email"},
            "attempt": {"DataType": "Number", "StringValue": str(n)},
            "trace": {"DataType": "Binary", "BinaryValue": bytes([n, 255])}}


def dead_letters(sqs: Any, queue: str, count: int, start: int = 0) -> list[tuple[str, str]]:
    """`count` messages put straight into `queue`; what each looks like, to compare with what comes back."""
    for n in range(start, start + count):
        sqs.send_message(QueueUrl=url(sqs, queue), MessageBody=body(n), MessageAttributes=attributes(n))
    return [shape(body(n), attributes(n)) for n in range(start, start + count)]


def shape(text: str, attrs: dict[str, Any]) -> tuple[str, str]:
    kept = {name: {k: (v.hex() if isinstance(v, bytes) else v) for k, v in value.items()
                   if k in ("DataType", "StringValue", "BinaryValue")} for name, value in attrs.items()}
    return text, json.dumps(kept, sort_keys=True)


def drain(sqs: Any, queue: str) -> list[tuple[str, str]]:
    """Every message in `queue`, received (and deleted, so that a second look cannot see one twice)."""
    found: list[tuple[str, str]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url(sqs, queue), MaxNumberOfMessages=10,
                                       MessageAttributeNames=["All"]).get("Messages") or []
        if not messages:
            return found
        for message in messages:
            found.append(shape(message["Body"], message.get("MessageAttributes") or {}))
            sqs.delete_message(QueueUrl=url(sqs, queue), ReceiptHandle=message["ReceiptHandle"])


def depth(sqs: Any, queue: str) -> int:
    values = sqs.get_queue_attributes(QueueUrl=url(sqs, queue), AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(values["ApproximateNumberOfMessages"]) + int(values["ApproximateNumberOfMessagesNotVisible"])


def run(prefix: str, *argv: str) -> int:
    return redrive.main(["--prefix", prefix, "--region", REGION, *argv])


def no_bodies(printed: Any) -> None:
    text = printed.out + printed.err
    assert "ledger#" not in text and "01JALERT" not in text


def test_copy_moves_every_message_back_with_its_body_and_attributes(prefix: str, capsys) -> None:  # type: ignore[no-untyped-def]
    sqs = boto3.client("sqs", region_name=REGION)
    expected = dead_letters(sqs, f"{prefix}-deliver-email-dlq", 13)  # more than one batch of ten

    assert run(prefix, "--queue", "deliver-email", "--method", "copy") == redrive.DONE

    assert depth(sqs, f"{prefix}-deliver-email-dlq") == 0
    assert Counter(drain(sqs, f"{prefix}-deliver-email")) == Counter(expected)
    printed = capsys.readouterr()
    assert f"{prefix}-deliver-email-dlq -> {prefix}-deliver-email: 13 waiting" in printed.out
    assert "moved 13" in printed.out
    no_bodies(printed)


def test_dry_run_changes_nothing(prefix: str, capsys) -> None:  # type: ignore[no-untyped-def]
    sqs = boto3.client("sqs", region_name=REGION)
    expected = dead_letters(sqs, f"{prefix}-targeting-dlq", 4)

    assert run(prefix, "--queue", "targeting", "--method", "copy", "--dry-run") == redrive.DONE

    assert depth(sqs, f"{prefix}-targeting") == 0
    assert Counter(drain(sqs, f"{prefix}-targeting-dlq")) == Counter(expected)
    printed = capsys.readouterr()
    assert "4 waiting" in printed.out and "would move 4" in printed.out
    no_bodies(printed)


def test_max_moves_that_many_and_leaves_the_rest(prefix: str, capsys) -> None:  # type: ignore[no-untyped-def]
    sqs = boto3.client("sqs", region_name=REGION)
    expected = dead_letters(sqs, f"{prefix}-deliver-sms-dlq", 5)

    assert run(prefix, "--queue", "deliver-sms", "--method", "copy", "--max", "3") == redrive.DONE

    moved = drain(sqs, f"{prefix}-deliver-sms")
    assert len(moved) == 3
    # The two left are still in the DLQ (hidden for a moment if they were received, so counted, not received).
    assert depth(sqs, f"{prefix}-deliver-sms-dlq") == 2
    assert not Counter(moved) - Counter(expected)
    no_bodies(capsys.readouterr())


def test_all_moves_every_queue_and_leaves_the_event_handlers_dlq_alone(prefix: str, capsys) -> None:  # type: ignore[no-untyped-def]
    sqs = boto3.client("sqs", region_name=REGION)
    transactional = dead_letters(sqs, f"{prefix}-transactional-dlq", 2)
    push = dead_letters(sqs, f"{prefix}-deliver-push-dlq", 3, start=10)
    sqs.send_message(QueueUrl=url(sqs, f"{prefix}-event-handlers-dlq"),
                     MessageBody=json.dumps({"requestPayload": {"ledger": "ledger#9999"}}))

    assert run(prefix, "--all", "--method", "copy") == redrive.DONE

    assert Counter(drain(sqs, f"{prefix}-transactional")) == Counter(transactional)
    assert Counter(drain(sqs, f"{prefix}-deliver-push")) == Counter(push)
    assert depth(sqs, f"{prefix}-event-handlers-dlq") == 1
    printed = capsys.readouterr()
    assert f"{prefix}-event-handlers-dlq: 1 waiting; not moved" in printed.out
    assert printed.out.count("nothing to move") == 5  # targeting, deliver-email, -sms, -voice, webhooks
    no_bodies(printed)


def test_a_message_the_source_queue_refuses_stays_in_the_dlq(prefix: str, capsys) -> None:  # type: ignore[no-untyped-def]
    sqs = boto3.client("sqs", region_name=REGION)
    # The source queue now refuses messages over 1 KiB, as a send can fail in AWS; the DLQ still holds a larger one.
    sqs.set_queue_attributes(QueueUrl=url(sqs, f"{prefix}-deliver-voice"), Attributes={"MaximumMessageSize": "1024"})
    small = dead_letters(sqs, f"{prefix}-deliver-voice-dlq", 2)
    sqs.send_message(QueueUrl=url(sqs, f"{prefix}-deliver-voice-dlq"),
                     MessageBody=json.dumps({"keys": ["ledger#big"], "pad": "x" * 2000}))

    assert run(prefix, "--queue", "deliver-voice", "--method", "copy") == redrive.NOT_MOVED

    assert Counter(drain(sqs, f"{prefix}-deliver-voice")) == Counter(small)
    assert depth(sqs, f"{prefix}-deliver-voice-dlq") == 1  # hidden until its visibility timeout, never lost
    printed = capsys.readouterr()
    assert "moved 2, not moved 1" in printed.out
    no_bodies(printed)


def test_an_unknown_queue_is_exit_2(prefix: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(prefix, "--queue", "deliver-pigeon", "--method", "copy") == redrive.REFUSED
    assert "no queue 'deliver-pigeon'" in capsys.readouterr().err


def test_the_event_handlers_dlq_is_refused_and_kept(prefix: str, capsys) -> None:  # type: ignore[no-untyped-def]
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=url(sqs, f"{prefix}-event-handlers-dlq"), MessageBody="{}")

    assert run(prefix, "--queue", "event-handlers-dlq", "--method", "copy") == redrive.REFUSED

    assert depth(sqs, f"{prefix}-event-handlers-dlq") == 1
    said = capsys.readouterr().err
    assert "aws lambda invoke" in said and "docs/operations.md" in said


def test_a_prefix_with_no_stack_is_exit_2(emulator, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run("nosuchstack", "--queue", "deliver-email", "--method", "copy") == redrive.REFUSED
    assert "check --prefix and --region" in capsys.readouterr().err
