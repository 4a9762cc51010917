"""The security headers of every page and API answer: one list, sent by the local site server and by CloudFront.

CloudFront adds them through the response headers policy `SiteResponseHeadersPolicy` in infra/hosting.patch.yaml;
infra/local/server.py sends `SECURITY_HEADERS` itself. tests/unit/test_hosting_template.py checks that the template
says exactly what this module says, so the browser tests (which run against the local server) test what production
sends.

Why these values:

- CSP: the pages load only their own scripts, style sheet, config.js and schemas, and post their forms to /v1 on the
  same origin. Nothing inline is allowed (no 'unsafe-inline', no 'unsafe-eval'), so an injected `<script>` or
  `on...=` attribute does nothing. `frame-ancestors 'none'` (and X-Frame-Options for older browsers) stops another
  site framing the pages to trick a resident into pressing "Delete my account".
- Referrer-Policy `strict-origin`: resident links carry their token in the URL (verify, sign-in, unsubscribe; an
  unsubscribe token never expires). `strict-origin` sends only `https://our.site/` as the Referer, to other sites and
  to our own origin alike, so a token never reaches another site, nor rides in the Referer of every request the page
  makes. `no-referrer` would protect as well but makes browsers send `Origin: null` on same-origin POSTs (Fetch
  standard), which the API's cross-site guard refuses (docs/security.md), and `strict-origin-when-cross-origin` would
  put the whole URL, token included, in the Referer of every same-origin request.
- HSTS for two years with subdomains; no `preload`, which would commit the whole registrable domain.
- Permissions-Policy: the signup page may ask for the resident's location ("Use my location"); nothing else.
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
])
HSTS_MAX_AGE_SECONDS = 63_072_000  # two years
STRICT_TRANSPORT_SECURITY = f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains"
REFERRER_POLICY = "strict-origin"
PERMISSIONS_POLICY = "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), browsing-topics=()"

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Strict-Transport-Security": STRICT_TRANSPORT_SECURITY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": REFERRER_POLICY,
    "Permissions-Policy": PERMISSIONS_POLICY,
}
