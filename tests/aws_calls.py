"""Records every AWS operation the functions' code makes, in every tier, for the least-privilege proof.

`install()` adds a botocore `provide-client-params` handler to botocore's built-in handlers, so that every session
created afterwards (boto3's default session, PynamoDB's own) and every client of it reports each operation before it
is sent. The event fires under botocore's `Stubber` too, so the unit tier's production-only adapters are recorded as
well as the emulator tiers' calls.

Each record says which code made the call: the chain of frames from `functions/` (module and qualified name) and
whether Chalice's app entry point (`Chalice.__call__`, the API function) was on the stack. `tests/iam_proof.py`
decides from that which Lambda function of the packaged template the call belongs to. Records go to memory and, when
`HEXWATCH_AWS_CALLS_DIR` is set (tests/conftest.py sets it for the local stack it starts), to a JSON-lines file there,
one per process, so that the e2e tier's calls reach the proof too.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

FUNCTIONS_DIR = str(Path(__file__).resolve().parents[1] / "functions") + os.sep
CALLS_DIR_ENV = "HEXWATCH_AWS_CALLS_DIR"

# Parameters that name the resource an operation acts on: the rest of a request is never recorded (it may hold
# residents' addresses).
RESOURCE_PARAMETERS = ("TableName", "IndexName", "QueueUrl", "QueueName", "TopicArn", "TargetArn",
                       "PlatformApplicationArn", "EndpointArn", "SecretId", "UserPoolId", "ConfigurationSetName",
                       "FromEmailAddress", "FromEmailAddressIdentityArn", "OriginationIdentity", "Bucket",
                       "LogGroupName", "TemplateName", "DefaultContent")

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_installed = False


def _frames() -> tuple[list[str], bool]:
    chain: list[str] = []
    api_entry = False
    frame: Any = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if filename.startswith(FUNCTIONS_DIR):
            module = filename[len(FUNCTIONS_DIR):].removesuffix(".py").replace(os.sep, ".")
            chain.append(f"{module}:{code.co_qualname}")
        elif code.co_name == "__call__" and filename.endswith(os.path.join("chalice", "app.py")) \
                and type(frame.f_locals.get("self")).__name__ == "Chalice":
            api_entry = True
        frame = frame.f_back
    return chain, api_entry


def _resources(params: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in RESOURCE_PARAMETERS:
        value = params.get(name)
        if name == "DefaultContent" and isinstance(value, dict):
            template = value.get("Template") or {}
            if "TemplateName" in template or "TemplateArn" in template:
                found["TemplateName"] = template.get("TemplateName") or template.get("TemplateArn")
            continue
        if isinstance(value, str):
            found[name] = value
    if isinstance(params.get("Key"), str) and "Bucket" in params:
        found["KeyPrefix"] = params["Key"].split("/", 1)[0] + "/"  # S3: the folder, never the object's own name
    if "PhoneNumber" in params:
        found["PhoneNumber"] = True  # that an SMS went to a number; never which number
    if isinstance(params.get("RequestItems"), dict):
        found["RequestItems"] = sorted(params["RequestItems"])
    if isinstance(params.get("TransactItems"), list):
        found["TransactItems"] = sorted({(kind, body.get("TableName", ""))
                                         for item in params["TransactItems"] for kind, body in item.items()})
    return found


def record_call(params: dict[str, Any], model: Any, **_: Any) -> None:
    chain, api_entry = _frames()
    if not chain and not api_entry:
        return  # the test harness, the local pump or the seed: not a Lambda function's code
    service = model.service_model.signing_name or model.service_model.endpoint_prefix
    entry = json.dumps({"service": service, "operation": model.name, "frames": chain, "api_entry": api_entry,
                        "resources": _resources(params)}, sort_keys=True, default=list)
    with _lock:
        _counts[entry] += 1
        if _counts[entry] == 1:
            _append_to_file(entry)


def _append_to_file(entry: str) -> None:
    directory = os.environ.get(CALLS_DIR_ENV)
    if directory:
        path = Path(directory) / f"calls-{os.getpid()}.jsonl"
        with path.open("a", encoding="utf-8") as handle:
            handle.write(entry + "\n")


def install() -> None:
    """Before any botocore session exists: sessions copy the built-in handlers when they are made."""
    global _installed
    if _installed:
        return
    import botocore.handlers

    botocore.handlers.BUILTIN_HANDLERS.append(("provide-client-params.*.*", record_call))
    _installed = True


def recorded(directory: Path | None = None) -> list[dict[str, Any]]:
    """Every distinct call seen by this process, plus those other processes wrote to `directory`."""
    with _lock:
        entries = set(_counts)
    if directory is not None and directory.exists():
        for path in directory.glob("calls-*.jsonl"):
            entries.update(line for line in path.read_text(encoding="utf-8").splitlines() if line)
    return [json.loads(entry) for entry in sorted(entries)]


def reset() -> None:
    with _lock:
        _counts.clear()


if __name__ == "__main__":
    # `python -m tests.aws_calls <module> [args...]`: runs a module (the local stack) with the recorder installed.
    import runpy

    install()
    target = sys.argv[1]
    sys.argv = [target, *sys.argv[2:]]
    runpy.run_module(target, run_name="__main__", alter_sys=True)
