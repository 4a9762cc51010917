"""What the pipeline's stages need from the world, as small Protocols: the emulator-backed adapters in production,
in-memory fakes in tests/unit/pipeline_fakes.py. Nothing here knows AWS."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ...domain.alerts import Alert
from ...domain.coverage import Target
from ...domain.delivery import EmailContent, EmailRecipient, PushMessage, SendResult, SmsMessage, VoiceCall
from ...domain.geo import KeyRange
from ...domain.jobs import DeliveryJob, TargetingJob
from ...domain.previews import PreviewState
from ...domain.residents import Resident


def remaining_forever() -> int:
    """The time left when no Lambda context says otherwise (the benches, the tests): never short."""
    return 10**9


class AlertRecords(Protocol):
    """The alerts table: read an alert with its stored version, save it back if nobody changed it meanwhile."""

    def get(self, organisation: str, alert_id: str) -> tuple[Alert, Any] | None: ...

    def save(self, alert: Alert, item: Any, at: str) -> None: ...

    def record_action(self, alert: Alert, action: str, actor: str, actor_role: str, at: str,
                      audience: int | None = None, detail: str | None = None) -> None: ...


class FrozenPlans(Protocol):
    """The target's geometry, frozen at plan time (adapters/plan_store.py): no later stage resolves the target."""

    def freeze(self, alert_id: str, target: Target, expires_at: int | None = None) -> None: ...

    def target(self, alert_id: str) -> Target | None: ...


class Location(Protocol):
    sk: Any
    lat: Any
    lng: Any
    attribute_values: dict[str, Any]


class Locations(Protocol):
    def in_range(self, key_range: KeyRange) -> Iterator[Location]: ...


class Residents(Protocol):
    def get_many(self, resident_ids: Iterable[str]) -> dict[str, Resident]: ...


class Suppressions(Protocol):
    def reasons(self, contact_hashes: Iterable[str]) -> dict[str, str]: ...


class Claim(Protocol):
    @property
    def claimed(self) -> list[str]: ...

    @property
    def refused(self) -> list[str]: ...  # held by another worker, or done: never sent by this one


class Entry(Protocol):
    """One recipient of one alert on one channel (adapters/ledger.py's LedgerEntry)."""

    @property
    def key(self) -> str: ...

    @property
    def resident_id(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def contact(self) -> str: ...

    @property
    def language(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def footage(self) -> bool: ...


Outcome = tuple[str, str, str | None, str | None]  # ledger key, state, provider id, error


class Ledger(Protocol):
    """The delivery ledger (adapters/ledger.py): the progress item, the frozen audience, claims and outcomes."""

    @property
    def claim_timeout(self) -> float: ...

    def start_plan(self, alert_id: str, shards_total: int, organisation: str = "") -> bool: ...

    def targeting(self, alert_id: str) -> dict[str, Any]: ...

    def put_entries(self, alert_id: str, entries: Iterable[Any]) -> Any: ...

    def finish_piece(self, alert_id: str, piece: str, shard_done: bool, counts: Mapping[str, int],
                     end: str | None = None, previous: str | None = None) -> dict[str, Any] | None: ...

    def add_to_targeting(self, alert_id: str, counts: Mapping[str, int]) -> None: ...

    def set_releases(self, alert_id: str, total: int) -> None: ...

    def segment(self, alert_id: str, channel: str, bucket: str) -> Iterator[Any]: ...

    def entries(self, alert_id: str, keys: Sequence[str]) -> Mapping[str, Any]: ...

    def claim(self, alert_id: str, keys: Sequence[str], token: str) -> Claim: ...

    def record(self, alert_id: str, token: str, outcomes: Sequence[Outcome], slot: int) -> None: ...

    def release_claims(self, alert_id: str, keys: Sequence[str], token: str) -> None: ...

    def mark_stale_unconfirmed(self, alert_id: str, keys: Sequence[str], slot: int) -> list[str]: ...

    def set_status(self, alert_id: str, keys: Sequence[str], status: str, slot: int, only_if: str = ...) -> int: ...

    def tally(self, alert_id: str) -> dict[str, int]: ...


class EmailChannel(Protocol):
    def send(self, content: EmailContent, recipients: Sequence[EmailRecipient]) -> list[SendResult]: ...


class SmsChannel(Protocol):
    def send(self, messages: Sequence[SmsMessage]) -> list[SendResult]: ...


class VoiceChannel(Protocol):
    def send(self, calls: Sequence[VoiceCall]) -> list[SendResult]: ...


class PushChannel(Protocol):
    def send(self, messages: Sequence[PushMessage]) -> list[SendResult]: ...


@dataclass(frozen=True)
class Channels:
    email: EmailChannel
    sms: SmsChannel
    voice: VoiceChannel
    push: PushChannel


@dataclass(frozen=True)
class Next:
    """A job a stage hands on, with how long SQS should hold it first."""

    job: TargetingJob | DeliveryJob
    delay_seconds: int = 0


class PreviewTally(Protocol):
    """A slow preview's counting state (adapters/preview_tally.py): pieces add their counts exactly once."""

    def get(self, preview_id: str) -> PreviewState | None: ...

    def start(self, preview_id: str, pieces: int) -> bool: ...

    def finish_piece(self, preview_id: str, piece: str, previous: str | None, counts: Mapping[str, int],
                     end: str | None) -> PreviewState | None: ...

    def finish(self, preview_id: str, result: Mapping[str, Any]) -> None: ...


class JobSink(Protocol):
    """Puts jobs on their queues: targeting jobs on the targeting queue, a delivery job on its channel's."""

    def send(self, jobs: Sequence[Next]) -> None: ...
