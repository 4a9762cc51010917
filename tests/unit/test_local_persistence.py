"""The local stack's snapshot file (infra/local/persistence.py): its format, its atomic 0600 write, its refusal of
files it cannot restore, and the DynamoDB value encoding. No emulator: what touches one is in
tests/e2e/test_restart_keeps_data.py."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from infra.local import persistence


def test_the_data_dir_sits_next_to_the_state_file(tmp_path: Path) -> None:
    # A stack started with a temporary state file (the e2e fixture) must never restore a developer's .local/data.
    assert persistence.default_data_dir(tmp_path / "stack.json") == tmp_path / "data"
    assert persistence.default_data_dir(Path(".local/stack.json")) == Path(".local/data")


def test_moto_items_become_wire_json_and_boto3_values_at_any_depth() -> None:
    # moto keeps binary as the base64 text it was sent, or as bytes; the snapshot holds base64 either way, and the
    # restore hands boto3 bytes.
    from moto.dynamodb.models.dynamo_type import DynamoType

    wire = {
        "pk": {"S": "resident#1"},
        "n": {"N": "42"},
        "hash": {"B": "AP9rZXk="},
        "hashes": {"BS": ["YQ==", "AQ=="]},
        "nested": {"M": {"inner": {"B": "Ag=="}, "list": {"L": [{"B": "Aw=="}, {"S": "x"}, {"NULL": True}]}}},
        "tags": {"SS": ["a", "b"]},
        "flag": {"BOOL": False},
    }
    stored = {name: DynamoType(value) for name, value in wire.items()}
    stored["made"] = DynamoType({"B": b"\x04"})
    encoded = persistence.wire_item(stored)
    assert json.loads(json.dumps(encoded)) == {**wire, "made": {"B": "BA=="}}
    assert persistence.decode_item(encoded) == {
        **wire, "hash": {"B": b"\x00\xffkey"}, "hashes": {"BS": [b"a", b"\x01"]},
        "nested": {"M": {"inner": {"B": b"\x02"}, "list": {"L": [{"B": b"\x03"}, {"S": "x"}, {"NULL": True}]}}},
        "made": {"B": b"\x04"}}


def test_the_snapshot_is_written_owner_only_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "data" / persistence.SNAPSHOT_NAME
    document = persistence.new_document("hexwatch", taken_at=0)
    document["tables"]["residents"] = [{"pk": {"S": "a"}}]
    persistence.write_snapshot(path, document)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert persistence.read_snapshot(path) == document
    assert document["taken_at"] == "1970-01-01T00:00:00Z"
    assert [p.name for p in path.parent.iterdir()] == [persistence.SNAPSHOT_NAME]  # no temporary file left


def test_a_failed_write_leaves_the_previous_snapshot_whole(tmp_path: Path) -> None:
    path = tmp_path / persistence.SNAPSHOT_NAME
    persistence.write_snapshot(path, persistence.new_document("hexwatch"))
    before = path.read_bytes()
    with pytest.raises(TypeError):
        persistence.write_snapshot(path, {"not json": object()})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [persistence.SNAPSHOT_NAME]


def test_no_snapshot_is_none_and_an_unusable_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / persistence.SNAPSHOT_NAME
    assert persistence.read_snapshot(path) is None
    for text in ("{half", '{"format": "something else", "version": 1}', "[]",
                 json.dumps({**persistence.new_document("hexwatch"), "version": persistence.VERSION + 1})):
        path.write_text(text)
        with pytest.raises(persistence.SnapshotError):
            persistence.read_snapshot(path)


def test_discarding_deletes_the_snapshot_only(tmp_path: Path) -> None:
    persistence.write_snapshot(persistence.snapshot_path(tmp_path), persistence.new_document("hexwatch"))
    (tmp_path / "notes.txt").write_text("mine")
    assert persistence.discard_snapshot(tmp_path) is True
    assert persistence.discard_snapshot(tmp_path) is False
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_batches_keep_to_batch_write_items_limit() -> None:
    items = [{"pk": {"S": str(n)}} for n in range(60)]
    assert [len(batch) for batch in persistence.batches(items)] == [25, 25, 10]


def test_the_summary_counts_and_names_no_data() -> None:
    document = persistence.new_document("hexwatch")
    document["tables"] = {"residents": [{"email": {"S": "someone@example.org"}}] * 3, "alerts": []}
    document["secrets"] = {"signing": {"SecretString": "s3cr3t-value"}}
    document["cognito"] = {"users": [{"password": "Pa55word-demo"}]}
    line = persistence.summary(document)
    assert line == "3 items in 2 tables, 1 secrets, 0 queued messages, 1 officer users, 0 push endpoints"
    assert "example.org" not in line and "s3cr3t" not in line


def test_the_snapshotter_writes_periodically_and_once_more_at_stop(tmp_path: Path) -> None:
    path = tmp_path / persistence.SNAPSHOT_NAME
    calls: list[int] = []
    written = threading.Event()

    def take() -> dict[str, Any]:
        calls.append(1)
        if len(calls) >= 2:
            written.set()
        return persistence.new_document("hexwatch")

    snapshots = persistence.Snapshotter(path, take, interval=0.05)
    snapshots.start()
    assert written.wait(5)
    snapshots.stop()
    after_stop = len(calls)
    assert after_stop >= 3 and snapshots.taken == after_stop
    assert persistence.read_snapshot(path) is not None


def test_a_failing_periodic_snapshot_does_not_stop_the_next(tmp_path: Path) -> None:
    attempts: list[int] = []
    recovered = threading.Event()

    def take() -> dict[str, Any]:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("emulator busy")
        recovered.set()
        return persistence.new_document("hexwatch")

    snapshots = persistence.Snapshotter(tmp_path / persistence.SNAPSHOT_NAME, take, interval=0.05)
    snapshots.start()
    assert recovered.wait(5)
    snapshots.stop()
    assert persistence.read_snapshot(tmp_path / persistence.SNAPSHOT_NAME) is not None


def test_a_queued_messages_delay_keeps_running_while_the_stack_is_stopped() -> None:
    now = 1_000_000.0
    assert persistence.remaining_delay(0, now) == 0  # never delayed
    assert persistence.remaining_delay(int(now * 1000) - 5000, now) == 0  # due while stopped: at once
    assert persistence.remaining_delay(int(now * 1000) + 30_500, now) == 31  # rounded up, never early
    assert persistence.remaining_delay(int(now * 1000) + 3_600_000, now) == 900  # SQS's longest delay


def test_the_stack_will_not_start_over_a_snapshot_it_cannot_restore(tmp_path: Path) -> None:
    # Starting empty would overwrite the kept data at the first periodic snapshot; --fresh is the way to drop it.
    from infra.local import run

    snapshot = persistence.snapshot_path(persistence.default_data_dir(tmp_path / "stack.json"))
    snapshot.parent.mkdir()
    snapshot.write_text('{"format": "hexwatch-local-snapshot", "version": 999}')
    assert run.main([f"--state-file={tmp_path / 'stack.json'}"]) == 2
    assert snapshot.read_text() == '{"format": "hexwatch-local-snapshot", "version": 999}'
