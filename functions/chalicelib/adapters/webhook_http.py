"""Calling a partner's webhook over HTTPS, to an address that was checked (domain/webhooks.py), never to a fresh DNS
lookup: the TLS handshake still names (and verifies) the host, so the certificate must be the partner's. Redirects
are never followed: http.client does not follow them, and a 3xx counts as a failure.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

from ..domain.webhooks import Destination

TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 4096  # what is read of the partner's answer: its status is what counts


@dataclass(frozen=True)
class WebhookResponse:
    status: int | None  # None: no answer (refused, timed out, TLS failed)
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP: only ever for a local test receiver named in HEXWATCH_WEBHOOK_TEST_RECEIVERS."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class HttpWebhookSender:
    def __init__(self, timeout: float = TIMEOUT_SECONDS, context: ssl.SSLContext | None = None) -> None:
        self._timeout = timeout
        self._context = context or ssl.create_default_context()

    def post(self, target: Destination, body: bytes, headers: dict[str, str]) -> WebhookResponse:
        address = target.addresses[0]
        connection: http.client.HTTPConnection
        if target.scheme == "https":
            connection = _PinnedHTTPSConnection(target.host, address, target.port, self._timeout, self._context)
        else:
            connection = _PinnedHTTPConnection(target.host, address, target.port, self._timeout)
        try:
            connection.request("POST", target.path, body=body, headers={
                **headers, "Content-Type": "application/json", "User-Agent": "Hexwatch-Webhooks/1"})
            response = connection.getresponse()
            response.read(MAX_RESPONSE_BYTES)
            if 300 <= response.status < 400:
                return WebhookResponse(response.status, "redirect not followed")
            error = None if 200 <= response.status < 300 else f"answered {response.status}"
            return WebhookResponse(response.status, error)
        except (OSError, http.client.HTTPException) as failure:
            return WebhookResponse(None, f"{type(failure).__name__}: {str(failure)[:120]}")
        finally:
            connection.close()
