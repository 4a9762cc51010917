"""The pipeline's jobs, typed: what one SQS message asks a stage to do. Pure: no AWS here.

Each job knows its own message (`message()`), and `targeting_job` / `delivery_job` read one back, refusing anything
else with ValueError (the worker reports the record as failed). The message shapes are the ones the queues have
always carried, so messages already in flight, or moved back from a dead-letter queue, still parse.

Jobs carry ids, ledger keys and H3 key ranges, never addresses: addresses are read from the subscribers table at
delivery.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Self

from .geo import KeyRange

CHANNELS = ("email", "sms", "voice", "push")
MAX_SQS_DELAY_SECONDS = 900  # the longest SQS holds a message: later scheduled alerts wait for the schedule


@dataclass(frozen=True)
class PlanJob:
    """Cover the alert's target, freeze the plan and queue its shards (or wait for a scheduled time)."""

    organisation: str
    alert_id: str
    reconcile: bool = False  # queued by the reconciler for an alert stuck sending: also sweep what was released
    # Set on a job that releases a scheduled alert at its time (services/scheduled_release.py, services/alerts.py):
    # only the job whose id the alert records as it moves to sending goes on; any other stops.
    release_id: str | None = None

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "plan", "organisation": self.organisation, "alert_id": self.alert_id}
        if self.reconcile:
            message["reconcile"] = True
        if self.release_id:
            message["release_id"] = self.release_id
        return message


class _Piece:
    """A bounded piece of a shard's key ranges (a ShardJob's or a PreviewJob's): named `<shard>.<piece>`, where
    `piece` counts the continuations before it."""

    shard: int | None
    piece: int
    ranges: tuple[KeyRange, ...]

    @property
    def name(self) -> str:
        return f"{self.shard}.{self.piece}"

    @property
    def previous(self) -> str | None:
        """The piece this one continues, if any."""
        return f"{self.shard}.{self.piece - 1}" if self.piece else None

    def continued(self, rest: Sequence[KeyRange]) -> Self:
        return replace(self, piece=self.piece + 1, ranges=tuple(rest))  # type: ignore[type-var]


@dataclass(frozen=True)
class ShardJob(_Piece):
    """Read some key ranges of the plan and write who they reach to the ledger; `piece` counts continuations."""

    organisation: str
    alert_id: str
    shard: int
    piece: int
    ranges: tuple[KeyRange, ...]

    def message(self) -> dict[str, Any]:
        return {"type": "shard", "organisation": self.organisation, "alert_id": self.alert_id, "shard": self.shard,
                "piece": self.piece, "ranges": _range_lists(self.ranges)}


@dataclass(frozen=True)
class ReleaseJob:
    """Queue the recipients of one channel in some ledger buckets for delivery."""

    organisation: str
    alert_id: str
    channel: str
    buckets: tuple[str, ...]
    sweep: bool = False  # the reconciler's: queue again whatever is still unsent, counting nothing

    @property
    def name(self) -> str:
        return f"r:{self.channel}:{','.join(self.buckets)}"

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "release", "organisation": self.organisation, "alert_id": self.alert_id,
                                   "channel": self.channel, "buckets": list(self.buckets)}
        if self.sweep:
            message["sweep"] = True
        return message


@dataclass(frozen=True)
class PreviewJob(_Piece):
    """Count a preview that did not finish within its request: with no shard, cover its target and queue the shards;
    with one, count a bounded piece of the shard's key ranges (`piece` counts continuations, as a ShardJob's)."""

    preview_id: str
    shard: int | None = None
    piece: int = 0
    ranges: tuple[KeyRange, ...] = ()

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "preview", "preview_id": self.preview_id}
        if self.shard is not None:
            message.update(shard=self.shard, piece=self.piece, ranges=_range_lists(self.ranges))
        return message


@dataclass(frozen=True)
class DeliveryJob:
    """Send to these recipients (ledger keys) of one channel; `attempt` counts re-queued remainders."""

    organisation: str
    alert_id: str
    channel: str
    keys: tuple[str, ...]
    attempt: int = 0

    def with_keys(self, keys: Sequence[str], attempt: int) -> DeliveryJob:
        return replace(self, keys=tuple(keys), attempt=attempt)

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"organisation": self.organisation, "alert_id": self.alert_id,
                                   "channel": self.channel, "keys": list(self.keys)}
        if self.attempt:
            message["attempt"] = self.attempt
        return message


TargetingJob = PlanJob | ShardJob | ReleaseJob | PreviewJob


def _text(message: Mapping[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"job field {name!r} is missing or not text")
    return value


def piece_end(ranges: Sequence[KeyRange], rest: Sequence[KeyRange]) -> str | None:
    """Where a piece of these ranges stopped, leaving `rest` (None: it read them all), as stored with its counts so that
    a redelivered piece queues the same continuation: the index of the range it stopped in, and the key to resume at."""
    return json.dumps([len(ranges) - len(rest), rest[0].low]) if rest else None


def rest_after(ranges: Sequence[KeyRange], end: str) -> list[KeyRange]:
    """The ranges a piece left, from where it recorded stopping (`piece_end`)."""
    position, low = json.loads(end)
    return [KeyRange(ranges[position].partition, str(low), ranges[position].high), *ranges[position + 1:]]


def _whole(message: Mapping[str, Any], name: str) -> int:
    value = message.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"job field {name!r} is not a whole number")
    return value


def _range_lists(ranges: Sequence[KeyRange]) -> list[list[str]]:
    return [[r.partition, r.low, r.high] for r in ranges]


def _ranges(message: Mapping[str, Any]) -> tuple[KeyRange, ...]:
    ranges = message.get("ranges")
    if not isinstance(ranges, list) or not all(isinstance(r, list) and len(r) == 3 for r in ranges):
        raise ValueError("job field 'ranges' is not a list of [partition, low, high]")
    return tuple(KeyRange(str(p), str(low), str(high)) for p, low, high in ranges)


def _channel(message: Mapping[str, Any]) -> str:
    channel = _text(message, "channel")
    if channel not in CHANNELS:
        raise ValueError(f"job channel {channel!r} is unknown")
    return channel


def _texts(message: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values = message.get(name)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"job field {name!r} is not a list of text")
    return tuple(values)


def targeting_job(message: Mapping[str, Any]) -> TargetingJob:
    kind = message.get("type")
    if kind == "preview":
        if "shard" not in message:
            return PreviewJob(_text(message, "preview_id"))
        return PreviewJob(_text(message, "preview_id"), _whole(message, "shard"), _whole(message, "piece"),
                          _ranges(message))
    organisation, alert_id = _text(message, "organisation"), _text(message, "alert_id")
    if kind == "plan":
        release_id = message.get("release_id")
        if release_id is not None and not (isinstance(release_id, str) and 0 < len(release_id) <= 64):
            raise ValueError("release_id must be a short string")
        return PlanJob(organisation, alert_id, message.get("reconcile") is True, release_id)
    if kind == "shard":
        return ShardJob(organisation, alert_id, _whole(message, "shard"), _whole(message, "piece"), _ranges(message))
    if kind == "release":
        return ReleaseJob(organisation, alert_id, _channel(message), _texts(message, "buckets"),
                          message.get("sweep") is True)
    raise ValueError(f"unknown targeting job {kind!r}")


def delivery_job(message: Mapping[str, Any]) -> DeliveryJob:
    return DeliveryJob(_text(message, "organisation"), _text(message, "alert_id"), _channel(message),
                       _texts(message, "keys"), int(message.get("attempt", 0)))
