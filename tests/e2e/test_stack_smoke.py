"""Smoke test of the running local stack over HTTP: site, outbox and the /v1 proxy to the Chalice API."""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT = 10


def test_site_root_serves_html(local_stack: dict[str, Any]) -> None:
    response = requests.get(f"{local_stack['site_url']}/", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html" in response.text.lower()


def test_site_serves_config_js_for_the_same_origin(local_stack: dict[str, Any]) -> None:
    response = requests.get(f"{local_stack['site_url']}/config.js", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert '"apiBase": ""' in response.text


def test_outbox_page_answers(local_stack: dict[str, Any]) -> None:
    response = requests.get(local_stack["outbox_url"], timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert '<html lang="en-GB">' in response.text


def test_outbox_json_is_a_list(local_stack: dict[str, Any]) -> None:
    response = requests.get(f"{local_stack['site_url']}/outbox.json", timeout=TIMEOUT)
    assert response.status_code == 200
    assert isinstance(response.json(), list)


def test_state_file_names_the_stack(local_stack: dict[str, Any]) -> None:
    assert local_stack["api_url"] == local_stack["site_url"]
    assert local_stack["endpoint"].startswith("http://localhost:")
    assert local_stack["jwks_url"].endswith(f"/{local_stack['user_pool_id']}/.well-known/jwks.json")
    roles = {user["role"] for user in local_stack["users"]}
    assert roles == {"volunteer", "officer", "supervisor", "admin", "operator"}
    assert all(user["totp_secret"] for user in local_stack["users"])  # each enrolled, as MFA is required
    assert requests.get(local_stack["jwks_url"], timeout=TIMEOUT).json()["keys"]


def test_unknown_static_path_is_404(local_stack: dict[str, Any]) -> None:
    assert requests.get(f"{local_stack['site_url']}/no-such-file.js", timeout=TIMEOUT).status_code == 404


# Depends on the app (functions/app.py and GET /v1/reference), written alongside this stack: if it fails, read the
# "local stack log" section first; `api_error` in the state file says whether the app failed to import.
def test_reference_route_through_the_proxy(local_stack: dict[str, Any]) -> None:
    assert local_stack["api_available"], f"the app did not load: {local_stack['api_error']}"
    response = requests.get(f"{local_stack['api_url']}/v1/reference", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert isinstance(response.json(), dict)
