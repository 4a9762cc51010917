import pytest

from chalicelib.domain.tokens import KeyRing, TokenError, TokenSigner


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def signer(clock: Clock, keys: dict[str, bytes] | None = None, kid: str = "k1") -> TokenSigner:
    return TokenSigner(KeyRing(keys or {"k1": b"first-secret-key-0123456789"}, kid), clock)


def test_a_signed_token_verifies_for_its_purpose_and_carries_its_claims() -> None:
    clock = Clock()
    token = signer(clock).sign("verify", {"sub": "R1", "ch": "abc"}, ttl_seconds=60)
    claims = signer(clock).verify(token, "verify")
    assert claims["sub"] == "R1" and claims["ch"] == "abc" and claims["kid"] == "k1"


def test_a_token_for_one_purpose_is_refused_for_another() -> None:
    clock = Clock()
    unsubscribe = signer(clock).sign("unsubscribe", {"sub": "R1"}, ttl_seconds=None)
    with pytest.raises(TokenError, match="purpose"):
        signer(clock).verify(unsubscribe, "session")


def test_an_expired_link_is_refused_but_a_never_expiring_one_is_not() -> None:
    clock = Clock()
    expiring = signer(clock).sign("verify", {"sub": "R1"}, ttl_seconds=60)
    forever = signer(clock).sign("unsubscribe", {"sub": "R1"}, ttl_seconds=None)
    clock.now += 61
    with pytest.raises(TokenError, match="expired"):
        signer(clock).verify(expiring, "verify")
    assert signer(clock).verify(forever, "unsubscribe")["sub"] == "R1"


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],
    lambda t: "x" + t,
    lambda t: t.split(".")[0],
    lambda t: "",
    lambda t: "not-base64!.sig",
])
def test_a_forged_or_mangled_token_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    token = signer(clock).sign("session", {"sub": "R1"}, ttl_seconds=60)
    with pytest.raises(TokenError):
        signer(clock).verify(tamper(token), "session")


def test_keys_rotate_old_tokens_stay_valid_until_their_key_is_retired() -> None:
    clock = Clock()
    old_key = {"k1": b"first-secret-key-0123456789"}
    both = {**old_key, "k2": b"second-secret-key-987654321"}
    old_token = signer(clock, old_key).sign("unsubscribe", {"sub": "R1"}, None)
    rotated = signer(clock, both, "k2")
    assert rotated.verify(old_token, "unsubscribe")["kid"] == "k1"
    assert rotated.verify(rotated.sign("unsubscribe", {"sub": "R1"}, None), "unsubscribe")["kid"] == "k2"
    retired = signer(clock, {"k2": both["k2"]}, "k2")
    with pytest.raises(TokenError, match="unknown key"):
        retired.verify(old_token, "unsubscribe")


def test_the_current_key_must_be_on_the_ring() -> None:
    with pytest.raises(ValueError):
        KeyRing({"k1": b"x" * 20}, "k2")
