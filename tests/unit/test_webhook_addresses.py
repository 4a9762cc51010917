"""Which addresses Hexwatch will post partners' webhooks to (domain/webhooks.py), without a network: https only, and
every address the name resolves to must be public, so that a partner cannot point Hexwatch at the Lambda runtime
API, the metadata service or anything private, even through DNS."""

from __future__ import annotations

import pytest

from chalicelib.domain.webhooks import WebhookRefused, destination, public_address, retry_delay

PUBLIC = "93.184.216.34"


def resolver(*addresses: str):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)
    return resolve


def refused(url: str, *addresses: str, receivers: tuple[str, ...] = ()) -> str:
    with pytest.raises(WebhookRefused) as caught:
        destination(url, resolver(*addresses), receivers)
    return str(caught.value)


def test_a_public_https_address_is_accepted_and_pinned() -> None:
    target = destination("https://hooks.council.example/hexwatch?x=1", resolver("2606:2800:220:1::1", PUBLIC))
    assert (target.scheme, target.host, target.port, target.path) == ("https", "hooks.council.example", 443,
                                                                      "/hexwatch?x=1")
    assert target.addresses == (PUBLIC, "2606:2800:220:1::1")  # IPv4 first: Lambda has no IPv6 route out


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.1.2.3", "0.0.0.0", "10.0.0.5", "172.16.0.1", "192.168.1.10", "169.254.169.254",
    "169.254.170.2", "100.64.0.1", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
    "::ffff:169.254.169.254", "::",
])
def test_every_address_that_is_not_public_is_refused(address: str) -> None:
    assert not public_address(address)
    assert "not public" in refused("https://hooks.council.example/hexwatch", address)


def test_one_private_address_among_public_ones_is_refused() -> None:
    assert "not public" in refused("https://hooks.council.example/", PUBLIC, "10.1.1.1")


@pytest.mark.parametrize(("url", "why"), [
    ("http://hooks.council.example/", "https"), ("ftp://hooks.council.example/", "https"),
    ("https://user:secret@hooks.council.example/", "user name"), ("https:///nohost", "not a URL"),
    ("https://hooks.council.example:99999/", "not a URL"), ("https://hooks.council.example/#x", "fragment"),
    ("https://hooks.council.example/" + "a" * 600, "longer"),
])
def test_urls_that_are_not_plain_https_are_refused(url: str, why: str) -> None:
    assert why in refused(url, PUBLIC)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    def fails(host: str, port: int) -> list[str]:
        raise OSError("no such host")
    with pytest.raises(WebhookRefused, match="cannot be resolved"):
        destination("https://nowhere.invalid/", fails)


def test_the_local_test_receiver_is_let_through_only_by_its_exact_origin() -> None:
    receivers = ("http://127.0.0.1:8765",)
    target = destination("http://127.0.0.1:8765/hook", resolver("127.0.0.1"), receivers)
    assert (target.scheme, target.port) == ("http", 8765)
    assert "https" in refused("http://127.0.0.1:8766/hook", "127.0.0.1", receivers=receivers)
    assert "not public" in refused("https://127.0.0.1:8765/hook", "127.0.0.1", receivers=receivers)


def test_retries_back_off_and_stay_within_sqs_limits() -> None:
    assert [retry_delay(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]
