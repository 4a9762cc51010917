"""No resident's personal data reaches any log line: not their email address or phone number, name, postcode, the
coordinates of their places (to 3 decimals, about 100 m), nor their app's device token.

One whole journey drives every part that logs: signup (with a name, a postcode and a point; also refused ones),
verification by SMS code and by email link, sign-in by phone, managing preferences, registering a device, export, an
officer's alert through the targeting and delivery workers to that resident on email, SMS and push, and erasure.
"""

from __future__ import annotations

import io
import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from chalicelib import bootstrap
from chalicelib.observability import logger
from tests.integration.alert_helpers import AlertStack, alert_stack
from tests.integration.residents_helpers import GENEROUS_RATE_LIMITS, ResidentApi, signup_body, unique_mobile

NAME, NEW_NAME = "Zebedee Quartermaine", "Ottoline Fairweather-Brown"
POSTCODE = "ST16 2DH"
HOME = (52.80913, -2.12384)  # about 500 m from the alert's centre, and unlike any other number in the logs


@contextmanager
def captured_logs(capfd: pytest.CaptureFixture[str]) -> Iterator[list[str]]:
    """Every log line written inside the block, filled in when it ends. The app's handler keeps the stream it was
    created with, which pytest may have swapped out by now: point that very handler (with its formatter) at a buffer,
    and read whatever else reached the process's output too."""
    handler = logger.registered_handler
    buffer = io.StringIO()
    previous_stream = handler.setStream(buffer)  # type: ignore[attr-defined]
    lines: list[str] = []
    try:
        yield lines
    finally:
        handler.setStream(previous_stream)  # type: ignore[attr-defined]
        captured = capfd.readouterr()
        lines.extend(line for line in (buffer.getvalue() + captured.out + captured.err).splitlines() if line.strip())


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    os.environ["HEXWATCH_RATE_LIMITS"] = GENEROUS_RATE_LIMITS
    alerts, client = alert_stack(emulator, fresh_stack)
    with client:
        yield alerts
    os.environ.pop("HEXWATCH_RATE_LIMITS", None)
    bootstrap.reset()


def test_a_whole_journey_logs_plenty_and_nothing_personal(stack: AlertStack,
                                                         capfd: pytest.CaptureFixture[str]) -> None:
    api = ResidentApi(stack.client, stack.prefix)
    number = unique_mobile()
    device_token = f"fcm-{uuid.uuid4().hex}{uuid.uuid4().hex}"
    body = signup_body(phone=number, channels=["email", "sms", "push"], name=NAME,
                       locations=[{"label": "Home", "lat": HOME[0], "lng": HOME[1]},
                                  {"label": "Work", "postcode": POSTCODE}])
    with captured_logs(capfd) as lines:
        assert api.post("/v1/signup", body).status_code == 202
        # Refused requests must not log the bad values either.
        assert api.post("/v1/signup", {**body, "email": "Not An Email"}).status_code == 400
        assert api.post("/v1/signup", {**body, "email": "x" + body["email"],
                                       "locations": [{"label": "Home", "postcode": "ZZ99 9ZZ"}]}).status_code == 400
        api.pump()
        verified = api.post("/v1/verify", {"phone": number, "code": api.code_sent_to(number)})
        assert verified.status_code == 200, verified.body
        session = json.loads(verified.body)["session"]
        api.pump()
        email_verified = api.post("/v1/verify", {"token": api.token_from(body["email"], "verify.html")})
        assert email_verified.status_code == 200, email_verified.body
        api.pump()
        assert api.post("/v1/signin", {"phone": number}).status_code == 202
        api.pump()

        changed = api.request("PATCH", "/v1/me", session, {"name": NEW_NAME, "categories": ["crime", "rural"]})
        assert changed.status_code == 200, changed.body
        device = api.request("POST", "/v1/me/devices", session, {"platform": "fcm", "token": device_token})
        assert device.status_code == 201, device.body
        export = api.request("GET", "/v1/me/export", session)
        assert export.status_code == 200 and NEW_NAME in export.body.decode()

        alert = stack.create(channels=["email", "sms", "push"])
        assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
        stack.pump()
        alerted = [m for m in api.messages_to(body["email"]) + api.messages_to(number) if "Burglaries" in str(m)]
        assert {m["channel"] for m in alerted} == {"email", "sms"}, alerted

        assert api.request("DELETE", "/v1/me", session).status_code == 204

    assert sum('"request handled"' in line for line in lines) >= 10, "the API should log each request"
    assert sum('"transactional job done"' in line for line in lines) >= 4, "the transactional worker should log"
    assert sum('"delivery batch done"' in line for line in lines) >= 3, "each channel's worker should log"
    assert any(alert["id"] in line for line in lines), "the alert workers should log (alert ids are not personal)"
    structured = [json.loads(line) for line in lines if line.startswith('{"level"')]
    assert structured and all(record.get("function_request_id") for record in structured), "each line has a request id"

    national = "0" + number[3:]
    postcodes = [form for code in (POSTCODE, "ZZ99 9ZZ") for form in (code, code.replace(" ", ""))]
    personal = [body["email"].split("@")[0], number, number[1:], national, device_token, device_token[:20],
                *NAME.split(), *NEW_NAME.replace("-", " ").split(), *postcodes, f"{HOME[0]:.3f}", f"{HOME[1]:.3f}"]
    for line in lines:
        for value in personal:
            assert value.lower() not in line.lower(), (value, line)
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", line), line
