"""Only CloudFront may call the API: an http middleware that checks the secret X-Origin-Verify header.

CloudFront adds `X-Origin-Verify: <value>` to every request it forwards to the API (infra/hosting.patch.yaml, from the
Secrets Manager secret `<prefix>-origin-verify`, JSON key `value`). With `HEXWATCH_ORIGIN_VERIFY=required` (set on
the deployed function) a request without the right value gets 403 in the API's error shape, so the execute-api URL
cannot be used to go around the WAF and its rate limit.

A request with the right value came through CloudFront, so its `CloudFront-Viewer-Address` header (which CloudFront
sets itself) is the viewer's true address: it is put in the request context for the per-IP limits
(`http.client_ip`). Without the right value that header is ignored, since any client can send one.

The secret is read through Powertools Parameters, cached for five minutes per container, so a wrong or missing
header never costs a call to Secrets Manager while the value is cached. To change it without refusing anyone, put
the old value under `previous` and the new one under `value`, redeploy the stack (CloudFront reads the secret at
deploy time), then remove `previous`.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable

from aws_lambda_powertools.utilities import parameters
from chalice import Chalice
from chalice.app import Request, Response

from .. import config
from ..domain.errors import FieldError, HexwatchError, forbidden
from ..observability import logger
from .http import VIEWER_IP_CONTEXT_KEY, error_response

HEADER = "X-Origin-Verify"
VIEWER_ADDRESS_HEADER = "CloudFront-Viewer-Address"
REQUIRED = "required"
CACHE_SECONDS = 300

SecretLoader = Callable[[], list[bytes]]


def enforcement_required() -> bool:
    return os.environ.get(config.ORIGIN_VERIFY_ENV, "").strip().lower() == REQUIRED


def load_origin_values(name: str | None = None) -> list[bytes]:
    """The values CloudFront may be sending: `value`, and while it is being changed `previous` as well."""
    secret_name = name or config.resource_name(config.ORIGIN_VERIFY_SECRET)
    document = parameters.get_secret(secret_name, transform="json", max_age=CACHE_SECONDS)
    if not isinstance(document, dict):
        raise ValueError(f"secret {secret_name} is not a JSON object")
    values = [str(document.get(key) or "") for key in ("value", "previous")]
    return [value.encode("utf-8") for value in values if value]


def matches(supplied: str, accepted: list[bytes]) -> bool:
    """Constant time: every accepted value is compared in full, whatever the first comparison said."""
    candidate = supplied.encode("utf-8", "replace")
    found = False
    for value in accepted:
        found |= hmac.compare_digest(candidate, value)
    return found


def viewer_ip(header: str | None) -> str | None:
    """The address in CloudFront-Viewer-Address: `198.51.100.10:46532`, or IPv6 unbracketed (`2001:db8::1:46532`,
    the port after the last colon); a bracketed `[2001:db8::1]:46532` is read too. Anything else is None."""
    text = (header or "").strip()
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    if not port.isdigit():
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


class SecretUnreadable(Exception):
    """The origin-verify secret could not be read while the check is required."""


def _came_through_cloudfront(request: Request, load_values: SecretLoader, enforced: bool) -> bool:
    supplied = request.headers.get(HEADER)
    if not supplied:
        return False  # no secret read at all for the ordinary case of a caller without the header
    try:
        accepted = load_values()
    except Exception:
        if enforced:
            raise SecretUnreadable from None  # fail closed: never a request let through unchecked
        logger.warning("origin-verify secret unreadable; the request is treated as not from CloudFront")
        return False
    return matches(supplied, accepted)


def register_origin_verify(app: Chalice, load_values: SecretLoader = load_origin_values,
                           required: Callable[[], bool] = enforcement_required) -> None:
    @app.middleware("http")
    def require_cloudfront(request: Request, get_response: Callable[[Request], Response]) -> Response:
        enforced = required()
        try:
            came_through = _came_through_cloudfront(request, load_values, enforced)
        except SecretUnreadable:
            logger.exception("origin-verify secret unreadable; requests refused until it can be read")
            return error_response(HexwatchError(
                "The service cannot check where this request came from just now; try again in a minute.",
                [FieldError("", "origin check unavailable")], 503, "ServiceUnavailable"))
        if came_through:
            address = viewer_ip(request.headers.get(VIEWER_ADDRESS_HEADER))
            if address is not None and isinstance(request.context, dict):
                request.context[VIEWER_IP_CONTEXT_KEY] = address
        elif enforced:
            logger.info("request without the origin header refused")
            return error_response(forbidden(
                "This address answers only requests made through the community alerts site.",
                FieldError("", "requests must come through the site")))
        return get_response(request)
