"""Keep the local stack's data across restarts: a JSON snapshot of the emulator's data, restored into a fresh one.

moto holds everything in memory, so without this stopping `python -m infra.local.run` loses every resident, alert
and key. What is kept (docs/local-stack.md, "What survives a restart"):

- every item of every table of the stack (read from moto's in-process tables, written back with BatchWriteItem);
- the current value of each of the stack's Secrets Manager secrets, so that signed links, unsubscribe tokens and the
  contacts' keyed hashes made before a restart still check;
- the officer user pool's users (sub, password, status, attributes, TOTP enrolment and MFA preference) and groups,
  and the pool's and its clients' ids. Cognito's API cannot create a user with a given `sub` or password hash, and the
  officer registry is keyed by `sub`, so they are read from and written into moto's in-process backend (the emulator
  runs in this process);
- the SNS push endpoints of the stack's platform applications, with their ARNs: residents' devices hold those ARNs;
- the messages waiting in the stack's SQS queues (and their dead-letter queues), with what is left of each delay, so
  that a scheduled alert, an alert mid-send or a verification email still queued goes on after the restart. A message
  a handler was working on is kept too and delivered again: SQS delivers at least once and the handlers are built
  for it (docs/architecture.md);
- what the demo seed made (the demo users' passwords and TOTP secrets for the state file, and whether the residents
  and areas were seeded), so that the seed runs only on an empty stack.

The snapshot is one JSON document `{"format", "version", ...}` written atomically (temporary file, fsync, rename),
mode 0600 in a 0700 directory: it holds secrets and passwords. Nothing here is pickled: a moto upgrade cannot turn an
old snapshot into objects of classes that changed.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3

from infra.local import emulator as emulator_module
from infra.local.stack import ACCOUNT_ID

LOG = logging.getLogger(__name__)

FORMAT = "hexwatch-local-snapshot"
VERSION = 1
SNAPSHOT_NAME = "snapshot.json"
DEFAULT_INTERVAL_SECONDS = 60.0
BATCH_SIZE = 25  # BatchWriteItem's limit
SQS_BATCH_SIZE = 10  # SendMessageBatch's limit
SQS_MAX_DELAY_SECONDS = 900


class SnapshotError(Exception):
    """A snapshot that exists but cannot be used; starting would silently drop the data it holds."""


def default_data_dir(state_file: Path) -> Path:
    """Next to the state file: a stack started with a temporary state file (the tests) gets a temporary data dir
    and never restores a developer's `.local/data`."""
    return state_file.parent / "data"


def snapshot_path(data_dir: Path) -> Path:
    return data_dir / SNAPSHOT_NAME


# --- DynamoDB attribute values <-> JSON. The snapshot holds them in DynamoDB's own JSON wire format (binary in
# base64); boto3's low-level client, which writes them back, wants binary values as bytes.


def _base64(value: Any) -> str:
    # moto keeps a binary value as the base64 text it was sent, or as bytes when it made the value itself.
    return value if isinstance(value, str) else base64.b64encode(bytes(value)).decode("ascii")


def wire_value(value: Any) -> dict[str, Any]:
    """A moto DynamoType as wire-format JSON."""
    kind, inner = value.type, value.value
    if kind == "M":
        return {"M": {key: wire_value(item) for key, item in inner.items()}}
    if kind == "L":
        return {"L": [wire_value(item) for item in inner]}
    if kind == "B":
        return {"B": _base64(inner)}
    if kind == "BS":
        return {"BS": [_base64(item) for item in inner]}
    return {kind: inner}


def wire_item(attributes: dict[str, Any]) -> dict[str, Any]:
    return {name: wire_value(value) for name, value in attributes.items()}


def decode_value(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(item) for item in inner]}
    if kind == "M":
        return {"M": {key: decode_value(item) for key, item in inner.items()}}
    if kind == "L":
        return {"L": [decode_value(item) for item in inner]}
    return {kind: inner}


def decode_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: decode_value(value) for name, value in item.items()}


# --- the file


def write_snapshot(path: Path, document: dict[str, Any]) -> None:
    """Atomically replace `path` with `document`: a crash mid-write leaves the previous snapshot whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # a directory the developer made themselves may not be ours to chmod
        path.parent.chmod(0o700)
    # mkstemp creates the file 0600 with a unique name, so two writers can never interleave in one temporary file.
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())  # the rename must not reach the disk before the data does
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_snapshot(path: Path) -> dict[str, Any] | None:
    """The snapshot at `path`, None if there is none; SnapshotError if it is not one this code can restore."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise SnapshotError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not a Hexwatch local snapshot")
    if document.get("version") != VERSION:
        raise SnapshotError(f"{path} is snapshot version {document.get('version')!r}; this code reads {VERSION}")
    return document


def discard_snapshot(data_dir: Path) -> bool:
    """Delete the snapshot (for --fresh); True if there was one."""
    path = snapshot_path(data_dir)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def new_document(prefix: str, taken_at: float | None = None) -> dict[str, Any]:
    stamp = datetime.datetime.fromtimestamp(time.time() if taken_at is None else taken_at, datetime.UTC)
    return {"format": FORMAT, "version": VERSION, "taken_at": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), "prefix": prefix,
            "tables": {}, "secrets": {}, "queues": {}, "cognito": None, "push_endpoints": [], "demo": {}}


def summary(document: dict[str, Any]) -> str:
    """Counts only: a log line must not carry contacts, passwords or secret values."""
    items = sum(len(rows) for rows in document.get("tables", {}).values())
    users = len((document.get("cognito") or {}).get("users", []))
    messages = sum(len(queued) for queued in document.get("queues", {}).values())
    return (f"{items} items in {len(document.get('tables', {}))} tables, {len(document.get('secrets', {}))} secrets, "
            f"{messages} queued messages, {users} officer users, "
            f"{len(document.get('push_endpoints', []))} push endpoints")


# --- capture


def _client(service: str, endpoint: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=emulator_module.FAKE_CREDENTIAL,
                        aws_secret_access_key=emulator_module.FAKE_CREDENTIAL)


# The dashboard's counters are not kept: restoring the residents writes them again, their stream records reach the
# counters afresh, and the totals come out right (the weeks' joined and left restart from the restore, locally only).
RECOUNTED_TABLES = {"stats"}


def capture_tables(tables: dict[str, str], region: str) -> dict[str, list[dict[str, Any]]]:
    """Every item of each table, from moto's in-process tables: a Scan through the server costs about a second for
    the demo data, during which every write waits (capture below); this takes milliseconds. Call it with the writes
    held, as moto's tables are plain dicts that a write on a server thread would change under the loop."""
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[ACCOUNT_ID][region]
    captured: dict[str, list[dict[str, Any]]] = {}
    for suffix, name in sorted(tables.items()):
        table = backend.tables.get(name)
        if suffix in RECOUNTED_TABLES:
            continue
        if table is not None:
            captured[suffix] = [wire_item(item.attrs) for item in table.all_items()]
    return captured


def capture(outputs: dict[str, Any], demo: dict[str, Any] | None = None) -> dict[str, Any]:
    """A snapshot of the stack described by `outputs` (what stack.deploy returned, after restore)."""
    endpoint, region = str(outputs["endpoint"]), str(outputs["region"])
    document = new_document(str(outputs["prefix"]))
    # Writes wait while the tables are read (milliseconds), so that the snapshot is one moment of the whole stack (an
    # alert and its ledger agree) rather than each table at a different moment. The queues are read after the
    # tables, still holding the writes: a job whose writes are not in the snapshot cannot have been deleted from its
    # queue yet (a handler deletes after writing), so it is kept.
    with emulator_module.writes_held():
        document["tables"] = capture_tables(outputs["tables"], region)
        document["queues"] = capture_queues(outputs.get("queues") or {}, region)
    secrets = _client("secretsmanager", endpoint, region)
    for suffix, name in sorted(outputs["secrets"].items()):
        value = secrets.get_secret_value(SecretId=name)
        if "SecretString" in value:
            document["secrets"][suffix] = {"SecretString": value["SecretString"]}
        else:
            document["secrets"][suffix] = {"SecretBinary": base64.b64encode(value["SecretBinary"]).decode("ascii")}
    if outputs.get("user_pool_id"):
        document["cognito"] = capture_user_pool(str(outputs["user_pool_id"]), region)
    document["push_endpoints"] = capture_push_endpoints(list((outputs.get("push_platforms") or {}).values()), region)
    document["demo"] = dict(demo or {})
    return document


def _cognito_backend(region: str) -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    return cognitoidp_backends[ACCOUNT_ID][region]


def _sns_backend(region: str) -> Any:
    from moto.sns.models import sns_backends

    return sns_backends[ACCOUNT_ID][region]


def _when(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime.datetime) else None


def capture_user_pool(user_pool_id: str, region: str) -> dict[str, Any]:
    pool = _cognito_backend(region).user_pools[user_pool_id]
    # Copies first: an officer created on a server thread meanwhile must not change a dict under the loop.
    clients, groups, users = list(pool.clients.values()), list(pool.groups.values()), list(pool.users.values())
    return {
        "user_pool_id": pool.id,
        "clients": {str(client.extended_config.get("ClientName")): client.id for client in clients},
        "groups": [{"name": group.group_name, "description": group.description, "role_arn": group.role_arn,
                    "precedence": group.precedence} for group in groups],
        "users": [{
            "sub": user.id,
            "username": user.username,
            "password": user.password,
            "status": str(getattr(user.status, "value", user.status)),
            "enabled": bool(user.enabled),
            "attributes": [{"Name": a["Name"], "Value": a["Value"]} for a in user.attributes],
            "software_token_mfa_enabled": bool(user.software_token_mfa_enabled),
            "sms_mfa_enabled": bool(user.sms_mfa_enabled),
            # Set once the user's authenticator app was verified (VerifySoftwareToken): without it sign-in asks
            # them to enrol again.
            "token_verified": bool(user.token_verified),
            "preferred_mfa_setting": user.preferred_mfa_setting,
            "groups": sorted(group.group_name for group in list(user.groups)),
            "created": _when(user.create_date),
            "modified": _when(user.last_modified_date),
        } for user in users],
    }


def capture_queues(queues: dict[str, str], region: str) -> dict[str, list[dict[str, Any]]]:
    """Every message in each queue, visible or not: one in flight is delivered again after the restart, as SQS would
    after its visibility timeout. Message attributes are not kept (the app sends none)."""
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[ACCOUNT_ID][region]
    captured: dict[str, list[dict[str, Any]]] = {}
    for suffix, name in sorted(queues.items()):
        queue = backend.queues.get(name)
        if queue is None:
            continue
        with queue._messages_lock:  # moto's own lock: a send or delete on a server thread must not change the list
            messages = list(queue._messages)
        captured[suffix] = [{"body": message.body, "delayed_until_ms": int(message.delayed_until or 0),
                             "group_id": message.group_id, "deduplication_id": message.deduplication_id}
                            for message in messages]
    return captured


def capture_push_endpoints(application_arns: list[str], region: str) -> list[dict[str, Any]]:
    wanted = set(application_arns)
    return [{"arn": endpoint.arn, "application_arn": endpoint.application.arn, "token": endpoint.token,
             "custom_user_data": endpoint.custom_user_data, "attributes": dict(endpoint.attributes)}
            for endpoint in list(_sns_backend(region).platform_endpoints.values())
            if endpoint.application.arn in wanted]


# --- restore


def restore(document: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """Write the snapshot's data into the freshly deployed stack `outputs`; returns `outputs` with the restored pool
    and client ids (and the JWKS URL), which the app, the state file and the next snapshot must use.

    Resources are the template's (deploy made them); only data comes from the snapshot. A table, secret or client the
    template no longer has is skipped with a warning.
    """
    endpoint, region = str(outputs["endpoint"]), str(outputs["region"])
    _restore_tables(document.get("tables") or {}, outputs, endpoint, region)
    _restore_secrets(document.get("secrets") or {}, outputs, endpoint, region)
    _restore_queues(document.get("queues") or {}, outputs, endpoint, region)
    if document.get("cognito") and outputs.get("user_pool_id"):
        outputs = restore_user_pool(document["cognito"], outputs)
    restore_push_endpoints(document.get("push_endpoints") or [], region)
    return outputs


def batches(items: list[dict[str, Any]], size: int = BATCH_SIZE) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _restore_tables(tables: dict[str, list[dict[str, Any]]], outputs: dict[str, Any], endpoint: str,
                    region: str) -> None:
    dynamodb = _client("dynamodb", endpoint, region)
    for suffix, items in tables.items():
        table = outputs["tables"].get(suffix)
        if table is None:
            LOG.warning("snapshot table %s is not in the template any more; its %d items are not restored",
                        suffix, len(items))
            continue
        for batch in batches(items):
            pending = {table: [{"PutRequest": {"Item": decode_item(item)}} for item in batch]}
            for attempt in range(10):
                unprocessed = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not unprocessed:
                    break
                pending = unprocessed
                time.sleep(0.05 * (attempt + 1))
            else:
                raise SnapshotError(f"the emulator kept refusing items of {table}")


def _restore_secrets(secrets: dict[str, dict[str, str]], outputs: dict[str, Any], endpoint: str,
                     region: str) -> None:
    manager = _client("secretsmanager", endpoint, region)
    for suffix, value in secrets.items():
        name = outputs["secrets"].get(suffix)
        if name is None:
            LOG.warning("snapshot secret %s is not in the template any more; not restored", suffix)
            continue
        # The deploy gave the secret a new random value; the snapshot's becomes the current version, so that what
        # was signed or hashed with it before the restart still checks.
        if "SecretString" in value:
            manager.put_secret_value(SecretId=name, SecretString=value["SecretString"])
        else:
            manager.put_secret_value(SecretId=name, SecretBinary=base64.b64decode(value["SecretBinary"]))


def remaining_delay(delayed_until_ms: int, now: float | None = None) -> int:
    """What is left of a message's delay, in SendMessage's whole seconds (0 to 900): a scheduled job's time keeps
    running while the stack is stopped."""
    left_ms = delayed_until_ms - (time.time() if now is None else now) * 1000
    return max(0, min(SQS_MAX_DELAY_SECONDS, int(-(-left_ms // 1000))))


def _restore_queues(queues: dict[str, list[dict[str, Any]]], outputs: dict[str, Any], endpoint: str,
                    region: str) -> None:
    sqs = _client("sqs", endpoint, region)
    for suffix, messages in queues.items():
        url = (outputs.get("queue_urls") or {}).get(suffix)
        if url is None:
            LOG.warning("snapshot queue %s is not in the template any more; its %d messages are not restored",
                        suffix, len(messages))
            continue
        for start in range(0, len(messages), SQS_BATCH_SIZE):
            entries = []
            for index, message in enumerate(messages[start:start + SQS_BATCH_SIZE]):
                entry: dict[str, Any] = {"Id": str(index), "MessageBody": message["body"],
                                         "DelaySeconds": remaining_delay(int(message.get("delayed_until_ms") or 0))}
                if message.get("group_id"):  # FIFO queues take no per-message delay
                    entry.pop("DelaySeconds")
                    entry["MessageGroupId"] = message["group_id"]
                    if message.get("deduplication_id"):
                        entry["MessageDeduplicationId"] = message["deduplication_id"]
                entries.append(entry)
            failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed") or []
            if failed:
                raise SnapshotError(f"the emulator refused {len(failed)} messages for queue {suffix}")


def _rekey(mapping: dict[str, Any], old: str, new: str) -> OrderedDict[str, Any]:
    return OrderedDict((new if key == old else key, value) for key, value in mapping.items())


def restore_user_pool(saved: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """Give the deployed pool (and its clients) the saved ids, then put back the saved groups and users.

    Keeping the ids means the issuer and JWKS URL are those of before the restart, so an ID token issued before it
    still verifies until it expires (moto signs every pool's tokens with one fixed key).
    """
    from moto.cognitoidp.models import CognitoIdpGroup, CognitoIdpUser, UserStatus
    from moto.cognitoidp.utils import flatten_attrs

    region = str(outputs["region"])
    backend = _cognito_backend(region)
    pool = backend.user_pools[outputs["user_pool_id"]]
    saved_id = str(saved["user_pool_id"])
    if saved_id != pool.id and saved_id not in backend.user_pools:
        backend.user_pools = _rekey(backend.user_pools, pool.id, saved_id)
        pool.id, pool.arn = saved_id, pool.arn.rsplit("/", 1)[0] + "/" + saved_id
        for member in (*pool.clients.values(), *pool.groups.values(), *pool.users.values()):
            member.user_pool_id = saved_id
    for client in list(pool.clients.values()):
        wanted = (saved.get("clients") or {}).get(str(client.extended_config.get("ClientName")))
        if wanted and wanted != client.id and wanted not in pool.clients:
            pool.clients = _rekey(pool.clients, client.id, wanted)
            client.id = wanted

    for spec in saved.get("groups") or []:
        if spec["name"] not in pool.groups:
            pool.groups[spec["name"]] = CognitoIdpGroup(pool.id, spec["name"], spec.get("description") or "",
                                                        spec.get("role_arn"), spec.get("precedence"))
    for spec in saved.get("users") or []:
        status = spec.get("status") or "CONFIRMED"
        user = CognitoIdpUser(pool.id, spec["username"], spec.get("password"),
                              UserStatus(status) if status in UserStatus.__members__ else status,
                              spec.get("attributes") or [])
        # The constructor draws a new sub; the registry and the residents' audit entries know the old one.
        user.id = spec["sub"]
        user.username = spec["username"]
        user.attributes = [dict(attribute) for attribute in spec.get("attributes") or []]
        user.attribute_lookup = flatten_attrs(user.attributes)
        user.enabled = bool(spec.get("enabled", True))
        user.software_token_mfa_enabled = bool(spec.get("software_token_mfa_enabled"))
        user.sms_mfa_enabled = bool(spec.get("sms_mfa_enabled"))
        user.token_verified = bool(spec.get("token_verified"))
        user.preferred_mfa_setting = spec.get("preferred_mfa_setting")
        for field_name, key in (("create_date", "created"), ("last_modified_date", "modified")):
            if spec.get(key):
                setattr(user, field_name, datetime.datetime.fromisoformat(spec[key]))
        pool.users[user.username] = user
        for group_name in spec.get("groups") or []:
            group = pool.groups.get(group_name)
            if group is not None:
                group.users.add(user)
                user.groups.add(group)

    updated = dict(outputs)
    client_id = outputs.get("user_pool_client_id")
    client_name = next((name for name, cid in (saved.get("clients") or {}).items() if cid in pool.clients), None)
    if client_name is not None:
        client_id = saved["clients"][client_name]
    updated["user_pool_id"] = pool.id
    updated["user_pool_client_id"] = client_id
    updated["jwks_url"] = f"{outputs['endpoint']}/{pool.id}/.well-known/jwks.json"
    physical = dict(outputs.get("physical_ids") or {})
    for logical, value in list(physical.items()):
        if value == outputs.get("user_pool_id"):
            physical[logical] = pool.id
        elif value == outputs.get("user_pool_client_id"):
            physical[logical] = client_id
    updated["physical_ids"] = physical
    template_outputs = dict(outputs.get("outputs") or {})
    for key, value in list(template_outputs.items()):
        if value == outputs.get("user_pool_id"):
            template_outputs[key] = pool.id
        elif value == outputs.get("user_pool_client_id"):
            template_outputs[key] = str(client_id)
    updated["outputs"] = template_outputs
    return updated


def restore_push_endpoints(saved: list[dict[str, Any]], region: str) -> None:
    from moto.sns.models import PlatformEndpoint

    backend = _sns_backend(region)
    for spec in saved:
        application = backend.applications.get(spec["application_arn"])
        if application is None or spec["arn"] in backend.platform_endpoints:
            continue
        endpoint = PlatformEndpoint(ACCOUNT_ID, region, application, spec.get("custom_user_data") or "",
                                    spec["token"], dict(spec.get("attributes") or {}))
        # Residents' devices store the endpoint ARN: it must be the same one.
        endpoint.arn = spec["arn"]
        endpoint.id = spec["arn"].rsplit("/", 1)[-1]
        backend.platform_endpoints[endpoint.arn] = endpoint


# --- while running


class Snapshotter:
    """Takes a snapshot every `interval` seconds in a thread and once more at `stop()`; one at a time."""

    def __init__(self, path: Path, take: Callable[[], dict[str, Any]],
                 interval: float = DEFAULT_INTERVAL_SECONDS) -> None:
        self.path = path
        self.take = take
        self.interval = interval
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.taken = 0

    def snapshot(self) -> None:
        with self._lock:
            started = time.monotonic()
            document = self.take()
            write_snapshot(self.path, document)
            self.taken += 1
            LOG.info("snapshot written to %s in %.1f s: %s", self.path, time.monotonic() - started,
                     summary(document))

    def start(self) -> None:
        if self.interval <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="snapshots", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.snapshot()
            except Exception:  # the stack keeps running; the next tick tries again
                LOG.exception("periodic snapshot failed")

    def stop(self) -> None:
        """The final snapshot, at a clean stop."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.snapshot()
