"""`make token` answers the MFA challenge with the code an authenticator app shows: RFC 6238's own test vectors."""

from __future__ import annotations

import pytest

from infra.local.token import totp_code

RFC_6238_SHA1_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of the ASCII "12345678901234567890"


@pytest.mark.parametrize(("at", "code"), [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
                                          (1234567890, "89005924"), (2000000000, "69279037")])
def test_the_rfc_6238_vectors(at: int, code: str) -> None:
    assert totp_code(RFC_6238_SHA1_SECRET, at=at, digits=8) == code


def test_six_digits_by_default_and_the_same_code_within_a_step() -> None:
    assert totp_code(RFC_6238_SHA1_SECRET, at=59) == "287082"
    assert totp_code(RFC_6238_SHA1_SECRET, at=60) == totp_code(RFC_6238_SHA1_SECRET, at=89)
