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
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TAG_CHARS = 16  # a short tag's base32 characters: 80 bits
# Our tokens are a few hundred characters; anything much longer is not one of ours and is refused before any work.
MAX_TOKEN_LENGTH = 4096
# Two base64url parts, no padding. Anything else (non-ASCII, spaces, a third part) is refused before any decoding.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


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

    def verify(self, token: object, purpose: str) -> dict[str, Any]:
        """The claims of a token signed by a key on the ring, for this purpose and unexpired; TokenError otherwise.

        Whatever the caller hands in (any text, any size), the only failure is TokenError: the shape is checked first,
        then the signature, and only a token we signed has its claims parsed at all.
        """
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not _TOKEN_SHAPE.fullmatch(token):
            raise TokenError("malformed")
        payload, _, signature = token.partition(".")
        kid = self._signing_kid(payload, signature)
        try:
            claims = json.loads(_b64decode(payload))
        except (ValueError, RecursionError):  # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise TokenError("malformed") from None
        if not isinstance(claims, dict) or claims.get("kid") != kid:
            raise TokenError("malformed")
        if claims.get("pur") != purpose:
            raise TokenError("wrong purpose")
        expires = claims.get("exp")
        if expires is not None and (type(expires) is not int or expires < self._clock()):
            raise TokenError("expired")
        return claims

    def _signing_kid(self, payload: str, signature: str) -> str:
        """The key that signed this payload. Every key on the ring is tried (there are one or two), so the claims,
        which name the key, are read only once the signature holds."""
        presented = signature.encode("ascii")
        for kid in self._ring.keys:
            if hmac.compare_digest(presented, self._mac(kid, payload).encode("ascii")):
                return kid
        raise TokenError("bad signature or unknown key")

    def tag(self, purpose: str, text: str) -> str:
        """A short signature of `text` for this purpose, where a whole token does not fit (an email address's local
        part holds 64 characters): TAG_CHARS lower-case base32 characters (80 bits) of the current key's HMAC, so that
        it survives a mail server that changes case."""
        return self._tag(self._ring.current_kid, purpose, text)

    def tag_matches(self, purpose: str, text: str, tag: str) -> bool:
        """Whether `tag` is `text`'s for this purpose under any key still on the ring (the tag names no key)."""
        presented = tag.lower().encode("ascii", "replace")
        return any(hmac.compare_digest(presented, self._tag(kid, purpose, text).encode("ascii"))
                   for kid in self._ring.keys)

    def _tag(self, kid: str, purpose: str, text: str) -> str:
        digest = hmac.new(self._ring.keys[kid], f"{purpose}\n{text}".encode(), hashlib.sha256).digest()
        return base64.b32encode(digest).decode("ascii").lower()[:TAG_CHARS]

    def _mac(self, kid: str, payload: str) -> str:
        return _b64encode(hmac.new(self._ring.keys[kid], payload.encode("ascii"), hashlib.sha256).digest())

