"""Powertools Logger, Metrics and Tracer as Chalice middleware, with contacts scrubbed from every log line.

The Tracer is built only where tracing is on (in Lambda, as deployed with `xray: true`): building it loads the X-Ray
SDK and patches botocore and PynamoDB, which a process that traces nothing (the local stack, tests,
POWERTOOLS_TRACE_DISABLED) need not pay for. Where it is on, it is built at import, while Lambda initialises the
function, so that the first request does not pay for it either.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from chalice import Chalice, ConvertToMiddleware
from chalice.app import Request, Response

EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# E.164 or UK national numbers (+44 7700 900123, 07700900123, 0044...): a plus or a leading zero, then 9-14 digits.
PHONE_PATTERN = re.compile(r"(?<![\w+])(?:\+\d|0)(?:[ -]?\d){9,14}(?!\w)")


def redact(value: Any) -> Any:
    if isinstance(value, str):
        return PHONE_PATTERN.sub("[phone]", EMAIL_PATTERN.sub("[email]", value))
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    return value


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Residents' addresses must never reach a log line, whoever wrote the log call and whatever it included."""

    def serialize(self, log: Any) -> str:
        return super().serialize(redact(log) if isinstance(log, dict) else log)


# What the functions call: boto3 (every client, and Powertools' idempotency) and PynamoDB. `patch_all`, the default,
# would also import and patch whatever else happens to be installed (sqlite3; requests in a dev venv), which the
# functions never call.
TRACED_MODULES = ("botocore", "pynamodb")


def tracing_enabled() -> bool:
    """Powertools' own rule (its helper, private, so that this cannot drift from what the Tracer would decide): off
    with POWERTOOLS_TRACE_DISABLED, outside Lambda, and under SAM or Chalice local."""
    return not Tracer._is_tracer_disabled()


logger = Logger(logger_formatter=RedactingFormatter())
metrics = Metrics()
tracer: Tracer | None = Tracer(patch_modules=TRACED_MODULES) if tracing_enabled() else None


def lambda_middleware() -> list[Any]:
    """What wraps every Lambda entry point: the log context, a trace segment where tracing is on, and the metrics
    flushed at the end of each invocation."""
    middleware: list[Any] = [ConvertToMiddleware(logger.inject_lambda_context(clear_state=True))]
    if tracer is not None:
        middleware.append(ConvertToMiddleware(tracer.capture_lambda_handler(capture_response=False)))
    middleware.append(ConvertToMiddleware(metrics.log_metrics))
    return middleware


def wrap_when_alone(*handlers: Any) -> None:
    """Gives blueprint handlers the app's middleware when Lambda loads them on their own.

    `chalice package` makes each blueprint handler its own entry point (`chalicelib.workers.alerts.deliver_email`),
    and in Lambda nothing then imports app.py, so the app's middleware would never wrap it: no log context, and
    metrics flushed only once 100 have piled up (aws/chalice#1566). Registering the blueprint on the app (the API
    function, the local stack, the tests) replaces this list with the app's own, which is the same.
    """
    for handler in handlers:
        handler.middleware_handlers = lambda_middleware()


def register_observability(app: Chalice) -> None:
    for middleware in lambda_middleware():
        app.register_middleware(middleware)

    @app.middleware("http")
    def log_requests(event: Request, get_response: Any) -> Response:
        request_id = (event.context or {}).get("requestId")
        logger.set_correlation_id(request_id)
        logger.append_keys(method=event.method, path=event.context.get("resourcePath") if event.context else None)
        response: Response = get_response(event)
        logger.info("request handled", extra={"status": response.status_code})
        return response
