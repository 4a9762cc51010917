"""Cold starts: every Lambda function of the app, each in a fresh interpreter, against the bare dependency floor.

    .venv/bin/python -m bench.coldstart [--runs 5] [--write-docs]

A cold start is two things, measured apart: importing the module Lambda is told to load (the handler string that
`chalice package` writes: `app.app` for the API, and `chalicelib.<module>.<function>` for the authorizer and every
event handler, which Chalice declares in blueprints), then the first invocation of that handler with a canned event.
Each function runs in a new `python` process (`--runs` times, interleaved with the others so that the machine's noise
falls on all of them alike), which reports the time of the import, of the first invocation, and its peak RSS
(`resource.getrusage`), and which of the delivery modules (the fan-out, the channel adapters, the X-Ray SDK...) it
loaded. The floor, in the same run and the same way: a fresh interpreter that imports the runtime packages bare
(functions/requirements.txt, and Chalice).

The invocations do real work against the emulator (a moto server in a process of its own, with infra/resources.yaml
deployed as the integration tests do), with the app's environment from `stack.app_env`: a signup is stored and its
verification queued; an officer's GET reads the alerts; the authorizer verifies an emulator-issued Cognito token and
reads the registry; the transactional worker sends a verification email; targeting plans an alert; each delivery
worker sends one alert's batch on its channel; the SES handler suppresses a bounced address; housekeeping purges
unverified signups. Every run gets jobs of its own (and fresh message ids), so no run is answered by another's
idempotency record or ledger claim.

Two configurations: tracing on, as deployed (chalice.json `xray: true`: Lambda sets LAMBDA_TASK_ROOT and a trace
header, and Powertools' Tracer loads and patches the X-Ray SDK), and tracing off (POWERTOOLS_TRACE_DISABLED=true, as
the local stage and the tests run). The app's own modules are compiled at every import (this repository writes no
.pyc: PYTHONDONTWRITEBYTECODE), as from a package that ships none; the venv's packages are byte-compiled.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
sys.path[:0] = [str(FUNCTIONS), str(ROOT)]

import boto3  # noqa: E402

from bench.docs_section import write_section  # noqa: E402
from bench.fanout import EMULATOR_PROCESS, _free_port, _wait_for  # noqa: E402
from infra.local import emulator, stack  # noqa: E402

SITE_URL = "http://localhost:8080"
SENDER = "alerts@hexwatch.example"
GOAL_RATIO = 1.5
# Distribution name -> import name, for the floor; Chalice is the framework the app runs in.
IMPORT_NAMES = {"aws-lambda-powertools": "aws_lambda_powertools", "pyjwt": "jwt", "python-ulid": "ulid"}
# What the API function should not load: the delivery side (fan-out, channel adapters, batch processing) and X-Ray.
DELIVERY_MODULES = ["chalicelib.services.pipeline", "chalicelib.adapters.bulk_email", "chalicelib.adapters.voice",
                    "chalicelib.adapters.push"]
WATCHED = [*DELIVERY_MODULES, "aws_xray_sdk.core", "aws_lambda_powertools.utilities.batch",
           "aws_lambda_powertools.utilities.idempotency"]
# A sampled trace header, as Lambda sets it for each invocation when active tracing is on: subsegments are recorded
# and sent to the daemon's UDP address, where nobody listens here.
TRACE_HEADER = "Root=1-6751d3a0-3f1b2c4d5e6f708192a3b4c5;Parent=53995c3f42cd8ad8;Sampled=1"

# The measured process: nothing but the standard library before the timed import, and the module Lambda would load.
CHILD = r"""
import importlib, json, resource, sys, time, uuid

spec = json.load(open(sys.argv[1], encoding="utf-8"))
sys.path.insert(0, spec["task_root"])


class Context:
    # What Lambda's context object offers and Powertools reads.
    def __init__(self, name):
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:" + name
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "bench"
        self._deadline = time.monotonic() + 30

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def peak_rss_mb():
    # getrusage's maxrss survives exec on Linux, so a child reports its parent's peak if that was higher; VmHWM is
    # this process image's own high-water mark.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def outcome_of(result):
    if isinstance(result, dict) and "statusCode" in result:
        return "HTTP %s" % result["statusCode"]
    if isinstance(result, dict) and "batchItemFailures" in result:
        failed = len(result["batchItemFailures"])
        return "%d failed" % failed if failed else "ok"
    if isinstance(result, dict) and "policyDocument" in result:
        return result["policyDocument"]["Statement"][0]["Effect"]
    return "ok"


started, cpu_started = time.perf_counter(), time.process_time()
if spec["handler"] is None:
    for name in spec["floor"]:
        importlib.import_module(name)
    handler = None
else:
    module_name, _, attribute = spec["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
imported, cpu_imported = time.perf_counter(), time.process_time()
loaded_at_import = [name for name in spec["watched"] if name in sys.modules]
outcome = ""
if handler is not None:
    try:
        outcome = outcome_of(handler(spec["event"], Context(spec["function"])))
    except Exception as error:
        outcome = "raised " + type(error).__name__
invoked = time.perf_counter()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump({"import_s": imported - started, "import_cpu_s": cpu_imported - cpu_started,
               "invoke_s": invoked - imported,
               "rss_mb": peak_rss_mb(), "outcome": outcome,
               "loaded_at_import": loaded_at_import,
               "loaded_after_invoke": [name for name in spec["watched"] if name in sys.modules]}, out)
"""


def floor_modules() -> list[str]:
    """The runtime packages of functions/requirements.txt by import name (botocore comes with boto3), and Chalice."""
    names = []
    for line in (FUNCTIONS / "requirements.txt").read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].strip()
        if not requirement:
            continue
        distribution = requirement.split("==")[0].split("[")[0].strip().lower()
        names.append(IMPORT_NAMES.get(distribution, distribution.replace("-", "_")))
    return [*names, "chalice"]


def api_event(method: str, path: str, body: Any = None, authorizer: dict[str, str] | None = None) -> dict[str, Any]:
    """API Gateway's REST proxy event, as it reaches `app.app`; `authorizer` is what the authorizer function passed."""
    headers = {"Host": "abc123.execute-api.eu-west-2.amazonaws.com", "User-Agent": "bench", "Accept": "*/*"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if authorizer is None:
        headers.update({"Origin": SITE_URL, "Sec-Fetch-Site": "same-origin"})
    context: dict[str, Any] = {
        "resourcePath": path, "httpMethod": method, "path": f"/api{path}", "stage": "api",
        "requestId": str(uuid.uuid4()), "accountId": "123456789012", "apiId": "abc123",
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "bench"}}
    if authorizer is not None:
        context["authorizer"] = {**authorizer, "principalId": authorizer["sub"]}
    return {"resource": path, "path": path, "httpMethod": method, "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "requestContext": context,
            "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False}


def sqs_event(message: dict[str, Any], queue: str) -> dict[str, Any]:
    from infra.local.pump import sqs_record

    record = sqs_record(message, f"arn:aws:sqs:{emulator.REGION}:{stack.ACCOUNT_ID}:{queue}")
    record["messageId"] = str(uuid.uuid4())  # a new id: the idempotency record of another run must not answer
    return {"Records": [record]}


def take(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
    """Receives (and keeps, invisible) `count` messages of a queue: the jobs the measured workers will be handed."""
    taken: list[dict[str, Any]] = []
    for _ in range(50):
        if len(taken) >= count:
            break
        taken += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     VisibilityTimeout=3600).get("Messages", [])
    if len(taken) < count:
        raise RuntimeError(f"expected {count} messages on {url}, found {len(taken)}")
    return taken[:count]


def prepare(slots: int, outputs: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, dict[str, Any]]]]:
    """Runs the app in this process to make the state and the jobs each run needs; returns the functions' handler
    strings (as `chalice package` declares them) and, per run, each function's canned event."""
    from infra.local.pump import scheduled_event, sns_record
    from tests.integration.alert_helpers import STAFFORD, alert_stack, offset

    env = SimpleNamespace(endpoint=outputs["endpoint"], region=emulator.REGION)
    alerts, client = alert_stack(env, lambda: outputs)
    app, prefix, sqs = alerts.app, str(outputs["prefix"]), boto3.client("sqs")
    handlers = {source.name: source.handler_string for source in app.event_sources}
    handlers["api"] = "app.app"
    handlers.update({auth.name: auth.handler_string for auth in app.builtin_auth_handlers})
    handlers.update({function.name: function.handler_string for function in app.pure_lambda_functions})

    every = ["email", "sms", "voice", "push"]
    for north in (100, -200, 300):
        alerts.resident(*offset(*STAFFORD, north, 150), every)
    # Alerts sent and planned here: their delivery jobs (one per channel) are the delivery workers' events.
    for _ in range(slots):
        alert = alerts.create()
        assert alerts.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
        alerts.run_queue(stack_config().TARGETING_QUEUE)
    deliveries = {channel: take(sqs, alerts.queue_url(queue), slots)
                  for channel, queue in stack_config().DELIVERY_QUEUES.items()}
    # Alerts sent but not planned: their plan jobs are the targeting worker's events.
    for _ in range(slots):
        alert = alerts.create()
        assert alerts.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    plans = take(sqs, alerts.queue_url(stack_config().TARGETING_QUEUE), slots)
    # Signups made here: their verification jobs are the transactional worker's events.
    for slot in range(slots):
        body = {"email": f"coldstart-setup-{slot}-{uuid.uuid4().hex[:8]}@hexwatch.example", "channels": ["email"],
                "categories": ["crime"], "locations": [{"label": "Home", "lat": STAFFORD[0], "lng": STAFFORD[1]}],
                "age_confirmed": True, "consent": True}
        response = client.http.post("/v1/signup", body=json.dumps(body).encode(),
                                    headers={"Content-Type": "application/json", "Origin": SITE_URL,
                                             "Sec-Fetch-Site": "same-origin"})
        assert response.status_code in (200, 201, 202), response.body
    transactional = take(sqs, alerts.queue_url(stack_config().TRANSACTIONAL_QUEUE), slots)

    token_event = {"type": "TOKEN", "authorizationToken": f"Bearer {alerts.tokens['officer']}",
                   "methodArn": f"arn:aws:execute-api:{emulator.REGION}:{stack.ACCOUNT_ID}:abc123/api/GET/v1/alerts"}
    # What API Gateway hands the API function after the authorizer allowed the token: the authorizer's own context.
    authorizer_context = dict(_authorize(token_event)["context"])
    topic = f"{prefix}-{stack_config().SES_EVENTS_TOPIC}"
    topic_arn = f"arn:aws:sns:{emulator.REGION}:{stack.ACCOUNT_ID}:{topic}"
    runs: list[dict[str, dict[str, Any]]] = []
    for slot in range(slots):
        signup = {"email": f"coldstart-{slot}-{uuid.uuid4().hex[:8]}@hexwatch.example", "channels": ["email"],
                  "categories": ["crime"], "locations": [{"label": "Home", "lat": STAFFORD[0], "lng": STAFFORD[1]}],
                  "age_confirmed": True, "consent": True}
        bounce = {"notificationType": "Bounce",
                  "bounce": {"bounceType": "Permanent",
                             "bouncedRecipients": [{"emailAddress": f"bounced-{slot}@hexwatch.example"}]},
                  "mail": {"tags": {"alert_id": [str(json.loads(plans[slot]["Body"]).get("alert_id"))]}}}
        runs.append({
            "api:signup": api_event("POST", "/v1/signup", signup),
            "api:officer": api_event("GET", "/v1/alerts", authorizer=authorizer_context),
            "officer_authorizer": token_event,
            "send_transactional": sqs_event(transactional[slot], f"{prefix}-transactional"),
            "target_alerts": sqs_event(plans[slot], f"{prefix}-targeting"),
            **{f"deliver_{channel}": sqs_event(deliveries[channel][slot], f"{prefix}-deliver-{channel}")
               for channel in deliveries},
            "handle_ses_event": {"Records": [sns_record({"MessageId": str(uuid.uuid4()), "TopicArn": topic_arn,
                                                         "Message": json.dumps(bounce)}, f"{topic_arn}:bench")]},
            "purge_unverified": scheduled_event(f"{prefix}-purge-unverified"),
        })
    client.__exit__(None, None, None)
    return handlers, runs


def _authorize(event: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.api.officers import officer_authorizer

    return dict(officer_authorizer(event, None))


def stack_config() -> Any:
    from chalicelib import config

    return config


PYC_ROW = "APIHandler: GET /v1/alerts, app's .pyc shipped"
# (row label, key of the canned event, the function whose handler string Lambda loads)
ROWS = [
    ("APIHandler: POST /v1/signup", "api:signup", "api"),
    ("APIHandler: GET /v1/alerts (officer)", "api:officer", "api"),
    ("OfficerAuthorizer", "officer_authorizer", "officer_authorizer"),
    ("SendTransactional", "send_transactional", "send_transactional"),
    ("TargetAlerts", "target_alerts", "target_alerts"),
    ("DeliverEmail", "deliver_email", "deliver_email"),
    ("DeliverSms", "deliver_sms", "deliver_sms"),
    ("DeliverVoice", "deliver_voice", "deliver_voice"),
    ("DeliverPush", "deliver_push", "deliver_push"),
    ("HandleSesEvent", "handle_ses_event", "handle_ses_event"),
    ("PurgeUnverified (housekeeping)", "purge_unverified", "purge_unverified"),
    # Not a function of its own: the API again, with the app's modules byte-compiled beforehand, as they would be if
    # the package shipped .pyc files. The difference to the row above is the compiling every other row pays.
    (PYC_ROW, "api:officer", "api"),
]
FLOOR = "floor: runtime packages imported bare"


def child_env(base: dict[str, str], tracing: bool) -> dict[str, str]:
    env = {name: value for name, value in base.items()
           if not name.startswith(("POWERTOOLS_", "_X_AMZN")) and name != "PYTHONPATH"}
    # As deployed (chalice.json), in Lambda: the function's directory is LAMBDA_TASK_ROOT, metrics and logs are on.
    env.update({"LAMBDA_TASK_ROOT": str(FUNCTIONS), "AWS_LAMBDA_FUNCTION_NAME": "hexwatch-dev",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "POWERTOOLS_SERVICE_NAME": "hexwatch",
                "POWERTOOLS_METRICS_NAMESPACE": "Hexwatch", "POWERTOOLS_LOG_LEVEL": "INFO",
                "PYTHONDONTWRITEBYTECODE": "1"})
    # X-Ray's PynamoDB patch reads the region from the endpoint's host name (its second dot-separated part), which
    # "localhost" lacks: AWS's names and an IP address have one. Both configurations use the same address.
    env["AWS_ENDPOINT_URL"] = env["AWS_ENDPOINT_URL"].replace("//localhost:", "//127.0.0.1:")
    if tracing:
        env["_X_AMZN_TRACE_ID"] = TRACE_HEADER
    else:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


def measure(spec: dict[str, Any], env: dict[str, str], workdir: Path) -> dict[str, Any]:
    spec_path, out_path = workdir / f"{uuid.uuid4().hex}.json", workdir / f"{uuid.uuid4().hex}.out"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    log_path = workdir / f"{uuid.uuid4().hex}.log"
    with log_path.open("wb") as log:
        subprocess.run([sys.executable, "-c", CHILD, str(spec_path), str(out_path)], cwd=FUNCTIONS, env=env,
                       stdout=log, stderr=subprocess.STDOUT, timeout=120, check=True)
    figures = dict(json.loads(out_path.read_text(encoding="utf-8")))
    if spec["handler"] is not None and figures["outcome"] not in ("ok", "HTTP 200", "HTTP 201", "HTTP 202", "Allow"):
        # Said at once, with what the function logged: a failing first call is not a cold start worth a figure.
        print(f"{spec['function']}: {figures['outcome']}\n{log_path.read_text(errors='replace')[-3000:]}",
              file=sys.stderr, flush=True)
    return figures


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def loaded(figures: list[dict[str, Any]]) -> str:
    """Which delivery modules (not X-Ray or Powertools' batch) the function loaded: at import, or by the first call."""
    first = figures[0]
    at_import = [m.rsplit(".", 1)[-1] for m in first["loaded_at_import"] if m in DELIVERY_MODULES]
    later = [m.rsplit(".", 1)[-1] for m in first["loaded_after_invoke"]
             if m in DELIVERY_MODULES and m not in first["loaded_at_import"]]
    if not at_import and not later:
        return "none"
    return "; ".join(part for part in (f"at import: {', '.join(at_import)}" if at_import else "",
                                       f"on invoke: {', '.join(later)}" if later else "") if part)


def xray(figures: list[dict[str, Any]]) -> str:
    first = figures[0]
    if "aws_xray_sdk.core" in first["loaded_at_import"]:
        return "at import"
    return "on invoke" if "aws_xray_sdk.core" in first["loaded_after_invoke"] else "no"


def table(results: dict[str, list[dict[str, Any]]], handlers: dict[str, str]) -> tuple[list[str], float]:
    floor = statistics.median(r["import_s"] for r in results[FLOOR])
    floor_cpu = statistics.median(r["import_cpu_s"] for r in results[FLOOR])
    floor_rss = statistics.median(r["rss_mb"] for r in results[FLOOR])
    lines = ["| function | Lambda loads | import (ms) | import CPU (ms) | import CPU ÷ floor | first invoke (ms) | "
             "import + invoke (ms) | peak RSS (MB) | delivery code loaded | X-Ray SDK | outcome |",
             "|---|---|---|---|---|---|---|---|---|---|---|",
             f"| {FLOOR} | {len(floor_modules())} packages | {ms(floor)} | {ms(floor_cpu)} | 1.00 | | | "
             f"{floor_rss:,.0f} | | | |"]
    api_ratio = 0.0
    for label, _key, function in ROWS:
        figures = results[label]
        imported = statistics.median(r["import_s"] for r in figures)
        cpu = statistics.median(r["import_cpu_s"] for r in figures)
        invoked = statistics.median(r["invoke_s"] for r in figures)
        total = statistics.median(r["import_s"] + r["invoke_s"] for r in figures)
        rss = statistics.median(r["rss_mb"] for r in figures)
        outcomes = sorted({r["outcome"] for r in figures})
        if function == "api":
            api_ratio = max(api_ratio, cpu / floor_cpu)
        lines.append(f"| {label} | `{handlers[function].rpartition('.')[0]}` | {ms(imported)} | {ms(cpu)} | "
                     f"{cpu / floor_cpu:.2f} | {ms(invoked)} | {ms(total)} | {rss:,.0f} | {loaded(figures)} | "
                     f"{xray(figures)} | {', '.join(outcomes)} |")
    return lines, api_ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true", help="replace the figures in docs/performance.md")
    args = parser.parse_args()

    logging.getLogger().setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")
    os.environ.update({"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true",
                       "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "Hexwatch"})
    # Every run signs up from the same address: the per-address limits (meant for one person) would trip.
    os.environ["HEXWATCH_RATE_LIMITS"] = json.dumps({"signup.ip": [100_000, 3600]})
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", EMULATOR_PROCESS.format(root=str(ROOT), port=port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://{emulator.HOST}:{port}"
        _wait_for(port)
        emulator.apply_aws_env(endpoint)
        outputs = stack.deploy(endpoint, "coldstart", SENDER)
        os.environ.update(stack.app_env(outputs, SITE_URL))
        modes = {"tracing on (as deployed)": True, "tracing off (POWERTOOLS_TRACE_DISABLED=true)": False}
        started = time.perf_counter()
        handlers, runs = prepare(args.runs * len(modes), outputs)
        print(f"prepared {len(runs)} runs' events in {time.perf_counter() - started:.0f} s", flush=True)
        base_env = dict(os.environ)
        texts: list[str] = []
        api_ratios: dict[str, float] = {}
        loads: dict[str, str] = {}
        with tempfile.TemporaryDirectory(prefix="coldstart-") as tmp:
            workdir = Path(tmp)
            for mode_index, (mode, tracing) in enumerate(modes.items()):
                env = child_env(base_env, tracing)
                # The .pyc row reads bytecode from a cache of its own, written by one run here that is not counted.
                compiled_env = {**{k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"},
                                "PYTHONPYCACHEPREFIX": str(workdir / "pyc")}
                measure({"handler": handlers["api"], "function": "api", "event": runs[0]["api:officer"],
                         "watched": WATCHED, "task_root": str(FUNCTIONS)}, compiled_env, workdir)
                results: dict[str, list[dict[str, Any]]] = {FLOOR: [], **{label: [] for label, _, _ in ROWS}}
                for run in range(args.runs):
                    events = runs[mode_index * args.runs + run]
                    results[FLOOR].append(measure({"handler": None, "floor": floor_modules(), "watched": WATCHED,
                                                   "task_root": str(FUNCTIONS)}, env, workdir))
                    for label, key, function in ROWS:
                        results[label].append(measure(
                            {"handler": handlers[function], "function": function, "event": events[key],
                             "watched": WATCHED, "task_root": str(FUNCTIONS)},
                            compiled_env if label == PYC_ROW else env, workdir))
                    print(f"{mode}: run {run + 1}/{args.runs} done", flush=True)
                lines, api_ratios[mode] = table(results, handlers)
                loads[mode] = loaded(results["APIHandler: POST /v1/signup"])
                texts.append(f"**{mode}**, median of {args.runs} runs:\n\n" + "\n".join(lines))
    finally:
        server.terminate()

    deployed, untraced = list(modes)
    verdict = [
        f"Goal: the API function's import at most {GOAL_RATIO} times the floor (CPU time). Tracing on (as deployed): "
        f"{api_ratios[deployed]:.2f} ({'met' if api_ratios[deployed] <= GOAL_RATIO else 'not met'}); "
        f"tracing off: {api_ratios[untraced]:.2f} ({'met' if api_ratios[untraced] <= GOAL_RATIO else 'not met'}).",
        f"Goal: a signup loads no delivery code. Delivery modules loaded by the signup function: "
        f"{loads[deployed]} ({'met' if loads[deployed] == 'none' else 'not met'}).",
    ]
    # A function added to the app has no canned event here until someone writes one: said, not silently left out.
    unmeasured = sorted(set(handlers) - {function for _, _, function in ROWS})
    if unmeasured:
        verdict.append(f"Functions with no row yet (no canned event in bench/coldstart.py): {', '.join(unmeasured)}.")
    text = "\n\n".join([*texts, "\n".join(f"- {line}" for line in verdict)])
    print(text)
    if args.write_docs:
        text += (f"\n\nReproduce: `.venv/bin/python -m bench.coldstart --runs {args.runs} --write-docs` (2 cores). "
                 "Times are this machine's, each process on its own; Lambda's CPU share at 512 MB is smaller, so "
                 "the ratios carry over better than the milliseconds.")
        write_section("bench.coldstart", text, "## Cold starts (`bench/coldstart.py`)")


if __name__ == "__main__":
    main()
