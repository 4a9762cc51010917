"""`python -m infra.redrive`: the exact SQS requests of both methods, checked with botocore's Stubber.

The emulator has no message move tasks (moto answers 500 to StartMessageMoveTask and ListMessageMoveTasks), so the
default method is proven here, request by request; tests/integration/test_redrive_cli.py runs the copy method against
the emulator. Stubber fails a test on any request that is not the next one expected, so each test is also the proof
that nothing else (no send, no delete) was made.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from infra import redrive

PREFIX = "hexwatch"
ACCOUNT = "123456789012"
SOURCE = f"{PREFIX}-deliver-email"
DLQ = f"{SOURCE}-dlq"
SOURCE_URL = f"https://sqs.eu-west-2.amazonaws.com/{ACCOUNT}/{SOURCE}"
DLQ_URL = f"https://sqs.eu-west-2.amazonaws.com/{ACCOUNT}/{DLQ}"
SOURCE_ARN = f"arn:aws:sqs:eu-west-2:{ACCOUNT}:{SOURCE}"
DLQ_ARN = f"arn:aws:sqs:eu-west-2:{ACCOUNT}:{DLQ}"
HANDLE = "eyJ0YXNrSWQiOiJkYTFkYjk4My0wMjJhLTRlNzAifQ=="
COUNTS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


def sqs_client():  # type: ignore[no-untyped-def]
    return boto3.client("sqs", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def expect_pair(stub: Stubber) -> None:
    """The source queue, its RedrivePolicy, and the DLQ it names."""
    stub.add_response("get_queue_url", {"QueueUrl": SOURCE_URL}, {"QueueName": SOURCE})
    stub.add_response("get_queue_attributes", {"Attributes": {
        "QueueArn": SOURCE_ARN,
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 8})}},
        {"QueueUrl": SOURCE_URL, "AttributeNames": ["QueueArn", "RedrivePolicy"]})
    stub.add_response("get_queue_url", {"QueueUrl": DLQ_URL}, {"QueueName": DLQ, "QueueOwnerAWSAccountId": ACCOUNT})


def expect_counts(stub: Stubber, visible: int, hidden: int = 0) -> None:
    stub.add_response("get_queue_attributes", {"Attributes": {
        "ApproximateNumberOfMessages": str(visible), "ApproximateNumberOfMessagesNotVisible": str(hidden)}},
        {"QueueUrl": DLQ_URL, "AttributeNames": COUNTS})


def expect_task(stub: Stubber, status: str, moved: int, to_move: int, **more: Any) -> None:
    task = {"Status": status, "SourceArn": DLQ_ARN, "DestinationArn": SOURCE_ARN,
            "ApproximateNumberOfMessagesMoved": moved, "ApproximateNumberOfMessagesToMove": to_move,
            "StartedTimestamp": 1796208390000, **more}
    if status == "RUNNING":
        task["TaskHandle"] = HANDLE
    stub.add_response("list_message_move_tasks", {"Results": [task]}, {"SourceArn": DLQ_ARN, "MaxResults": 1})


def run(argv: list[str], stub_setup: Any) -> tuple[int, Stubber]:
    client = sqs_client()
    with Stubber(client) as stub:
        stub_setup(stub)
        code = redrive.main(["--prefix", PREFIX, "--region", "eu-west-2", *argv], sqs=client)
        stub.assert_no_pending_responses()
    return code, stub


# --- move-task: StartMessageMoveTask from the DLQ to the source queue, followed with ListMessageMoveTasks


def test_move_task_starts_from_the_dlq_to_its_source_queue_and_reports_the_task(capsys) -> None:  # type: ignore[no-untyped-def]
    def setup(stub: Stubber) -> None:
        expect_pair(stub)
        expect_counts(stub, 12)
        stub.add_response("start_message_move_task", {"TaskHandle": HANDLE},
                          {"SourceArn": DLQ_ARN, "DestinationArn": SOURCE_ARN, "MaxNumberOfMessagesPerSecond": 50})
        expect_task(stub, "COMPLETED", 12, 12)
        expect_counts(stub, 0)

    code, _ = run(["--queue", "deliver-email", "--rate", "50"], setup)
    printed = capsys.readouterr()
    assert code == redrive.DONE
    assert f"{DLQ} -> {SOURCE}: 12 waiting" in printed.out
    assert "moved 12" in printed.out
    assert printed.err == ""


def test_move_task_without_rate_leaves_the_rate_to_sqs_and_follows_a_running_task() -> None:
    slept: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    client = sqs_client()
    with Stubber(client) as stub:
        stub.add_response("start_message_move_task", {"TaskHandle": HANDLE},
                          {"SourceArn": DLQ_ARN, "DestinationArn": SOURCE_ARN})
        expect_task(stub, "RUNNING", 0, 30)
        expect_task(stub, "RUNNING", 20, 30)
        expect_task(stub, "COMPLETED", 30, 30)
        method = redrive.MessageMoveTask(client, wait_seconds=60, poll_seconds=5, sleep=sleep, clock=lambda: now[0])
        outcome = method.move(pair(), None)
        stub.assert_no_pending_responses()
    assert (outcome.moved, outcome.failed, outcome.ok) == (30, 0, True)
    assert slept == [5, 5]


def test_move_task_still_running_when_the_wait_runs_out_says_how_to_follow_it(capsys) -> None:  # type: ignore[no-untyped-def]
    def setup(stub: Stubber) -> None:
        expect_pair(stub)
        expect_counts(stub, 5000)
        stub.add_response("start_message_move_task", {"TaskHandle": HANDLE},
                          {"SourceArn": DLQ_ARN, "DestinationArn": SOURCE_ARN})
        expect_task(stub, "RUNNING", 100, 5000)
        expect_counts(stub, 4900)

    code, _ = run(["--queue", "deliver-email", "--wait", "0"], setup)
    printed = capsys.readouterr().out
    assert code == redrive.DONE
    assert "still running" in printed
    assert f"list-message-move-tasks --source-arn {DLQ_ARN}" in printed


def test_a_failed_move_task_is_exit_1_with_its_reason(capsys) -> None:  # type: ignore[no-untyped-def]
    def setup(stub: Stubber) -> None:
        expect_pair(stub)
        expect_counts(stub, 10)
        stub.add_response("start_message_move_task", {"TaskHandle": HANDLE},
                          {"SourceArn": DLQ_ARN, "DestinationArn": SOURCE_ARN})
        expect_task(stub, "FAILED", 4, 10, FailureReason="AccessDenied")
        expect_counts(stub, 6)

    code, _ = run(["--queue", "deliver-email"], setup)
    assert code == redrive.NOT_MOVED
    assert "move task failed: AccessDenied" in capsys.readouterr().err


def test_a_refused_start_is_exit_1_and_nothing_else_is_asked(capsys) -> None:  # type: ignore[no-untyped-def]
    def setup(stub: Stubber) -> None:
        expect_pair(stub)
        expect_counts(stub, 3)
        stub.add_client_error("start_message_move_task", "UnsupportedOperation",
                              "There is already a task running.",
                              expected_params={"SourceArn": DLQ_ARN, "DestinationArn": SOURCE_ARN})
        expect_counts(stub, 3)

    code, _ = run(["--queue", "deliver-email"], setup)
    assert code == redrive.NOT_MOVED
    assert "UnsupportedOperation" in capsys.readouterr().err


def test_dry_run_only_counts(capsys) -> None:  # type: ignore[no-untyped-def]
    def setup(stub: Stubber) -> None:
        expect_pair(stub)
        expect_counts(stub, 7, 2)

    code, _ = run(["--queue", "deliver-email-dlq", "--dry-run"], setup)
    printed = capsys.readouterr().out
    assert code == redrive.DONE
    assert "7 waiting, 2 in flight" in printed
    assert "would move 7" in printed


def test_an_empty_dlq_is_nothing_to_do() -> None:
    def setup(stub: Stubber) -> None:
        expect_pair(stub)
        expect_counts(stub, 0)

    assert run(["--queue", "deliver-email"], setup)[0] == redrive.DONE


def test_a_queue_without_a_redrive_policy_cannot_be_redriven(capsys) -> None:  # type: ignore[no-untyped-def]
    def setup(stub: Stubber) -> None:
        stub.add_response("get_queue_url", {"QueueUrl": SOURCE_URL}, {"QueueName": SOURCE})
        stub.add_response("get_queue_attributes", {"Attributes": {"QueueArn": SOURCE_ARN}},
                          {"QueueUrl": SOURCE_URL, "AttributeNames": ["QueueArn", "RedrivePolicy"]})

    assert run(["--queue", "deliver-email"], setup)[0] == redrive.NOT_MOVED
    assert "no RedrivePolicy" in capsys.readouterr().err


def test_a_wrong_prefix_is_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    def setup(stub: Stubber) -> None:
        stub.add_client_error("get_queue_url", "AWS.SimpleQueueService.NonExistentQueue", "no such queue",
                              expected_params={"QueueName": SOURCE})

    assert run(["--queue", "deliver-email"], setup)[0] == redrive.REFUSED
    assert "check --prefix and --region" in capsys.readouterr().err


# --- arguments refused before any request (an empty Stubber fails on any call)


@pytest.mark.parametrize("argv, says", [
    (["--queue", "deliver-fax"], "no queue 'deliver-fax'"),
    (["--queue", "event-handlers-dlq"], "aws lambda invoke"),
    (["--queue", "hexwatch-event-handlers-dlq"], "docs/operations.md"),
    (["--queue", "event-handlers"], "Lambda's on-failure records"),
    (["--queue", "deliver-email", "--max", "3"], "--max needs --method copy"),
    (["--queue", "deliver-email", "--method", "copy", "--max", "0"], "--max must be 1 or more"),
    (["--queue", "deliver-email", "--method", "copy", "--rate", "5"], "--rate is for --method move-task"),
    (["--queue", "deliver-email", "--rate", "501"], "--rate must be from 1 to 500"),
])
def test_bad_arguments_are_exit_2_before_any_request(argv: list[str], says: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(argv, lambda stub: None)[0] == redrive.REFUSED
    assert says in capsys.readouterr().err


def test_neither_queue_nor_all_is_an_argparse_error() -> None:
    with pytest.raises(SystemExit) as exited:
        redrive.main(["--prefix", PREFIX])
    assert exited.value.code == 2


# --- copy: receive, send the same body and attributes, delete only what was sent


def pair() -> redrive.Pair:
    return redrive.Pair(name=SOURCE, url=SOURCE_URL, arn=SOURCE_ARN, dlq_name=DLQ, dlq_url=DLQ_URL, dlq_arn=DLQ_ARN)


def received(n: int) -> dict[str, Any]:
    return {"MessageId": f"m-{n}", "ReceiptHandle": f"rh-{n}", "Body": json.dumps({"keys": [f"alert#{n}"]}),
            "MD5OfBody": "x", "MessageAttributes": {
                "kind": {"DataType": "String", "StringValue": "email", "StringListValues": []},
                "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01", "BinaryListValues": []}}}


def sent(n: int, entry_id: str) -> dict[str, Any]:
    return {"Id": entry_id, "MessageBody": json.dumps({"keys": [f"alert#{n}"]}), "MessageAttributes": {
        "kind": {"DataType": "String", "StringValue": "email"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}}


def expect_receive(stub: Stubber, messages: list[dict[str, Any]], wanted: int = 10) -> None:
    stub.add_response("receive_message", {"Messages": messages} if messages else {},
                      {"QueueUrl": DLQ_URL, "MaxNumberOfMessages": wanted, "MessageAttributeNames": ["All"],
                       "VisibilityTimeout": redrive.COPY_VISIBILITY_SECONDS,
                       "WaitTimeSeconds": redrive.COPY_WAIT_SECONDS})


def test_copy_deletes_only_the_messages_whose_send_succeeded() -> None:
    client = sqs_client()
    with Stubber(client) as stub:
        expect_receive(stub, [received(0), received(1), received(2)])
        stub.add_response("send_message_batch", {
            "Successful": [{"Id": "0", "MessageId": "n-0", "MD5OfMessageBody": "x"},
                           {"Id": "2", "MessageId": "n-2", "MD5OfMessageBody": "x"}],
            "Failed": [{"Id": "1", "SenderFault": False, "Code": "InternalError"}]},
            {"QueueUrl": SOURCE_URL, "Entries": [sent(0, "0"), sent(1, "1"), sent(2, "2")]})
        stub.add_response("delete_message_batch", {"Successful": [{"Id": "0"}, {"Id": "2"}], "Failed": []},
                          {"QueueUrl": DLQ_URL, "Entries": [{"Id": "0", "ReceiptHandle": "rh-0"},
                                                            {"Id": "2", "ReceiptHandle": "rh-2"}]})
        expect_receive(stub, [])
        outcome = redrive.ReceiveSendDelete(client).move(pair(), None)
        stub.assert_no_pending_responses()
    assert (outcome.moved, outcome.failed, outcome.duplicated, outcome.ok) == (2, 1, 0, False)
    assert "could not be sent" in outcome.error


def test_copy_deletes_nothing_when_the_send_itself_fails() -> None:
    client = sqs_client()
    with Stubber(client) as stub:
        expect_receive(stub, [received(0), received(1)])
        stub.add_client_error("send_message_batch", "KMS.AccessDeniedException", "no kms:GenerateDataKey",
                              expected_params={"QueueUrl": SOURCE_URL, "Entries": [sent(0, "0"), sent(1, "1")]})
        # Refused as a whole: each is tried alone, so that one bad message cannot hold back the rest.
        for n in range(2):
            stub.add_client_error("send_message_batch", "KMS.AccessDeniedException", "no kms:GenerateDataKey",
                                  expected_params={"QueueUrl": SOURCE_URL, "Entries": [sent(n, "0")]})
        expect_receive(stub, [])
        outcome = redrive.ReceiveSendDelete(client).move(pair(), None)
        stub.assert_no_pending_responses()
    assert (outcome.moved, outcome.failed) == (0, 2)


def test_copy_sends_each_alone_after_a_refused_batch_and_deletes_those_taken() -> None:
    client = sqs_client()
    with Stubber(client) as stub:
        expect_receive(stub, [received(0), received(1)])
        stub.add_client_error("send_message_batch", "InvalidParameterValue", "message too long")
        stub.add_client_error("send_message_batch", "InvalidParameterValue", "message too long",
                              expected_params={"QueueUrl": SOURCE_URL, "Entries": [sent(0, "0")]})
        stub.add_response("send_message_batch",
                          {"Successful": [{"Id": "0", "MessageId": "n-1", "MD5OfMessageBody": "x"}], "Failed": []},
                          {"QueueUrl": SOURCE_URL, "Entries": [sent(1, "0")]})
        stub.add_response("delete_message_batch", {"Successful": [{"Id": "0"}], "Failed": []},
                          {"QueueUrl": DLQ_URL, "Entries": [{"Id": "0", "ReceiptHandle": "rh-1"}]})
        expect_receive(stub, [])
        outcome = redrive.ReceiveSendDelete(client).move(pair(), None)
        stub.assert_no_pending_responses()
    assert (outcome.moved, outcome.failed) == (1, 1)


def test_copy_sends_nothing_again_after_a_throttled_or_failed_batch() -> None:
    # SQS may have taken a batch it answered 5xx or throttled to: sending each again could put them in twice.
    client = sqs_client()
    with Stubber(client) as stub:
        expect_receive(stub, [received(0), received(1)])
        stub.add_client_error("send_message_batch", "RequestThrottled", "slow down", http_status_code=403)
        expect_receive(stub, [received(2)])
        stub.add_client_error("send_message_batch", "InternalError", "try again", http_status_code=500)
        expect_receive(stub, [])
        outcome = redrive.ReceiveSendDelete(client).move(pair(), None)
        stub.assert_no_pending_responses()
    assert (outcome.moved, outcome.failed, outcome.duplicated) == (0, 3, 0)


def test_copy_counts_a_sent_message_it_could_not_delete_as_duplicated() -> None:
    client = sqs_client()
    with Stubber(client) as stub:
        expect_receive(stub, [received(0)])
        stub.add_response("send_message_batch",
                          {"Successful": [{"Id": "0", "MessageId": "n-0", "MD5OfMessageBody": "x"}], "Failed": []},
                          {"QueueUrl": SOURCE_URL, "Entries": [sent(0, "0")]})
        refused = {"Id": "0", "SenderFault": True, "Code": "ReceiptHandleIsInvalid"}
        stub.add_response("delete_message_batch", {"Successful": [], "Failed": [refused]},
                          {"QueueUrl": DLQ_URL, "Entries": [{"Id": "0", "ReceiptHandle": "rh-0"}]})
        expect_receive(stub, [])
        outcome = redrive.ReceiveSendDelete(client).move(pair(), None)
        stub.assert_no_pending_responses()
    assert (outcome.moved, outcome.duplicated, outcome.ok) == (0, 1, False)


def test_copy_with_a_limit_asks_for_no_more_than_it_may_move() -> None:
    client = sqs_client()
    with Stubber(client) as stub:
        expect_receive(stub, [received(0), received(1), received(2)], wanted=3)
        stub.add_response("send_message_batch", {"Successful": [
            {"Id": str(n), "MessageId": f"n-{n}", "MD5OfMessageBody": "x"} for n in range(3)], "Failed": []},
            {"QueueUrl": SOURCE_URL, "Entries": [sent(n, str(n)) for n in range(3)]})
        stub.add_response("delete_message_batch", {"Successful": [{"Id": str(n)} for n in range(3)], "Failed": []},
                          {"QueueUrl": DLQ_URL, "Entries": [{"Id": str(n), "ReceiptHandle": f"rh-{n}"}
                                                            for n in range(3)]})
        outcome = redrive.ReceiveSendDelete(client).move(pair(), 3)
        stub.assert_no_pending_responses()
    assert (outcome.moved, outcome.ok) == (3, True)


def test_copy_stops_at_a_message_it_has_already_handled() -> None:
    client = sqs_client()
    with Stubber(client) as stub:
        expect_receive(stub, [received(0)])
        stub.add_client_error("send_message_batch", "ServiceUnavailable", "try later")
        expect_receive(stub, [received(0)])  # its visibility ran out: it is back, and is left for the next run
        outcome = redrive.ReceiveSendDelete(client).move(pair(), None)
        stub.assert_no_pending_responses()
    assert (outcome.moved, outcome.failed) == (0, 1)


def test_batches_keep_within_ten_messages_and_the_batch_size_limit() -> None:
    small = [{"Body": "x" * 10} for _ in range(12)]
    assert [len(b) for b in redrive.batches(small)] == [10, 2]
    big = [{"Body": "x" * (100 * 1024)} for _ in range(3)] + [{"Body": "x" * (300 * 1024)}]
    assert [len(b) for b in redrive.batches(big)] == [2, 1, 1]
