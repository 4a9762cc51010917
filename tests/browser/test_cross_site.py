"""A real browser on another website cannot use its visitor to sign someone up: the site's proxy passes the browser's
own `Origin` and `Sec-Fetch-Site` through to the API, which refuses the request with 403 (issue 7, Deliver 4)."""

from __future__ import annotations

import html
import time
import uuid
from typing import Any

from .conftest import outbox_messages

ATTACKER_PAGE = "http://attacker.example/free-prize.html"


def test_a_form_on_another_website_cannot_sign_up_through_a_visitors_browser(page: Any, site_url: str) -> None:
    email = f"cross-site-{uuid.uuid4().hex[:8]}@example.org"
    fields = {"email": email, "channels": "email", "categories": "crime", "locations[0][label]": "Home",
              "locations[0][lat]": "52.8066", "locations[0][lng]": "-2.1167", "age_confirmed": "on",
              "consent": "on"}
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    attacker = (f'<!doctype html><html lang="en"><head><title>Free prize</title></head><body>'
                f'<form method="post" action="{site_url}/v1/signup">{inputs}</form>'
                f"<script>document.forms[0].submit()</script></body></html>")
    page.route(ATTACKER_PAGE, lambda route: route.fulfill(status=200, content_type="text/html", body=attacker))

    with page.expect_response(f"{site_url}/v1/signup") as answered:
        page.goto(ATTACKER_PAGE)
    response = answered.value
    sent = response.request.all_headers()
    assert sent.get("origin") == "http://attacker.example"  # written by the browser, not by the attacker's page
    assert response.status == 403
    assert response.json()["code"] == "Forbidden"

    time.sleep(3)  # the event pump delivers within a couple of seconds: nothing may arrive
    assert not [m for m in outbox_messages(site_url) if email in (m.get("to") or [])]
