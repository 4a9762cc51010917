"""CognitoTokenVerifier refuses every token it should, with keys made here and a fake JWKS client (no network)."""

from __future__ import annotations

import base64
import json
import time
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.cognito_jwt import CognitoTokenVerifier, TokenRejected, default_issuer

POOL = "eu-west-2_TestPool1"
ISSUER = default_issuer("eu-west-2", POOL)
CLIENT = "officers-api-client"
KID = "pool-key-1"
POOL_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeJwks:
    """Serves the pool's public key by kid, as PyJWKClient would after fetching the JWKS."""

    def __init__(self, keys: dict[str, Any]) -> None:
        self.keys = keys
        self.lookups = 0

    def get_signing_key_from_jwt(self, token: str) -> SimpleNamespace:
        self.lookups += 1
        kid = jwt.get_unverified_header(token).get("kid")
        if kid not in self.keys:
            raise jwt.PyJWKClientError(f'Unable to find a signing key that matches: "{kid}"')
        return SimpleNamespace(key=self.keys[kid])


def verifier(jwks: FakeJwks | None = None, client_ids: tuple[str, ...] = (CLIENT,)) -> CognitoTokenVerifier:
    return CognitoTokenVerifier(ISSUER, client_ids, "https://unused.example/jwks.json",
                                jwks_client=jwks or FakeJwks({KID: POOL_KEY.public_key()}))


def id_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": "0b1c-officer", "iss": ISSUER, "aud": CLIENT, "token_use": "id", "iat": now, "auth_time": now,
              "exp": now + 3600, "cognito:username": "0b1c-officer", "email": "pc.jones@force.example",
              "custom:org": "staffordshire", "custom:areas": "stafford, leek", "cognito:groups": ["officer"]}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def access_claims(**overrides: Any) -> dict[str, Any]:
    claims = id_claims(token_use="access", aud=None, client_id=CLIENT, email=None, username="0b1c-officer",
                       scope="aws.cognito.signin.user.admin")
    claims.pop("cognito:username")
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(claims: dict[str, Any], key: Any = POOL_KEY, kid: str = KID) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def sign_raw(claims: dict[str, Any]) -> str:
    """Signed without PyJWT's claim checks, for claims a careless issuer might produce."""
    return jwt.PyJWS().encode(json.dumps(claims).encode(), POOL_KEY, algorithm="RS256", headers={"kid": KID})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def refused(token: str, match: str, jwks: FakeJwks | None = None) -> None:
    with pytest.raises(TokenRejected, match=match):
        verifier(jwks).verify(token)


def test_a_good_id_token_gives_its_claims() -> None:
    claims = verifier().verify(sign(id_claims()))
    assert claims["sub"] == "0b1c-officer" and claims["token_use"] == "id"


def test_a_good_access_token_is_accepted() -> None:
    # Standing (force, role, areas) comes from the registry by `sub`, so an access token serves as well as an ID token.
    assert verifier().verify(sign(access_claims(**{"custom:areas": None, "custom:org": None})))["sub"] == "0b1c-officer"


def test_an_expired_token_is_refused() -> None:
    refused(sign(id_claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 60)), "ExpiredSignature")


def test_leeway_tolerates_a_little_clock_skew_only() -> None:
    token = sign(id_claims(exp=int(time.time()) - 5))
    lenient = CognitoTokenVerifier(ISSUER, [CLIENT], "https://unused.example/jwks.json",
                                   jwks_client=FakeJwks({KID: POOL_KEY.public_key()}), leeway_seconds=30)
    assert lenient.verify(token)["sub"] == "0b1c-officer"
    refused(token, "ExpiredSignature")


def test_a_token_not_yet_valid_is_refused() -> None:
    refused(sign(id_claims(nbf=int(time.time()) + 600)), "ImmatureSignature")


def test_a_token_issued_in_the_future_is_refused() -> None:
    refused(sign(id_claims(iat=int(time.time()) + 600)), "ImmatureSignature")


def test_a_forged_token_signed_by_another_key_with_the_pool_kid_is_refused() -> None:
    refused(sign(id_claims(), key=OTHER_KEY), "InvalidSignature")


def test_a_token_from_another_pool_is_refused() -> None:
    refused(sign(id_claims(iss=default_issuer("eu-west-2", "eu-west-2_OtherPool"))), "InvalidIssuer")


def test_the_issuer_must_match_exactly_not_as_a_prefix_or_substring() -> None:
    refused(sign(id_claims(iss=ISSUER[:-1])), "InvalidIssuer")
    refused(sign(id_claims(iss=ISSUER + "2")), "InvalidIssuer")
    refused(sign_raw(id_claims(iss=[ISSUER])), "Issuer")


def test_an_id_token_for_another_client_is_refused() -> None:
    refused(sign(id_claims(aud="someone-elses-client")), "another client")
    refused(sign(id_claims(aud=None)), "another client")


def test_an_access_token_for_another_client_is_refused() -> None:
    refused(sign(access_claims(client_id="someone-elses-client")), "another client")
    refused(sign(access_claims(client_id=None)), "another client")


def test_any_of_several_configured_clients_is_accepted() -> None:
    token = sign(id_claims(aud="second-client"))
    assert verifier(client_ids=(CLIENT, "second-client")).verify(token)["sub"] == "0b1c-officer"


def test_alg_none_is_refused_before_any_key_is_looked_up() -> None:
    jwks = FakeJwks({KID: POOL_KEY.public_key()})
    token = f'{b64({"alg": "none", "typ": "JWT", "kid": KID})}.{b64(id_claims())}.'
    refused(token, "algorithm 'none'", jwks)
    assert jwks.lookups == 0


def test_hs256_signed_with_the_public_key_as_secret_is_refused_before_any_key_is_looked_up() -> None:
    public_pem = POOL_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
    # PyJWT refuses to sign with a PEM as an HMAC secret, so sign by hand, as an attacker would.
    import hashlib
    import hmac

    signing_input = f'{b64({"alg": "HS256", "typ": "JWT", "kid": KID})}.{b64(id_claims())}'
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    jwks = FakeJwks({KID: public_pem})  # even a JWKS client that handed over the PEM would never be asked
    refused(token, "algorithm 'HS256'", jwks)
    assert jwks.lookups == 0


def test_other_algorithms_are_refused_too() -> None:
    token = jwt.encode(id_claims(), POOL_KEY, algorithm="PS256", headers={"kid": KID})
    refused(token, "algorithm 'PS256'")


def test_an_unknown_kid_is_refused() -> None:
    refused(sign(id_claims(), kid="retired-key"), "unknown key")


def test_a_token_without_kid_is_refused() -> None:
    refused(jwt.encode(id_claims(), POOL_KEY, algorithm="RS256"), "no key id")


def test_a_token_without_token_use_is_refused() -> None:
    refused(sign(id_claims(token_use=None)), "token_use")


def test_a_token_with_another_token_use_is_refused() -> None:
    refused(sign(id_claims(token_use="refresh")), "neither id nor access")


def test_garbage_is_refused() -> None:
    refused("not-a-jwt", "malformed")
    refused("", "malformed")


def test_a_verifier_needs_an_issuer_and_a_client() -> None:
    with pytest.raises(ValueError):
        CognitoTokenVerifier("", [CLIENT], "https://unused.example/jwks.json", jwks_client=FakeJwks({}))
    with pytest.raises(ValueError):
        CognitoTokenVerifier(ISSUER, ["", ""], "https://unused.example/jwks.json", jwks_client=FakeJwks({}))
