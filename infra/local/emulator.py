"""Start the embedded AWS emulator (moto's ThreadedMotoServer) and point every AWS client in the process at it."""

from __future__ import annotations

import copy
import functools
import os
import socket
import types
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import moto.dynamodb.models as moto_dynamodb
from moto.server import ThreadedMotoServer

# A fixed port, so a developer's shell, browser bookmarks and the AWS CLI (`--endpoint-url`) keep working across
# restarts. Port 0 asks the OS for a free one (tests, parallel stacks).
DEFAULT_PORT = 5007
REGION = "eu-west-2"
FAKE_CREDENTIAL = "testing"
# "localhost", not 127.0.0.1: moto derives URLs it hands back (queue URLs, JWKS) from the Host header, and DESIGN.md
# records that the literal IP confuses some of its services.
HOST = "localhost"


@dataclass
class Emulator:
    """A running moto server; `endpoint` is what AWS_ENDPOINT_URL must be set to."""

    server: ThreadedMotoServer
    endpoint: str
    port: int

    def stop(self) -> None:
        self.server.stop()


def copy_each_table_once_per_transaction() -> None:
    """moto 5.2.5's TransactWriteItems deep-copies the whole table once per item in the transaction, as its rollback
    point, so a 50-item claim on a 10,000-item ledger copies half a million items. Every copy is taken before anything
    changes, so one copy per table is the same rollback point: this makes the copy once per table and transaction.

    The swap of the module's `copy` name is per call and falls back to the real deepcopy for everything but a table,
    so a request on another thread at the same moment behaves exactly as before (at worst, copying as much as before).
    """
    backend = moto_dynamodb.DynamoDBBackend
    if getattr(backend.transact_write_items, "copies_once", False):
        return
    original = backend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        copies: dict[int, Any] = {}

        def deepcopy(value: Any, memo: Any = None) -> Any:
            if isinstance(value, moto_dynamodb.Table):
                if id(value) not in copies:
                    copies[id(value)] = copy.deepcopy(value, memo)
                return copies[id(value)]
            return copy.deepcopy(value, memo)

        moto_dynamodb.copy = types.SimpleNamespace(deepcopy=deepcopy)  # type: ignore[assignment]
        try:
            return original(self, transact_items)
        finally:
            moto_dynamodb.copy = copy  # type: ignore[assignment]

    transact_write_items.copies_once = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def start_emulator(port: int = DEFAULT_PORT) -> Emulator:
    """Start moto on `port` (0 = a free port) in a daemon thread and return once it accepts connections."""
    copy_each_table_once_per_transaction()
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
