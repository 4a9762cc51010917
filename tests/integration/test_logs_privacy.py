"""No email address or phone number reaches any log line, across a whole resident journey."""

from __future__ import annotations

import io
import json
import os
import re

import pytest

from chalicelib import bootstrap
from chalicelib.observability import logger

from .residents_helpers import make_api, signup_body, unique_mobile


def test_a_journey_logs_plenty_and_no_contact_details(emulator, capfd: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    # The app's log handler keeps the stream it was created with, which pytest may have swapped out by now: point that
    # very handler (with its formatter) at a buffer, and read whatever else reached the process's output too.
    handler = logger.registered_handler
    buffer = io.StringIO()
    previous_stream = handler.setStream(buffer)  # type: ignore[attr-defined]
    os.environ["HEXWATCH_RATE_LIMITS"] = json.dumps({"signup.ip": [100_000, 3600], "verify.ip": [100_000, 3600],
                                                     "signin.ip": [100_000, 3600]})
    try:
        api = make_api(emulator.prefix)
        number = unique_mobile()
        body = signup_body(phone=number, channels=["email", "sms"], name="Jo Bloggs")
        api.post("/v1/signup", body)
        api.post("/v1/signup", {**body, "email": "Not An Email"})  # refused: the bad value must not be logged either
        api.pump()
        api.post("/v1/verify", {"phone": number, "code": api.code_sent_to(number)})
        api.post("/v1/signin", {"email": body["email"]})
        api.pump()
    finally:
        os.environ.pop("HEXWATCH_RATE_LIMITS")
        bootstrap.reset()
        handler.setStream(previous_stream)  # type: ignore[attr-defined]
    captured = capfd.readouterr()
    output = buffer.getvalue() + captured.out + captured.err
    lines = [line for line in output.splitlines() if line.strip()]
    assert sum('"request handled"' in line for line in lines) >= 4, "the API should log each request"
    assert any('"transactional job done"' in line for line in lines), "the worker should log each job"
    structured = [json.loads(line) for line in lines if line.startswith('{"level"')]
    assert structured and all(record.get("function_request_id") for record in structured), "each line has a request id"
    local_part = body["email"].split("@")[0]
    national = "0" + number[3:]
    for line in lines:
        assert local_part not in line and number not in line and number[1:] not in line and national not in line, line
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", line), line
