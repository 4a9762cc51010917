"""Resident tokens the parser cannot read: the signer only ever raises TokenError, and the API answers 401 (a session)
or 400 naming /token (a link), never 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import config
from chalicelib.adapters.secrets import load_key_ring
from chalicelib.domain.tokens import KeyRing, TokenError, TokenSigner
from tests.integration.residents_helpers import ResidentApi, generous_resident_api

KEY = b"first-secret-key-0123456789"
NOW = 1_800_000_000


def _signer() -> TokenSigner:
    return TokenSigner(KeyRing({"k1": KEY}, "k1"), lambda: NOW)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signed(payload: str, key: bytes = KEY) -> str:
    """A payload carrying a valid signature: what only the holder of the key could make."""
    return f"{payload}.{_b64(hmac.new(key, payload.encode('ascii'), hashlib.sha256).digest())}"


def _claims(claims: object) -> str:
    return _signed(_b64(json.dumps(claims).encode()))


CLAIMS_NAMING_A_KEY = _b64(b'{"kid":"k1","pur":"session","sub":"R1"}')

UNREADABLE = {
    "non-ASCII": "é" * 30 + "." + "ü" * 43,
    # Claims naming a real key, so the old parser reached compare_digest, which raises TypeError on non-ASCII text.
    "non-ASCII signature": CLAIMS_NAMING_A_KEY + "." + "é" * 43,
    "huge": "a" * 200_000 + "." + "b" * 43,
    "no dot": "a" * 60,
    "three parts": "aaaa.bbbb.cccc",
    "padding": "YWJj==.YWJj==",
    "spaces": "a" * 30 + " . " + "b" * 30,
    "not base64 at all": "!!!!!!!!!!!!!!!!!!!!.????????????????",
    "empty parts": ".",
    "NUL bytes": "\x00" * 40,
}

# Signed with the real key, so the signature holds, but the claims are not what a token of ours carries.
SIGNED_BUT_WRONG = {
    "bad base64 (length 1 mod 4)": _signed("a" * 21),
    "not JSON": _signed(_b64(b"\xff\xfe not json")),
    "JSON that is not an object": _claims(["pur", "session"]),
    "JSON null": _claims(None),
    "exp not an int": _claims({"pur": "session", "kid": "k1", "sub": "R1", "sid": "s", "exp": "tomorrow"}),
    "exp a bool": _claims({"pur": "session", "kid": "k1", "sub": "R1", "sid": "s", "exp": True}),
    "exp a float": _claims({"pur": "session", "kid": "k1", "sub": "R1", "sid": "s", "exp": 9e18}),
    "kid of another key": _claims({"pur": "session", "kid": "k9", "sub": "R1", "sid": "s", "exp": NOW + 60}),
}


@pytest.mark.parametrize("token", list(UNREADABLE.values()) + list(SIGNED_BUT_WRONG.values()),
                         ids=list(UNREADABLE) + list(SIGNED_BUT_WRONG))
def test_an_unreadable_token_is_refused_as_a_token_error(token: str) -> None:
    with pytest.raises(TokenError):
        _signer().verify(token, "session")


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=st.characters(max_codepoint=127)),
                 st.builds(lambda a, b: f"{a}.{b}", st.text(), st.text()),
                 st.text().map(lambda signature: f"{CLAIMS_NAMING_A_KEY}.{signature}"),
                 st.binary().map(lambda b: _signed(_b64(b)) if b else "x")))
def test_any_text_at_all_gives_claims_or_a_token_error_and_nothing_else(token: str) -> None:
    try:
        claims = _signer().verify(token, "session")
    except TokenError:
        return
    assert isinstance(claims, dict) and claims["pur"] == "session"


# --- the same tokens through the API, against the emulator



@pytest.fixture
def api(emulator, fresh_stack) -> Iterator[ResidentApi]:  # type: ignore[no-untyped-def]
    with generous_resident_api(fresh_stack) as api:
        yield api


def _error(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return json.loads(response.body)  # type: ignore[no-any-return]


def _bearer(api: ResidentApi, method: str, path: str, token: str):  # type: ignore[no-untyped-def]
    return api.client.http.request(method, path, headers={"Authorization": f"Bearer {token}"}, body=b"")


def test_unreadable_session_tokens_answer_401_on_every_account_route(api: ResidentApi) -> None:
    ring = load_key_ring(config.resource_name(config.SIGNING_SECRET, api.prefix))
    signed_with_the_real_key = [
        _signed(payload, ring.keys[ring.current_kid])
        for payload in ("a" * 21, _b64(b"\xff\xfe"), _b64(b"[1,2]"),
                        _b64(json.dumps({"pur": "session", "kid": ring.current_kid, "exp": "x"}).encode()),
                        _b64(json.dumps({"pur": "session", "kid": ring.current_kid, "exp": NOW * 2}).encode()))
    ]
    for token in [*UNREADABLE.values(), *signed_with_the_real_key]:
        for method, path in (("GET", "/v1/me"), ("DELETE", "/v1/me"), ("GET", "/v1/me/export"),
                             ("DELETE", "/v1/session")):
            response = _bearer(api, method, path, token)
            assert response.status_code == 401, (method, path, token[:40], response.body[:200])
            assert _error(response)["code"] == "Unauthorized"


def test_unreadable_link_tokens_answer_400_naming_the_token(api: ResidentApi) -> None:
    too_long_for_the_schema = "a" * 3000 + "." + "b" * 43
    for token in [value for value in UNREADABLE.values() if len(value) <= 2048] + [too_long_for_the_schema]:
        for path in ("/v1/verify", "/v1/session"):
            response = api.post(path, {"token": token})
            assert response.status_code == 400, (path, token[:40], response.body[:200])
            assert _error(response)["errors"][0]["pointer"] == "/token"
        response = api.post("/v1/unsubscribe", {"token": token})
        assert response.status_code == 400, (token[:40], response.body[:200])
        assert _error(response)["errors"][0]["pointer"] == "/token"
