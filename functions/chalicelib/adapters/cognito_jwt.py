"""Verifies Cognito user-pool JWTs (ID or access tokens) against the pool's JWKS; the claims say who signed in.

The checks, in order: the header's `alg` is RS256 (before any key is looked up, so neither `none` nor HS256 signed
with the public key as an HMAC secret ever reaches a key), its `kid` is in the JWKS, the signature, `exp`, `nbf`,
`iat`, `iss` equal to the pool's issuer, `token_use` is `id` or `access`, and then the client: an ID token's `aud`,
or an access token's `client_id`, must be one of ours. Every failure is one `TokenRejected`. The verified claims
say only who the user is: what they may do comes from the officer registry, never from a claim.

The JWKS URL is separate from the issuer because the emulator serves the keys at `<endpoint>/<pool>/...` while its
tokens carry the real AWS issuer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import jwt

ALGORITHM = "RS256"
TOKEN_USES = ("id", "access")
JWKS_CACHE_SECONDS = 300


class TokenRejected(Exception):
    """The token does not let anyone in; `reason` is for logs, never for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SigningKey(Protocol):
    key: Any


class JwksClient(Protocol):
    """What we use of `jwt.PyJWKClient`; tests give a fake with the same method."""

    def get_signing_key_from_jwt(self, token: str) -> SigningKey: ...


def default_issuer(region: str, user_pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


class CognitoTokenVerifier:
    def __init__(self, issuer: str, client_ids: Iterable[str], jwks_url: str,
                 jwks_client: JwksClient | None = None, leeway_seconds: float = 0) -> None:
        self.issuer = issuer
        self.client_ids = frozenset(c for c in client_ids if c)
        if not issuer or not self.client_ids:
            raise ValueError("an issuer and at least one client id are needed to verify officers' tokens")
        # The JWK set is cached for five minutes and refetched (at most every 30 s) when an unknown kid turns up,
        # which is how a rotated pool key is picked up without a restart.
        self._jwks = jwks_client or jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=JWKS_CACHE_SECONDS,
                                                    timeout=5)
        self.leeway_seconds = leeway_seconds

    def verify(self, token: str) -> dict[str, Any]:
        """The verified claims, or TokenRejected."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRejected(f"malformed: {error}") from None
        if header.get("alg") != ALGORITHM:
            raise TokenRejected(f"algorithm {header.get('alg')!r} is not {ALGORITHM}")
        if not isinstance(header.get("kid"), str) or not header["kid"]:
            raise TokenRejected("no key id")
        try:
            signing_key = self._jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as error:
            raise TokenRejected(f"the JWKS could not be fetched: {error}") from None
        except jwt.PyJWTError as error:
            raise TokenRejected(f"unknown key: {error}") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token, signing_key.key, algorithms=[ALGORITHM], issuer=self.issuer, leeway=self.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False})
        except jwt.PyJWTError as error:
            raise TokenRejected(f"{type(error).__name__}: {error}") from None
        if claims["iss"] != self.issuer:  # PyJWT compares exactly for a str; this keeps it so if that ever changes
            raise TokenRejected("another issuer")
        self._check_client(claims)
        return claims

    def _check_client(self, claims: Mapping[str, Any]) -> None:
        use = claims.get("token_use")
        if use not in TOKEN_USES:
            raise TokenRejected(f"token_use {use!r} is neither id nor access")
        if use == "id":
            audience = claims.get("aud")
            audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
            if not any(isinstance(a, str) and a in self.client_ids for a in audiences):
                raise TokenRejected("an ID token for another client")
        elif not isinstance(claims.get("client_id"), str) or claims["client_id"] not in self.client_ids:
            raise TokenRejected("an access token for another client")
