"""What a cold start of the API function loads: `import app` (Lambda's `app.app`), and a signup, must not load the
delivery side (the fan-out, the alert channel adapters, Powertools' batch processing) nor, with tracing off, the
X-Ray SDK. Those are other functions' code; every module imported is paid for on each cold start (bench/coldstart.py
measures how much).

Each check runs in a fresh interpreter, since this test session has long since imported everything. No AWS: the
secrets are stubbed and every AWS endpoint is unreachable, so the signup fails at its first AWS call, after the app
has built everything the signup path needs. No timing here, ever: that is the bench's job.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
DELIVERY = ["chalicelib.services.pipeline", "chalicelib.adapters.bulk_email", "chalicelib.adapters.voice",
            "chalicelib.adapters.push", "aws_lambda_powertools.utilities.batch"]

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
watched = json.loads(sys.argv[2])
import app
report = {"import": [name for name in watched if name in sys.modules]}
if sys.argv[3] == "signup":
    from chalice.test import Client
    from chalicelib import bootstrap
    from chalicelib.domain.tokens import KeyRing
    bootstrap.load_contact_hash_key = lambda name: b"contact-hash-key-for-the-probe"
    bootstrap.load_key_ring = lambda name: KeyRing({"k1": b"signing-key-for-the-probe"}, "k1")
    body = {"email": "probe@hexwatch.example", "channels": ["email"], "categories": ["crime"],
            "locations": [{"label": "Home", "lat": 52.8066, "lng": -2.1167}], "age_confirmed": True,
            "consent": True}
    with Client(app.app) as client:
        response = client.http.post("/v1/signup", body=json.dumps(body).encode(),
                                    headers={"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"})
    report["status"] = response.status_code
    report["wired"] = bootstrap.services.cache_info().currsize
    report["after"] = [name for name in watched if name in sys.modules]
print("PROBE " + json.dumps(report))
"""


def probe(step: str, tracing: bool = False) -> dict[str, object]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("AWS_", "POWERTOOLS_", "HEXWATCH_", "LAMBDA_", "_X_AMZN"))}
    env.update({"AWS_DEFAULT_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "probe", "AWS_SECRET_ACCESS_KEY": "probe",
                # Nothing listens on the discard port: the first AWS call fails at once, and is not retried.
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard",
                "HEXWATCH_PREFIX": "probe", "HEXWATCH_GEOCODER": "outcodes", "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "Hexwatch", "POWERTOOLS_LOG_LEVEL": "ERROR"})
    if tracing:
        # As in Lambda with active tracing: the X-Ray SDK is wanted, and loaded by the Tracer.
        env["LAMBDA_TASK_ROOT"] = str(FUNCTIONS)
    else:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    watched = [*DELIVERY, "aws_xray_sdk.core"]
    done = subprocess.run([sys.executable, "-c", PROBE, str(FUNCTIONS), json.dumps(watched), step], env=env,
                          cwd=FUNCTIONS, capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    return dict(json.loads(lines[-1][len("PROBE "):]))


def test_importing_the_app_loads_no_delivery_code_and_no_xray_when_tracing_is_off() -> None:
    assert probe("import")["import"] == []


def test_a_signup_loads_no_delivery_code() -> None:
    report = probe("signup")
    # The signup got as far as its first AWS call (the wiring was built): a 500 from the unreachable endpoint.
    assert report["wired"] == 1 and report["status"] == 500
    assert report["after"] == []


def test_with_tracing_on_the_xray_sdk_is_loaded_at_import_and_still_no_delivery_code() -> None:
    # Deployed functions trace (chalice.json `xray: true`): the Tracer is built, and patches botocore, at import,
    # while Lambda initialises the function, and not in the first request.
    assert probe("import", tracing=True)["import"] == ["aws_xray_sdk.core"]
