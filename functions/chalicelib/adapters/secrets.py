"""Signing keys and the contact-hash key from Secrets Manager, cached for five minutes by Powertools Parameters."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities import parameters

from ..domain.tokens import KeyRing

CACHE_SECONDS = 300


def _secret(name: str, provider: parameters.SecretsProvider | None) -> dict[str, Any]:
    value = (provider or parameters.SecretsProvider()).get(name, transform="json", max_age=CACHE_SECONDS)
    if not isinstance(value, dict):
        raise ValueError(f"secret {name} is not a JSON object")
    return value


def load_key_ring(name: str, provider: parameters.SecretsProvider | None = None) -> KeyRing:
    """`{"current_kid": "k2", "k1": "...", "k2": "..."}`: every key but current_kid is a signing key."""
    value = _secret(name, provider)
    keys = {kid: str(secret).encode("utf-8") for kid, secret in value.items() if kid != "current_kid"}
    return KeyRing(keys, str(value["current_kid"]))


def load_contact_hash_key(name: str, provider: parameters.SecretsProvider | None = None) -> bytes:
    return str(_secret(name, provider)["key"]).encode("utf-8")
