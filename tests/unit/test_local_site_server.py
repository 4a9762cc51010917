"""The local site server plays CloudFront: the same path rule, the same security headers, the origin header added.

A real server on a free port over a small site directory, with a stand-in API that echoes the headers it got.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from infra import site_paths
from infra.local.server import SiteServer, make_site_server, serve_in_thread
from infra.security_headers import SECURITY_HEADERS

SECRET = "the-origin-verify-value-for-this-test"


class EchoApi(BaseHTTPRequestHandler):
    """Answers every request with the headers it received, and one header the policy must override."""

    def _answer(self) -> None:
        body = json.dumps({name.lower(): value for name, value in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Frame-Options", "SAMEORIGIN")  # CloudFront's policy overrides the origin's
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    site_dir = tmp_path_factory.mktemp("site")
    (site_dir / "index.html").write_text("<!doctype html><title>home</title>")
    (site_dir / "console").mkdir()
    (site_dir / "console" / "index.html").write_text("<!doctype html><title>console</title>")
    (site_dir / "style.css").write_text("body {}")
    api = ThreadingHTTPServer(("localhost", 0), EchoApi)
    serve_in_thread(api, "echo-api")
    server = make_site_server(site_dir, f"http://localhost:{api.server_address[1]}", lambda: [], port=0,
                              origin_verify=lambda: SECRET, cognito_origin=f"http://localhost:{api.server_address[1]}")
    serve_in_thread(server, "site")
    yield server
    server.shutdown()
    api.shutdown()


def request(server: SiteServer, method: str, path: str,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("localhost", server.server_address[1], timeout=10)
    try:
        connection.request(method, path, body=b"{}" if method == "POST" else None, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(("path", "query"), [("/", ""), ("/console/", ""), ("/console", ""), ("/console", "a=1"),
                                             ("/style.css", ""), ("/missing", "")])
def test_paths_map_as_cloudfronts_function_maps_them(site: SiteServer, path: str, query: str) -> None:
    status, headers, body = request(site, "GET", path + (f"?{query}" if query else ""))
    action, target = site_paths.route(path, query)
    if action == "redirect":
        assert (status, headers["location"]) == (301, target)
    elif target.endswith("index.html"):
        assert status == 200 and b"<title>" in body
    elif path == "/style.css":
        assert status == 200
    else:
        assert status == 404


@pytest.mark.parametrize("path", ["//evil", "//evil.example/", "/\\evil", "/%2F%2Fevil"])
def test_no_path_redirects_to_another_host(site: SiteServer, path: str) -> None:
    # Python's server collapses a leading "//" itself (so "//evil" is "/evil" here); either way no Location may be
    # protocol-relative.
    status, headers, _ = request(site, "GET", path)
    assert not headers.get("location", "/").startswith(("//", "/\\")), (path, status, headers.get("location"))


def test_every_page_and_error_carries_the_security_headers(site: SiteServer) -> None:
    for path in ("/", "/console/", "/style.css", "/missing.html", "/console"):
        _, headers, _ = request(site, "GET", path)
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name.lower()) == value, (path, name)


def test_the_local_outbox_is_not_under_the_sites_policy(site: SiteServer) -> None:
    # CloudFront never serves it; it shows emails with their inline styles in sandboxed frames.
    _, headers, _ = request(site, "GET", "/outbox/")
    assert "content-security-policy" not in headers


def test_the_proxy_adds_the_origin_header_and_the_viewer_address_and_drops_spoofed_ones(site: SiteServer) -> None:
    status, headers, body = request(site, "POST", "/v1/signup", {
        "X-Origin-Verify": "a guess", "CloudFront-Viewer-Address": "203.0.113.7:443", "Origin": "http://localhost"})
    assert status == 200
    seen = json.loads(body)
    assert seen["x-origin-verify"] == SECRET
    host, _, port = seen["cloudfront-viewer-address"].rpartition(":")
    assert host == "127.0.0.1" and port.isdigit()
    assert seen["origin"] == "http://localhost"
    # The response headers policy overrides what the API said.
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]


@pytest.mark.parametrize("operation", ["InitiateAuth", "RespondToAuthChallenge", "AssociateSoftwareToken",
                                       "VerifySoftwareToken", "GlobalSignOut"])
def test_the_consoles_cognito_calls_reach_the_emulator(site: SiteServer, operation: str) -> None:
    status, _, body = request(site, "POST", "/cognito-idp/", {
        "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
        "Content-Type": "application/x-amz-json-1.1"})
    echoed = json.loads(body)
    assert status == 200 and echoed["x-amz-target"].endswith(operation)
    assert "x-origin-verify" not in echoed  # the origin secret is the API's, never Cognito's


@pytest.mark.parametrize("target", ["AWSCognitoIdentityProviderService.AdminCreateUser",
                                    "AWSCognitoIdentityProviderService.AdminSetUserPassword",
                                    "AWSCognitoIdentityProviderService.ListUsers",
                                    "DynamoDB_20120810.Scan", ""])
def test_operations_a_browser_cannot_call_unsigned_in_aws_are_refused(site: SiteServer, target: str) -> None:
    """The emulator takes admin calls from anyone; through the site, a page gets no more than AWS would give it."""
    status, _, body = request(site, "POST", "/cognito-idp/", {"X-Amz-Target": target} if target else {})
    assert status == 400
    assert json.loads(body)["__type"] == "NotAuthorizedException"
