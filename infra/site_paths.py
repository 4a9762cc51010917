"""How a site path maps to an object (the rule of the CloudFront Function `SitePathsFunction` and of the local
server), and each object's Content-Type (the local server's and the upload's, infra/deploy_site.py).

CloudFront reads the bucket through its REST endpoint (origin access control), which has no index documents, so the
viewer-request function in infra/hosting.patch.yaml turns a directory path into its index.html and sends a path that
looks like a directory but lacks its slash to the same path with one (as a web server does, so relative links in
the page resolve below it). infra/local/server.py applies this module's `route`; tests/unit/test_hosting_template.py
runs the template's JavaScript on a table of paths and checks that both agree.

Only plain paths (letters, digits, `-`, `_`, single slashes) are ever redirected: a path such as `//evil.example`
or `/\\evil` would otherwise become a protocol-relative `Location` on another host (an open redirect).
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import quote

# Content-Type by extension, for the local server and for the upload to S3 (which serves what it was given).
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".woff2": "font/woff2",
}

_REDIRECTABLE = re.compile(r"^(/[A-Za-z0-9_-]+)+$")
# What may not stand in a query string is percent-encoded; an encoded query (and its %XX) is left as it is.
_QUERY_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]")


def route(path: str, query: str = "") -> tuple[Literal["rewrite", "redirect"], str]:
    """`("rewrite", key)`: serve that path; `("redirect", location)`: answer 301 with that Location."""
    if path.endswith("/"):
        return "rewrite", path + "index.html"
    if _REDIRECTABLE.match(path):
        return "redirect", path + "/" + (f"?{_QUERY_UNSAFE.sub(_escape, query)}" if query else "")
    return "rewrite", path


def _escape(match: re.Match[str]) -> str:
    return quote(match.group(0), safe="")
