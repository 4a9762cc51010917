"""Signed, optionally expiring tokens for email links, unsubscribe links and resident sessions.

A token is `base64url(claims).base64url(HMAC-SHA256(claims))`. The claims carry the key id (`kid`), so keys can be
rotated: sign with the current key, verify with any key still on the ring. They also carry a purpose (`pur`), so a
never-expiring unsubscribe token can never be replayed as a session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class TokenError(Exception):
    """The token is malformed, forged, for another purpose, signed by a retired key, or expired."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class KeyRing:
    keys: Mapping[str, bytes]
    current_kid: str

    def __post_init__(self) -> None:
        if self.current_kid not in self.keys:
            raise ValueError(f"the current signing key {self.current_kid!r} is not on the key ring")


class TokenSigner:
    def __init__(self, ring: KeyRing, clock: Callable[[], float]) -> None:
        self._ring = ring
        self._clock = clock

    def sign(self, purpose: str, claims: Mapping[str, Any], ttl_seconds: int | None) -> str:
        body: dict[str, Any] = {**claims, "pur": purpose, "kid": self._ring.current_kid}
        if ttl_seconds is not None:
            body["exp"] = int(self._clock()) + ttl_seconds
        payload = _b64encode(json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8"))
        return f"{payload}.{self._mac(self._ring.current_kid, payload)}"

    def verify(self, token: str, purpose: str) -> dict[str, Any]:
        payload, dot, signature = token.partition(".")
        if not dot or not payload or not signature:
            raise TokenError("malformed")
        try:
            claims = json.loads(_b64decode(payload))
        except (ValueError, UnicodeDecodeError):
            raise TokenError("malformed") from None
        if not isinstance(claims, dict):
            raise TokenError("malformed")
        kid = claims.get("kid")
        if not isinstance(kid, str) or kid not in self._ring.keys:
            raise TokenError("unknown key")
        if not hmac.compare_digest(signature, self._mac(kid, payload)):
            raise TokenError("bad signature")
        if claims.get("pur") != purpose:
            raise TokenError("wrong purpose")
        expires = claims.get("exp")
        if expires is not None and (not isinstance(expires, int) or expires < self._clock()):
            raise TokenError("expired")
        return claims

    def _mac(self, kid: str, payload: str) -> str:
        return _b64encode(hmac.new(self._ring.keys[kid], payload.encode("ascii"), hashlib.sha256).digest())

