"""Whether a browser request was sent by another site, from Fetch Metadata (`Sec-Fetch-Site`) and `Origin`.

Browsers add these headers themselves and a page cannot forge them, so a page on another site cannot make its
visitors' browsers post signups (SMS pumping with other people's IP addresses) or act on a resident's account.
Callers that are not browsers (curl, servers) send neither header and are judged by their token or signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """`scheme://host[:port]` as a browser writes it in `Origin`: lower case, no path, no default port."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    if not scheme or not host:
        return ""
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS.get(scheme)) else f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class SiteOrigins:
    """The origins whose pages may call the resident API: the site's, and the API's own."""

    origins: frozenset[str]

    @classmethod
    def from_urls(cls, *urls: str) -> SiteOrigins:
        return cls(frozenset(origin for url in urls if (origin := origin_of(url))))

    def refusal(self, sec_fetch_site: str | None, origin: str | None) -> str | None:
        """Why the request counts as cross-site (the header that says so), or None when it may go on.

        `Sec-Fetch-Site: same-origin`, `same-site` and `none` (typed or bookmarked) pass this test, but an `Origin`,
        when a browser sends one, must still be one of ours: a sibling subdomain is same-site, yet not our site.
        """
        if (sec_fetch_site or "").strip().lower() == "cross-site":
            return "Sec-Fetch-Site"
        if origin is not None and origin_of(origin) not in self.origins:
            return "Origin"  # includes `Origin: null`, sent by sandboxed frames and some redirects
        return None
