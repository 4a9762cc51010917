"""Fixed-window counters in DynamoDB: one atomic ADD per check, and expired windows vanish through TTL."""

from __future__ import annotations

from collections.abc import Callable

from .models import RateLimitModel


class DynamoRateCounter:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        """Counts one request against `key`; returns (count in this window, seconds until the window ends)."""
        now = int(self._clock())
        window_start = now - now % window_seconds
        window_end = window_start + window_seconds
        item = RateLimitModel(f"{key}#{window_start}")
        item.update(actions=[RateLimitModel.hits.add(1), RateLimitModel.expires_at.set(window_end + 60)])
        return int(item.hits), window_end - now
