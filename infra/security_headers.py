"""The security headers of every page and API answer: one list, sent by the local site server and by CloudFront.

CloudFront adds them through the response headers policy `SiteResponseHeadersPolicy` in infra/hosting.patch.yaml;
infra/local/server.py sends `SECURITY_HEADERS` itself. tests/unit/test_hosting_template.py checks that the template
says exactly what this module says, so the browser tests (which run against the local server) test what production
sends.

Why these values:

- CSP: the pages load only their own scripts, style sheet, config.js and schemas, and post their forms to /v1 on the
  same origin (the officer console also calls Cognito and loads map tiles in the stack's region). Nothing inline
  is allowed (no 'unsafe-inline', no 'unsafe-eval'), so an injected `<script>` or `on...=` attribute does nothing.
  `frame-ancestors 'none'` (and X-Frame-Options for older browsers) stops another site framing the pages to trick a
  resident into pressing "Delete my account".
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

# CloudFront's template writes the region as ${AWS::Region} (Fn::Sub); the local server is in the emulator's region.
REGION_PLACEHOLDER = "${AWS::Region}"
LOCAL_REGION = "eu-west-2"  # infra/local/emulator.py REGION


def content_security_policy(region: str) -> str:
    """The one exception to 'self': the officer console signs in with Cognito's own endpoint, and its map draws Amazon
    Location Service tiles, both in the stack's region (resident pages never call either)."""
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' https://maps.geo.{region}.amazonaws.com",
        f"connect-src 'self' https://cognito-idp.{region}.amazonaws.com",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ])


CONTENT_SECURITY_POLICY = content_security_policy(LOCAL_REGION)
HSTS_MAX_AGE_SECONDS = 63_072_000  # two years
STRICT_TRANSPORT_SECURITY = f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains"
REFERRER_POLICY = "strict-origin"
PERMISSIONS_POLICY = "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), browsing-topics=()"

def security_headers(region: str) -> dict[str, str]:
    return {**SECURITY_HEADERS, "Content-Security-Policy": content_security_policy(region)}


SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Strict-Transport-Security": STRICT_TRANSPORT_SECURITY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": REFERRER_POLICY,
    "Permissions-Policy": PERMISSIONS_POLICY,
}
