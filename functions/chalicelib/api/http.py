"""What every route shares: reading the body safely, validating it, and one stable JSON error body.

The error body is `{"code", "message", "errors": [{"pointer", "message"}]}`, where each pointer is a JSON pointer into
the request (RFC 6901), so that a form can mark the right field.
"""

from __future__ import annotations

import functools
import html
import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any

from chalice.app import Request, Response

from ..bootstrap import schemas
from ..domain.errors import FieldError, HexwatchError, invalid
from ..domain.validation import MAX_BODY_BYTES, parse_form, parse_json_object
from ..observability import logger

JSON_TYPES = ["application/json"]
JSON_AND_FORM_TYPES = ["application/json", "application/x-www-form-urlencoded"]
NO_STORE = {"Cache-Control": "no-store"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body), status_code=status,
                    headers={"Content-Type": "application/json", **NO_STORE, **(headers or {})})


def error_response(error: HexwatchError) -> Response:
    body = {"code": error.code, "message": error.message,
            "errors": [{"pointer": e.pointer, "message": e.message} for e in error.errors]}
    return json_response(body, error.status, error.headers)


def handles_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """Turns the caller's mistakes into 4xx JSON; anything else is ours and stays a logged 500."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except HexwatchError as error:
            logger.info("request refused", extra={"status": error.status, "code": error.code,
                                                  "fields": [e.pointer for e in error.errors]})
            return error_response(error)

    return wrapper


def is_form(request: Request) -> bool:
    return (request.headers.get("content-type") or "").split(";")[0].strip() == JSON_AND_FORM_TYPES[1]


def validated_json(request: Request, schema: str, max_bytes: int = MAX_BODY_BYTES,
                   before_schema: Callable[[dict[str, Any]], list[FieldError]] | None = None) -> dict[str, Any]:
    """The body, parsed and valid; `before_schema` may refuse it first, where the schema's own work would cost too
    much (a body of a hundred thousand positions, say)."""
    document = parse_json_object(raw_body(request), max_bytes=max_bytes)
    refused = before_schema(document) if before_schema else []
    if refused:
        raise invalid(f"The request does not match the {schema} schema.", *refused)
    return schemas().validate(schema, document)


def raw_body(request: Request) -> bytes:
    body = request.raw_body
    return body.encode("utf-8") if isinstance(body, str) else (body or b"")


# Set by the origin-verify middleware (api/origin_verify.py), and only for a request whose X-Origin-Verify header
# proved it came through CloudFront: the viewer's address from CloudFront-Viewer-Address. A client cannot put keys
# into the request context, so a spoofed viewer-address header alone never reaches here.
VIEWER_IP_CONTEXT_KEY = "hexwatchViewerIp"


def client_ip(request: Request) -> str:
    """The address per-IP limits count against: the viewer's (through CloudFront), else API Gateway's sourceIp.

    Behind CloudFront, sourceIp is a CloudFront edge server shared by many residents. An IPv6 address counts as its
    /64, which one household or phone is usually given whole, so walking through it does not reset the limits.
    """
    context = request.context or {}
    address = context.get(VIEWER_IP_CONTEXT_KEY) or (context.get("identity") or {}).get("sourceIp")
    return rate_limit_address(str(address)) if address else "unknown"


def rate_limit_address(text: str) -> str:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


_LOCATION_FIELD = re.compile(r"^locations\[(\d)\]\[(label|postcode|lat|lng)\]$")
_LIST_FIELDS = ("channels", "categories", "business_sectors", "groups", "senders")
_FLAG_FIELDS = ("age_confirmed", "consent")


def _number_or_text(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text  # left as text, so that the schema names the field as not a number


def form_to_document(form: dict[str, list[str]]) -> dict[str, Any]:
    """The signup page's plain HTML form in the JSON shape of the API, so one schema judges both."""
    document: dict[str, Any] = {}
    locations: dict[int, dict[str, Any]] = {}
    for key, values in form.items():
        values = [v.strip() for v in values if v.strip()]
        if not values:
            continue
        if match := _LOCATION_FIELD.match(key):
            index, name = int(match.group(1)), match.group(2)
            locations.setdefault(index, {})[name] = _number_or_text(values[0]) if name in ("lat", "lng") \
                else values[0]
        elif key in _LIST_FIELDS:
            document[key] = values
        elif key in _FLAG_FIELDS:
            document[key] = values[0] in ("on", "true", "yes", "1")
        else:
            document[key] = values[0]
    if locations:
        document["locations"] = [locations[i] for i in sorted(locations)]
    return document


def validated_form(request: Request, schema: str) -> dict[str, Any]:
    return schemas().validate(schema, form_to_document(parse_form(raw_body(request))))


FIELD_NAMES = {
    "email": "Email address", "phone": "Mobile number", "landline": "Landline number", "name": "Name",
    "language": "Language", "channels": "How to contact you", "categories": "What to hear about",
    "business_sectors": "Business sectors", "groups": "Watch schemes", "senders": "Who may send you alerts",
    "locations": "Places",
    "age_confirmed": "Age", "consent": "Privacy notice", "token": "Link", "code": "Code", "label": "name",
    "postcode": "postcode", "lat": "latitude", "lng": "longitude",
}


def describe_pointer(pointer: str) -> str:
    """`/locations/0/postcode` becomes "Places 1 postcode": what a person looking at the form would call it."""
    parts = [part for part in pointer.split("/") if part]
    words = [str(int(part) + 1) if part.isdigit() else FIELD_NAMES.get(part, part.replace("_", " ")) for part in parts]
    return " ".join(words) or "The form"


def form_error_page(error: HexwatchError, back: str) -> Response:
    """Without JavaScript the browser shows our answer itself: a page that lists what to fix."""
    items = "".join(f"<li><strong>{html.escape(describe_pointer(e.pointer))}</strong>: {html.escape(e.message)}</li>"
                    for e in error.errors)
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>There is a problem - Community alerts</title><link rel="stylesheet" href="/style.css"></head>'
            f'<body><main><h1>There is a problem</h1><p>{html.escape(error.message)}</p><ul>{items}</ul>'
            f'<p><a href="{html.escape(back)}">Go back and try again</a></p></main></body></html>')
    return Response(body=page, status_code=error.status,
                    headers={"Content-Type": "text/html; charset=utf-8", **NO_STORE, **error.headers})


def see_other(location: str) -> Response:
    return Response(body="", status_code=303, headers={"Location": location, **NO_STORE})
