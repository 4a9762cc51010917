"""The production security headers in a real browser: every page works under them and they do what they are for.

The local site server sends infra/security_headers.py's headers, the same ones CloudFront's response headers policy
adds (tests/unit/test_hosting_template.py checks the two agree).
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.security_headers import SECURITY_HEADERS
from tests.browser.conftest import site_pages

PAGES = site_pages()
WATCH_VIOLATIONS = """() => {
  window.__violations = [];
  document.addEventListener("securitypolicyviolation",
    (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
}"""


def csp_messages(page: Any) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    return messages


@pytest.mark.parametrize("name", PAGES)
def test_every_page_runs_under_the_policy_without_a_violation(page: Any, site_url: str, name: str) -> None:
    messages = csp_messages(page)
    page.add_init_script(WATCH_VIOLATIONS.join(["(", ")()"]))
    response = page.goto(f"{site_url}/{name}")
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    headers = response.all_headers()
    for header, value in SECURITY_HEADERS.items():
        assert headers.get(header.lower()) == value, header
    assert page.evaluate("() => window.__violations") == []
    assert messages == []


def test_an_injected_inline_script_does_not_run(page: Any, site_url: str) -> None:
    messages = csp_messages(page)
    page.goto(f"{site_url}/index.html")
    page.evaluate("""() => {
      const script = document.createElement("script");
      script.textContent = "window.__injected = true";
      document.body.appendChild(script);
      document.body.insertAdjacentHTML("beforeend", '<img src="x.png" onerror="window.__injected = true">');
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__injected") is None
    assert any("script-src" in m for m in messages), messages


def test_another_site_cannot_frame_the_pages(page: Any, site_url: str) -> None:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.set_content(f'<iframe src="{site_url}/manage.html" title="framed"></iframe>')
    page.wait_for_timeout(1000)
    framed = [frame for frame in page.frames if frame.url.startswith(site_url)]
    assert not framed or all(not frame.title() for frame in framed), "our page rendered inside another page"
    assert any("frame-ancestors" in m or "X-Frame-Options" in m for m in messages), messages


def test_a_token_in_the_address_never_leaves_in_a_referer(page: Any, site_url: str) -> None:
    referers: list[str] = []
    page.on("request", lambda r: referers.append(r.headers.get("referer", "")) if r.url != page.url else None)
    page.goto(f"{site_url}/signin.html?token=secret-token-value")
    page.wait_for_load_state("networkidle")
    assert referers, "the page loaded nothing"
    assert {r for r in referers if r} == {f"{site_url}/"}
