"""Real-browser fixtures: a system Chromium driven by Playwright, against the whole local stack.

The Chromium is $HEXWATCH_CHROMIUM if set, else the first of chromium, chromium-browser, google-chrome and
google-chrome-stable on PATH, else the macOS application (infra/local/preflight.py: find_chromium, which `make chromium`
uses too); `make chromium` installs Debian's package where there is none.

The stack is the session fixture `local_stack` of tests/conftest.py (`python -m infra.local.run` on free ports). To
iterate quickly on the pages, point HEXWATCH_STACK_STATE at the state file of a stack that is already running, for
example `HEXWATCH_STACK_STATE=.local/stack.json pytest tests/browser` after `make run`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from infra.local.preflight import CHROMIUM_HOW, find_chromium

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The event pump delivers within a couple of seconds; a loaded CI machine may take longer. Generous, but bounded.
OUTBOX_WAIT_SECONDS = 60
OUTBOX_READ_TIMEOUT_SECONDS = 45
SITE_DIR = Path(__file__).resolve().parents[2] / "site"


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The running stack's state: an already running one (HEXWATCH_STACK_STATE) or a fresh `local_stack`."""
    state = os.environ.get("HEXWATCH_STACK_STATE")
    if state:
        path = Path(state)
        if not path.is_file():
            pytest.fail(f"HEXWATCH_STACK_STATE={state} is not a file: start the stack with `make run` first")
        return dict(json.loads(path.read_text()))
    return dict(request.getfixturevalue("local_stack"))


@pytest.fixture(scope="session")
def site_url(stack: dict[str, Any]) -> str:
    return str(stack["site_url"]).rstrip("/")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        chromium = find_chromium()
    except ValueError as error:
        pytest.fail(str(error))
    if chromium is None:
        pytest.fail(CHROMIUM_HOW)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - the venv has it
        pytest.fail(f"playwright is not installed in this environment: {error}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1024, "height": 900})
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


def outbox_messages(site_url: str) -> list[dict[str, Any]]:
    response = requests.get(f"{site_url}/outbox.json", timeout=OUTBOX_READ_TIMEOUT_SECONDS)
    response.raise_for_status()
    return list(response.json())


def open_outbox(page: Any, stack_or_site: str) -> None:
    """Open the outbox page in the browser (it can take several seconds to render, see OUTBOX_WAIT_SECONDS)."""
    url = stack_or_site if "/outbox" in stack_or_site else f"{stack_or_site}/outbox/"
    response = page.goto(url, timeout=OUTBOX_WAIT_SECONDS * 1000)
    assert response is not None and response.ok, f"the outbox page answered {response and response.status}"


def _recipients(message: dict[str, Any]) -> list[str]:
    to = message.get("to")
    if isinstance(to, str):
        return [to.lower()]
    return [str(item).lower() for item in to or []]


def wait_for_message(
    site_url: str,
    to: str,
    match: Callable[[dict[str, Any]], bool],
    what: str,
    timeout: float = OUTBOX_WAIT_SECONDS,
) -> dict[str, Any]:
    """The newest outbox message to `to` that `match` accepts; fails with what was there after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    problem = ""
    while True:
        try:
            seen = [m for m in outbox_messages(site_url) if to.lower() in _recipients(m)]
            problem = ""
        except requests.RequestException as error:  # a slow or failed outbox read: try again until the deadline
            problem = f" (last outbox read failed: {error})"
        seen.sort(key=lambda m: str(m.get("sent_at") or ""), reverse=True)
        for message in seen:
            if match(message):
                return message
        if time.monotonic() > deadline:
            summary = [(m.get("channel"), m.get("subject"), m.get("links")) for m in seen]
            pytest.fail(f"no {what} for {to} in the outbox after {timeout:.0f} s{problem}; messages to it: {summary}")
        time.sleep(0.5)


def has_token_link(path: str) -> Callable[[dict[str, Any]], bool]:
    """A matcher for messages that link to `path` with a ?token= (the welcome email links to /signin.html bare)."""
    return lambda message: any(
        urlsplit(link).path == path and "token=" in urlsplit(link).query for link in message.get("links") or []
    )


def link_to(message: dict[str, Any], path: str) -> str:
    """The first link in `message` to `path` (for example /verify.html), preferring one that carries a token."""
    links = sorted(message.get("links") or [], key=lambda link: "token=" not in link)
    for link in links:
        if urlsplit(link).path == path:
            return str(link)
    pytest.fail(f"no link to {path} in the message {message.get('subject')!r}: {message.get('links')}")


def site_pages() -> list[str]:
    return sorted(path.name for path in SITE_DIR.glob("*.html"))
