"""Only CloudFront may call the API, and only its word about the viewer's address is believed (api/origin_verify.py).

A small Chalice app with the middleware and one route that answers `client_ip`, driven by chalice.test.Client; the
secret is injected, so no AWS is needed. tests/integration/test_origin_verify_on_emulator.py checks the real app
against the emulator's secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice import Chalice
from chalice.test import Client

from chalicelib.api.http import client_ip, rate_limit_address
from chalicelib.api.origin_verify import matches, register_origin_verify, viewer_ip

SECRET = "cloudfront-and-the-api-only-know-this-48-characters"
OLD_SECRET = "the-value-cloudfront-sent-before-the-change-xxxxxx"
CHALICE_SOURCE_IP = "127.0.0.1"  # what chalice's local gateway puts in identity.sourceIp


class Secret:
    """The injected secret loader; counts how often the secret was read."""

    def __init__(self, *values: str, fails: bool = False) -> None:
        self.values = [value.encode() for value in values]
        self.fails = fails
        self.reads = 0

    def __call__(self) -> list[bytes]:
        self.reads += 1
        if self.fails:
            raise RuntimeError("Secrets Manager is unreachable")
        return self.values


def make_client(secret: Secret, required: bool) -> Client:
    app = Chalice(app_name="origin-verify-test")
    register_origin_verify(app, load_values=secret, required=lambda: required)

    @app.route("/v1/whoami", methods=["GET", "POST"])
    def whoami() -> dict[str, Any]:
        request = app.current_request
        assert request is not None
        return {"ip": client_ip(request)}

    return Client(app)


@pytest.fixture
def secret() -> Secret:
    return Secret(SECRET)


@pytest.fixture
def enforcing(secret: Secret) -> Iterator[Client]:
    with make_client(secret, required=True) as client:
        yield client


@pytest.fixture
def lenient(secret: Secret) -> Iterator[Client]:
    with make_client(secret, required=False) as client:
        yield client


def body(response: Any) -> dict[str, Any]:
    return dict(json.loads(response.body))


def test_without_the_header_the_api_answers_403_in_its_error_shape(enforcing: Client, secret: Secret) -> None:
    response = enforcing.http.get("/v1/whoami")
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/json"
    error = body(response)
    assert error["code"] == "Forbidden"
    assert error["errors"] == [{"pointer": "", "message": "requests must come through the site"}]
    assert secret.reads == 0, "a request without the header must not cost a call to Secrets Manager"


@pytest.mark.parametrize("value", ["wrong", SECRET[:-1], SECRET + "x", SECRET.upper(), "", "é" * 48])
def test_a_wrong_value_is_refused_too(enforcing: Client, value: str) -> None:
    response = enforcing.http.post("/v1/whoami", headers={"X-Origin-Verify": value}, body=b"{}")
    assert response.status_code == 403


def test_the_right_value_passes_and_the_viewer_address_is_believed(enforcing: Client) -> None:
    response = enforcing.http.get("/v1/whoami", headers={"X-Origin-Verify": SECRET,
                                                          "CloudFront-Viewer-Address": "198.51.100.10:46532"})
    assert response.status_code == 200
    assert body(response)["ip"] == "198.51.100.10"


def test_the_header_name_is_not_case_sensitive(enforcing: Client) -> None:
    response = enforcing.http.get("/v1/whoami", headers={"x-origin-verify": SECRET,
                                                          "cloudfront-viewer-address": "198.51.100.10:1"})
    assert body(response)["ip"] == "198.51.100.10"


def test_an_ipv6_viewer_counts_as_its_slash_64(enforcing: Client) -> None:
    viewer = "2406:2d40:728d:fa10::c4a:42838"  # CloudFront's format: unbracketed, the port after the last colon
    headers = {"X-Origin-Verify": SECRET, "CloudFront-Viewer-Address": viewer}
    response = enforcing.http.get("/v1/whoami", headers=headers)
    assert body(response)["ip"] == "2406:2d40:728d:fa10::/64"


def test_an_unreadable_viewer_address_falls_back_to_the_source_ip(enforcing: Client) -> None:
    response = enforcing.http.get("/v1/whoami", headers={"X-Origin-Verify": SECRET,
                                                          "CloudFront-Viewer-Address": "not-an-address"})
    assert response.status_code == 200
    assert body(response)["ip"] == CHALICE_SOURCE_IP


def test_a_spoofed_viewer_address_without_the_secret_is_ignored(lenient: Client) -> None:
    # Enforcement off (as in the local stack by default): the request goes on, but its claim about who it is does not.
    response = lenient.http.get("/v1/whoami", headers={"CloudFront-Viewer-Address": "203.0.113.7:443"})
    assert response.status_code == 200
    assert body(response)["ip"] == CHALICE_SOURCE_IP


def test_a_spoofed_viewer_address_with_a_wrong_secret_is_ignored(lenient: Client) -> None:
    response = lenient.http.get("/v1/whoami", headers={"X-Origin-Verify": "guess",
                                                        "CloudFront-Viewer-Address": "203.0.113.7:443"})
    assert response.status_code == 200
    assert body(response)["ip"] == CHALICE_SOURCE_IP


def test_while_the_secret_changes_the_previous_value_is_accepted_too() -> None:
    with make_client(Secret(SECRET, OLD_SECRET), required=True) as client:
        for value in (SECRET, OLD_SECRET):
            assert client.http.get("/v1/whoami", headers={"X-Origin-Verify": value}).status_code == 200
        assert client.http.get("/v1/whoami", headers={"X-Origin-Verify": "neither"}).status_code == 403


def test_an_unreadable_secret_never_lets_a_request_through_when_enforced() -> None:
    with make_client(Secret(fails=True), required=True) as client:
        response = client.http.get("/v1/whoami", headers={"X-Origin-Verify": SECRET})
        # Not let through, and not a bare 500: a JSON 503 the caller can retry.
        assert response.status_code == 503
        assert body(response)["code"] == "ServiceUnavailable"


def test_an_unreadable_secret_only_means_unverified_when_not_enforced() -> None:
    with make_client(Secret(fails=True), required=False) as client:
        response = client.http.get("/v1/whoami", headers={"X-Origin-Verify": SECRET,
                                                          "CloudFront-Viewer-Address": "203.0.113.7:443"})
        assert response.status_code == 200
        assert body(response)["ip"] == CHALICE_SOURCE_IP


@pytest.mark.parametrize(("header", "expected"), [
    ("198.51.100.10:46532", "198.51.100.10"),
    ("2001:db8::1:443", "2001:db8::1"),
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("0000:0000:0000:0000:0000:0000:0000:0001:52325", "::1"),  # written out in full
    (" 198.51.100.10:1 ", "198.51.100.10"),
    ("198.51.100.10", None),  # no port: not CloudFront's format
    ("198.51.100.10:", None),
    ("198.51.100.10:http", None),
    ("999.1.1.1:80", None),
    ("", None),
    (None, None),
])
def test_viewer_addresses_are_read_in_cloudfronts_format(header: str | None, expected: str | None) -> None:
    assert viewer_ip(header) == expected


def test_matching_needs_the_whole_value_and_any_accepted_one_will_do() -> None:
    accepted = [SECRET.encode(), OLD_SECRET.encode()]
    assert matches(SECRET, accepted) and matches(OLD_SECRET, accepted)
    assert not matches(SECRET[:10], accepted)
    assert not matches("", accepted)
    assert not matches(SECRET, [])


@pytest.mark.parametrize(("address", "key"), [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    ("test-invoke-source-ip", "test-invoke-source-ip"),
])
def test_per_ip_limits_count_ipv6_by_its_slash_64(address: str, key: str) -> None:
    assert rate_limit_address(address) == key
