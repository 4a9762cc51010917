"""Start the embedded AWS emulator (moto's ThreadedMotoServer) and point every AWS client in the process at it."""

from __future__ import annotations

import copy
import functools
import inspect
import os
import socket
import threading
import types
from collections import defaultdict
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import moto.dynamodb.models as moto_dynamodb
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.server import ThreadedMotoServer

# A fixed port, so a developer's shell, browser bookmarks and the AWS CLI (`--endpoint-url`) keep working across
# restarts. Port 0 asks the OS for a free one (tests, parallel stacks).
DEFAULT_PORT = 5007
REGION = "eu-west-2"
FAKE_CREDENTIAL = "testing"
# "localhost", not 127.0.0.1: moto derives URLs it hands back (queue URLs, JWKS) from the Host header, and DESIGN.md
# records that the literal IP confuses some of its services.
HOST = "localhost"
TOTP_SWITCH = "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"


@dataclass
class Emulator:
    """A running moto server; `endpoint` is what AWS_ENDPOINT_URL must be set to."""

    server: ThreadedMotoServer
    endpoint: str
    port: int

    def stop(self) -> None:
        self.server.stop()


def snapshot_only_what_a_transaction_touches() -> None:
    """moto 5.2.5's TransactWriteItems deep-copies the whole table once per item in the transaction, as its rollback
    point, so a 50-item claim on a 10,000-item ledger copies half a million items.

    The rollback only needs the items the transaction writes: every other item stays the same object. So the copy
    handed to moto is a shallow copy of the table (new partition dicts, same items) in which only the items named by
    the transaction are deep-copied. Rolling back swaps that copy in, exactly as before. Tables with a stream fall
    back to the full copy, because their stream records live on the table too.

    The swap of the module's `copy` name is per call and falls back to the real deepcopy for everything but a table,
    so a request on another thread at the same moment behaves exactly as before (at worst, copying as much as before).
    """
    backend = moto_dynamodb.DynamoDBBackend
    if getattr(backend.transact_write_items, "snapshots_touched_items", False):
        return
    original = backend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched: dict[str, list[dict[str, Any]]] = {}
        for entry in transact_items:
            for operation in entry.values():
                if isinstance(operation, dict) and operation.get("TableName") in self.tables:
                    touched.setdefault(operation["TableName"], []).append(
                        operation.get("Key") or operation.get("Item") or {})
        copies: dict[int, Any] = {}

        def deepcopy(value: Any, memo: Any = None) -> Any:
            if isinstance(value, moto_dynamodb.Table):
                if id(value) not in copies:
                    copies[id(value)] = _rollback_point(value, touched.get(value.name, []))
                return copies[id(value)]
            return copy.deepcopy(value, memo)

        moto_dynamodb.copy = types.SimpleNamespace(deepcopy=deepcopy)  # type: ignore[assignment]
        try:
            return original(self, transact_items)
        finally:
            moto_dynamodb.copy = copy  # type: ignore[assignment]

    transact_write_items.snapshots_touched_items = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _rollback_point(table: Any, keys: list[dict[str, Any]]) -> Any:
    if table.stream_shard is not None:
        return copy.deepcopy(table)
    clone = copy.copy(table)
    if table.range_key_attr:
        clone.items = defaultdict(dict, {hash_value: dict(partition) for hash_value, partition in table.items.items()})
    else:
        clone.items = defaultdict(dict, table.items)
    for key in keys:
        if table.hash_key_attr not in key:
            continue
        hash_value = DynamoType(key[table.hash_key_attr])
        if table.range_key_attr:
            if table.range_key_attr not in key or hash_value not in clone.items:
                continue
            range_value = DynamoType(key[table.range_key_attr])
            partition = clone.items[hash_value]
            if range_value in partition:
                partition[range_value] = copy.deepcopy(partition[range_value])
        elif hash_value in clone.items:
            clone.items[hash_value] = copy.deepcopy(clone.items[hash_value])
    return clone


_queried_partition = threading.local()


def query_only_the_asked_partition() -> None:
    """moto's Query on a table's own key walks every item of every partition to find the asked one, so paging through
    an alert's ledger costs the whole table per page. DynamoDB reads only the partition: this hands moto's query just
    that partition's items. Index queries are left alone (moto has no per-index storage to narrow them to)."""
    table_class = moto_dynamodb.Table
    if getattr(table_class.query, "reads_one_partition", False):
        return
    original_query, original_all_items = table_class.query, table_class.all_items
    parameters = inspect.signature(original_query)

    @functools.wraps(original_query)
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto's backend passes index_name by position: bind, rather than look in kwargs only.
        index_name = parameters.bind(self, hash_key, *args, **kwargs).arguments.get("index_name")
        if index_name or hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key)
        if partition is None:
            found: list[Any] = []
        else:
            found = list(partition.values()) if self.range_key_attr else [partition]
        _queried_partition.value = (self, found)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _queried_partition.value = None

    @functools.wraps(original_all_items)
    def all_items(self: Any) -> Any:
        narrowed = getattr(_queried_partition, "value", None)
        if narrowed is not None and narrowed[0] is self:
            return list(narrowed[1])
        return original_all_items(self)

    query.reads_one_partition = True  # type: ignore[attr-defined]
    table_class.query = query  # type: ignore[method-assign]
    table_class.all_items = all_items  # type: ignore[method-assign]


_WRITES = threading.RLock()


def write_items_one_at_a_time() -> None:
    """DynamoDB applies each conditional write to an item atomically; moto checks the condition and then writes, in
    plain Python, on whichever server thread got the request, so two parallel writes can both pass a condition that
    only one should (50 parallel wrong SMS codes against `code_attempts < 5`). One lock around moto's writes makes
    each one atomic, as in AWS; reads stay unlocked."""
    backend = moto_dynamodb.DynamoDBBackend
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(backend, name)
        if getattr(original, "one_at_a_time", False):
            continue

        def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _WRITES:
                return __original(*args, **kwargs)

        functools.update_wrapper(locked, original)
        locked.one_at_a_time = True  # type: ignore[attr-defined]
        setattr(backend, name, locked)


@contextmanager
def writes_held() -> Iterator[None]:
    """Hold every DynamoDB write (those that `write_items_one_at_a_time` serialises) until the block ends: the local
    stack's snapshot (infra/local/persistence.py) reads all tables at one moment. Reads go on meanwhile."""
    with _WRITES:
        yield


def start_emulator(port: int = DEFAULT_PORT) -> Emulator:
    """Start moto on `port` (0 = a free port) in a daemon thread and return once it accepts connections."""
    # Without this moto accepts any MFA code; with it, codes are checked against its fixed TOTP secret (the one
    # AssociateSoftwareToken hands out), so a wrong code gets no token, as in AWS. moto reads it on every request.
    os.environ[TOTP_SWITCH] = "true"
    snapshot_only_what_a_transaction_touches()
    query_only_the_asked_partition()
    write_items_one_at_a_time()
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    _, bound_port = server.get_host_and_port()
    endpoint = f"http://{HOST}:{bound_port}"
    _wait_until_listening(bound_port)
    return Emulator(server=server, endpoint=endpoint, port=bound_port)


def _wait_until_listening(port: int, attempts: int = 50) -> None:
    # start() returns when the server object exists; the socket is already bound and listening by then, but a
    # connect check costs nothing and turns a rare race into a clear error.
    for _ in range(attempts):
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            continue
    raise RuntimeError(f"moto did not start listening on port {port}")


def aws_env(endpoint: str, region: str = REGION) -> dict[str, str]:
    """The variables that send boto3, botocore and PynamoDB to the emulator with fake credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": FAKE_CREDENTIAL,
        "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIAL,
        # A developer's real session token or profile would otherwise be sent along with the fake keys.
        "AWS_SESSION_TOKEN": FAKE_CREDENTIAL,
    }


def apply_aws_env(endpoint: str, environ: MutableMapping[str, str] | None = None, region: str = REGION) -> None:
    """Set the AWS variables in `environ` (default os.environ) and drop a profile that could override them."""
    target = os.environ if environ is None else environ
    target.update(aws_env(endpoint, region))
    target.pop("AWS_PROFILE", None)


@contextmanager
def running_emulator(port: int = DEFAULT_PORT) -> Iterator[Emulator]:
    emulator = start_emulator(port)
    try:
        yield emulator
    finally:
        emulator.stop()
