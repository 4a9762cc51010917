"""The local site origin: static site, /v1/* proxied to the Chalice API, and the outbox, on one port.

In production CloudFront serves the site from S3 and routes /v1/* to API Gateway, so the pages and the API share one
origin (no CORS, first-party cookies). This server plays CloudFront's part locally:

- `/v1/...`: any method, forwarded to the API server with its body and headers (Authorization, Content-Type, and
  the browser's own Origin and Sec-Fetch-Site, by which the API refuses other sites' requests: CloudFront's origin
  request policy for /v1/* must forward them too) plus `X-Forwarded-For`; status, headers (Location, Retry-After,
  Set-Cookie, ...) and body come back unchanged. As CloudFront does (infra/hosting.patch.yaml), it adds
  `X-Origin-Verify` with the value of the `<prefix>-origin-verify` secret, read from the emulator, and
  `CloudFront-Viewer-Address` (`ip:port`), replacing whatever the client sent under either name.
- `/cognito-idp/` (POST): the officer console's Cognito calls, forwarded to the emulator's Cognito. In AWS the
  console calls `https://cognito-idp.<region>.amazonaws.com/` itself (config.js has no endpoint there). Only the
  operations a browser may call unsigned in AWS pass (`PUBLIC_COGNITO_OPERATIONS`): the emulator accepts admin
  operations from anyone, and a page must not gain through this proxy what it could not do against AWS.
- `/outbox/`: an HTML page of every message residents would have received; `/outbox.json`: the same as JSON.
- anything else: a file of the built site, paths mapped as CloudFront's viewer-request function maps them
  (infra/site_paths.py: `/dir/` is `/dir/index.html`, `/dir` redirects to `/dir/`); no directory listings.

Every answer but the outbox's carries infra/security_headers.py's headers, as CloudFront's response headers policy
adds them (overriding the API's own), so the browser tests run the pages under the production CSP. The outbox is a
local tool that CloudFront never serves; it shows emails, inline styles and all, in sandboxed frames.
"""

from __future__ import annotations

import html
import http.client
import json
import logging
import os
import threading
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from infra import site_paths
from infra.local.outbox import Message
from infra.local.outbox_actions import (
    email_us_form,
    email_us_from_request,
    filter_messages,
    text_us_form,
    text_us_from_request,
)
from infra.security_headers import SECURITY_HEADERS

LOG = logging.getLogger(__name__)

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
}
CONTENT_TYPES = site_paths.CONTENT_TYPES
PROXY_TIMEOUT_SECONDS = 60
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
VIEWER_ADDRESS_HEADER = "CloudFront-Viewer-Address"
# Headers a client may not set on the way to the API: the proxy (like CloudFront) sets them itself.
PROXY_SETS = {ORIGIN_VERIFY_HEADER.lower(), VIEWER_ADDRESS_HEADER.lower()}
OVERRIDDEN_BY_POLICY = {name.lower() for name in SECURITY_HEADERS}
COGNITO_PATH = "/cognito-idp/"
COGNITO_TARGET_PREFIX = "AWSCognitoIdentityProviderService."
# What amazon-cognito-identity-js calls for sign-in, MFA enrolment, refresh and sign-out: all unsigned in AWS.
PUBLIC_COGNITO_OPERATIONS = frozenset({
    "InitiateAuth", "RespondToAuthChallenge", "AssociateSoftwareToken", "VerifySoftwareToken", "GlobalSignOut",
    "RevokeToken", "GetUser",
})
COGNITO_BODY_MAX_BYTES = 64 * 1024
LOCAL_ONLY_PATHS = ("/outbox", "/outbox/", "/outbox.json", "/outbox/sms", "/outbox/email")


class OriginVerifyFromEmulator:
    """The `<prefix>-origin-verify` secret's value, read once from the emulator (the process's AWS_ENDPOINT_URL).

    Read on first use, not at start: the site server is bound before the stack's prefix is in the environment.
    """

    def __init__(self) -> None:
        self._value: str | None = None
        self._read = False
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        with self._lock:
            if not self._read:  # tried once: a stack without the secret would otherwise log on every request
                self._read = True
                name = f"{os.environ.get('HEXWATCH_PREFIX', 'hexwatch')}-origin-verify"
                try:
                    secret = boto3.client("secretsmanager").get_secret_value(SecretId=name)
                    self._value = str(json.loads(secret["SecretString"])["value"])
                except (BotoCoreError, ClientError, KeyError, ValueError) as error:
                    LOG.warning("cannot read %s (%s): /v1 requests go without X-Origin-Verify", name, error)
            return self._value


class SiteServer(ThreadingHTTPServer):
    """The site origin's server; `api_origin` may be set after the socket is bound (the API starts later)."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        site_dir: Path,
        api_origin: str,
        list_messages: Callable[[], list[Message]],
        origin_verify: Callable[[], str | None] | None = None,
        cognito_origin: str | None = None,
    ) -> None:
        super().__init__(address, partial(SiteHandler, directory=str(site_dir)))
        self.api_origin = api_origin.rstrip("/")
        self.cognito_origin = (cognito_origin or "").rstrip("/")
        self.list_messages = list_messages
        self.origin_verify = origin_verify or OriginVerifyFromEmulator()

    @property
    def url(self) -> str:
        return f"http://localhost:{self.server_address[1]}"


class SiteHandler(SimpleHTTPRequestHandler):
    """One request to the site origin."""

    server: SiteServer
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}
    protocol_version = "HTTP/1.1"

    # --- routing

    def _route(self) -> bool:
        """Handle proxy and outbox paths; False means "serve a static file"."""
        parts = urlsplit(self.path)
        path = parts.path
        if path == "/v1" or path.startswith("/v1/"):
            self._proxy()
            return True
        if path == COGNITO_PATH and self.command == "POST":
            self._proxy_cognito()
            return True
        if path in ("/outbox/sms", "/outbox/email") and self.command == "POST":
            self._send_us(text_us_from_request if path.endswith("sms") else email_us_from_request)
            return True
        if path in {"/outbox", "/outbox/"} and self.command in ("GET", "HEAD"):
            messages = filter_messages(self.server.list_messages(), parts.query)
            self._send_bytes(HTTPStatus.OK, "text/html; charset=utf-8", render_outbox_page(messages))
            return True
        if path == "/outbox.json" and self.command in ("GET", "HEAD"):
            body = json.dumps(filter_messages(self.server.list_messages(), parts.query), indent=2).encode("utf-8")
            self._send_bytes(HTTPStatus.OK, "application/json", body)
            return True
        return False

    def _send_us(self, handle: Callable[[bytes, str], tuple[int, dict[str, Any]]]) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), 256 * 1024)
        content_type = self.headers.get("Content-Type") or ""
        status, answer = handle(self.rfile.read(length) if length else b"", content_type)
        if status == 202 and not content_type.startswith("application/json"):
            self.send_response(HTTPStatus.SEE_OTHER)  # the page's form: back to the outbox
            self.send_header("Location", "/outbox/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send_bytes(HTTPStatus(status), "application/json", json.dumps(answer).encode("utf-8"))

    def do_GET(self) -> None:
        if not self._route() and not self._redirect_directory():
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._route() and not self._redirect_directory():
            super().do_HEAD()

    def _redirect_directory(self) -> bool:
        """CloudFront's viewer-request rule (infra/site_paths.py); a rewrite to index.html is what the base class
        does for a path ending in a slash."""
        parts = urlsplit(self.path)
        action, target = site_paths.route(parts.path, parts.query)
        if action != "redirect":
            return False
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def do_POST(self) -> None:
        self._proxy_or_405()

    def do_PUT(self) -> None:
        self._proxy_or_405()

    def do_PATCH(self) -> None:
        self._proxy_or_405()

    def do_DELETE(self) -> None:
        self._proxy_or_405()

    def do_OPTIONS(self) -> None:
        self._proxy_or_405()

    def _proxy_or_405(self) -> None:
        if not self._route():
            self._send_bytes(HTTPStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", b"Method not allowed\n")

    def list_directory(self, path: str | Any) -> None:
        # A missing index.html is a 404, as it is on S3 behind CloudFront, never a listing of the build directory.
        self.send_error(HTTPStatus.NOT_FOUND, "Not found")
        return None

    def end_headers(self) -> None:
        path = urlsplit(self.path).path
        if not path.startswith("/v1"):
            self.send_header("Cache-Control", "no-store")  # a developer edits and reloads; never serve stale files
        if path not in LOCAL_ONLY_PATHS:
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)
        super().end_headers()

    # --- proxy

    def _proxy(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        target = urlsplit(self.server.api_origin)
        headers = {name: value for name, value in self.headers.items()
                   if name.lower() not in HOP_BY_HOP and name.lower() not in PROXY_SETS}
        headers.pop("Host", None)
        headers["Host"] = target.netloc
        origin_verify = self.server.origin_verify()
        if origin_verify is not None:
            headers[ORIGIN_VERIFY_HEADER] = origin_verify
        # CloudFront's format: `ip:port`, an IPv6 address unbracketed.
        headers[VIEWER_ADDRESS_HEADER] = f"{self.client_address[0]}:{self.client_address[1]}"
        forwarded = self.headers.get("X-Forwarded-For")
        client_ip = self.client_address[0]
        headers["X-Forwarded-For"] = f"{forwarded}, {client_ip}" if forwarded else client_ip
        headers["X-Forwarded-Proto"] = "http"
        headers["X-Forwarded-Host"] = self.headers.get("Host", "")
        connection = http.client.HTTPConnection(
            target.hostname or "localhost", target.port, timeout=PROXY_TIMEOUT_SECONDS
        )
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except OSError as error:
            LOG.warning("API at %s did not answer %s %s: %s", self.server.api_origin, self.command, self.path, error)
            message = json.dumps({"error": "bad_gateway", "message": "The API server did not answer."}).encode()
            self._send_bytes(HTTPStatus.BAD_GATEWAY, "application/json", message)
            return
        finally:
            connection.close()
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() in HOP_BY_HOP or name.lower() == "content-length" or name.lower() in OVERRIDDEN_BY_POLICY:
                continue
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _proxy_cognito(self) -> None:
        target = self.headers.get("X-Amz-Target") or ""
        operation = target.removeprefix(COGNITO_TARGET_PREFIX)
        length = int(self.headers.get("Content-Length") or 0)
        if not self.server.cognito_origin or not target.startswith(COGNITO_TARGET_PREFIX) \
                or operation not in PUBLIC_COGNITO_OPERATIONS or length > COGNITO_BODY_MAX_BYTES:
            self._send_bytes(HTTPStatus.BAD_REQUEST, "application/x-amz-json-1.1", json.dumps({
                "__type": "NotAuthorizedException", "message": f"{operation or 'this call'} is not a public operation"
            }).encode())
            return
        body = self.rfile.read(length) if length else b""
        origin = urlsplit(self.server.cognito_origin)
        connection = http.client.HTTPConnection(origin.hostname or "localhost", origin.port,
                                                timeout=PROXY_TIMEOUT_SECONDS)
        try:
            connection.request("POST", "/", body=body, headers={
                "Content-Type": self.headers.get("Content-Type") or "application/x-amz-json-1.1",
                "X-Amz-Target": target, "Host": origin.netloc})
            response = connection.getresponse()
            payload = response.read()
        except OSError as error:
            LOG.warning("the emulator's Cognito did not answer %s: %s", operation, error)
            self._send_bytes(HTTPStatus.BAD_GATEWAY, "application/json", b'{"message": "Cognito did not answer"}')
            return
        finally:
            connection.close()
        self._send_bytes(HTTPStatus(response.status), response.getheader("Content-Type") or "application/json",
                         payload)

    # --- helpers

    def _send_bytes(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        LOG.info("%s %s", self.address_string(), format % args)


def make_site_server(
    site_dir: Path,
    api_origin: str,
    list_messages: Callable[[], list[Message]],
    host: str = "localhost",
    port: int = 8080,
    origin_verify: Callable[[], str | None] | None = None,
    cognito_origin: str | None = None,
) -> SiteServer:
    """A bound server for the site origin (port 0 = free port); `serve_forever()` it in a thread, later `shutdown()`.

    `origin_verify` gives the X-Origin-Verify value to send the API (default: the emulator's secret)."""
    return SiteServer((host, port), site_dir, api_origin, list_messages, origin_verify, cognito_origin)


def serve_in_thread(server: ThreadingHTTPServer, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread


# --- the outbox page

_CHANNEL_LABELS = {"email": "Email", "sms": "SMS", "push": "App push", "voice": "Voice call (simulated)"}

_STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #ffffff; line-height: 1.5; }
header, main, footer { padding: 0 1.5rem; max-width: 72rem; }
header { border-bottom: 4px solid #1d4f91; }
h1 { font-size: 1.75rem; margin: 1rem 0 0.5rem; }
h2 { font-size: 1.25rem; margin: 0 0 0.5rem; }
a { color: #1d4f91; }
a:focus-visible { outline: 3px solid #b35900; outline-offset: 2px; }
.toolbar a, ul.links a { display: inline-block; min-height: 24px; min-width: 24px; padding: 0.25rem 0; }
article { border: 1px solid #5f6368; border-radius: 4px; margin: 1rem 0; padding: 1rem; }
.badge { display: inline-block; padding: 0 0.5rem; border-radius: 4px; background: #1d4f91; color: #ffffff;
  font-weight: 600; }
.badge.simulated { background: #7a3e00; }
.meta { color: #3d3d3d; margin: 0.25rem 0 0.5rem; }
dl.headers { display: grid; grid-template-columns: max-content 1fr; gap: 0.125rem 1rem; margin: 0.5rem 0;
  font-size: 0.9rem; }
dl.headers dt { font-weight: 600; }
dl.headers dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f3f3; padding: 0.75rem; border-radius: 4px;
  font-size: 0.95rem; }
iframe { width: 100%; min-height: 20rem; border: 1px solid #5f6368; border-radius: 4px; background: #ffffff; }
ul.links { padding-left: 1.25rem; }
ul.links li { margin: 0.25rem 0; overflow-wrap: anywhere; }
details summary { cursor: pointer; min-height: 24px; padding: 0.25rem 0; }
form.reply input, form.reply button { min-height: 24px; font: inherit; }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _render_message(index: int, message: Message) -> str:
    channel = str(message.get("channel", ""))
    label = _CHANNEL_LABELS.get(channel, channel)
    heading_id = f"message-{index}"
    subject = message.get("subject") or (message.get("text") or "")[:80] or "(no subject)"
    badge_class = "badge simulated" if message.get("simulated") else "badge"
    recipients = ", ".join(message.get("to") or []) or "(no recipient)"
    parts = [
        f'<article aria-labelledby="{heading_id}">',
        f'<h2 id="{heading_id}"><span class="{badge_class}">{_e(label)}</span> {_e(subject)}</h2>',
        f'<p class="meta">To <strong>{_e(recipients)}</strong>'
        + (f" from {_e(message.get('from'))}" if message.get("from") else "")
        + f' at <time datetime="{_e(message.get("sent_at"))}">{_e(message.get("sent_at"))}</time></p>',
    ]
    headers = message.get("headers") or {}
    if headers:
        rows = "".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in headers.items())
        parts.append(f'<details><summary>Headers ({len(headers)})</summary><dl class="headers">{rows}</dl></details>')
    if message.get("html"):
        # Sandboxed (no scripts, no same-origin access) so that an email cannot act on this page; links open in a
        # new tab through <base target>. The same links are listed below as ordinary links.
        document = '<base target="_blank">' + str(message["html"])
        parts.append(
            f'<iframe title="Email body: {_e(subject)}" sandbox="allow-popups allow-popups-to-escape-sandbox" '
            f'srcdoc="{_e(document)}"></iframe>'
        )
    if message.get("text"):
        text_label = "Spoken text" if channel == "voice" else "Text"
        parts.append(f"<h3>{text_label}</h3><pre>{_e(message['text'])}</pre>")
    if channel == "sms" and message.get("to"):
        parts.append(f"<h3>Reply as this resident</h3>{text_us_form(str(message['to'][0]), index)}")
    reply_to = headers.get("Reply-To") if isinstance(headers, dict) else None
    if channel == "email" and message.get("to") and reply_to:
        form = email_us_form(str(message["to"][0]), str(reply_to), str(message.get("text") or ""), index)
        parts.append(f"<h3>Reply as this resident</h3>{form}")
    links = message.get("links") or []
    if links:
        items = "".join(f'<li><a href="{_e(link)}">{_e(link)}</a></li>' for link in links)
        parts.append(f'<h3>Links</h3><ul class="links">{items}</ul>')
    parts.append("</article>")
    return "\n".join(parts)


def render_outbox_page(messages: list[Message]) -> bytes:
    """The outbox as an accessible HTML page (lang, title, headings, labelled landmarks, contrast, 24 px targets)."""
    count = len(messages)
    summary = f"{count} message{'s' if count != 1 else ''}, newest first." if count else "Nothing has been sent yet."
    body = "\n".join(_render_message(index, message) for index, message in enumerate(messages, start=1))
    page = f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outbox ({count}) - Hexwatch local stack</title>
<style>{_STYLE}</style>
</head>
<body>
<header aria-label="Page header">
<h1 id="page-title">Local outbox</h1>
<p>Everything residents would have received from this local stack: email, SMS, app push and simulated voice calls.
Nothing here left this machine.</p>
<nav aria-label="Outbox actions" class="toolbar"><a href="/outbox/">Refresh</a> &middot;
<a href="/outbox.json">JSON</a> &middot; <a href="/outbox/?channel=sms">SMS only</a> &middot;
<a href="/outbox/?channel=email">Email only</a> &middot; <a href="/">Site</a></nav>
<section aria-label="Text the alerts number"><h2>Text the alerts number as a resident</h2>
<p>Sends the text in the provider's inbound shape: STOP, START, or a reply to the newest alert texted to that
number.</p>
{text_us_form()}</section>
</header>
<main aria-labelledby="page-title">
<p role="status">{_e(summary)}</p>
{body}
</main>
</body>
</html>
"""
    return page.encode("utf-8")
