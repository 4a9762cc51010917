"""The dashboard's counters in DynamoDB (table `<prefix>-stats`), and where a resident's places lie among the forces.

`StatsStore.apply` writes one stream record's counter updates in transactions (ADD on each counter), each with a
conditional Put of the record's marker: a record Lambda hands over again finds its marker and changes nothing, so a
retried batch never counts a resident twice. A record with more updates than one transaction holds is split, each
part with a marker of its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import shapely
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite
from shapely.prepared import prep
from ulid import ULID

from ..domain.projection import shape_of
from ..domain.stats import Counter
from .models import AreaModel, StatModel

APPLIED = "applied"
MARKER_DAYS = 2  # longer than a stream keeps a record (24 hours), so a retry always finds its marker
TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
UPDATES_PER_TRANSACTION = TRANSACTION_ITEMS - 1  # and the marker
BOUNDARY_ID = "boundary"


def _already_applied(error: TransactWriteError) -> bool:
    reasons = getattr(error, "cancellation_reasons", None) or []
    return bool(reasons) and getattr(reasons[0], "code", None) == "ConditionalCheckFailed"


class StatsStore:
    def __init__(self, connection: Connection | None = None, clock: Callable[[], float] = time.time) -> None:
        self._connection = connection
        self._clock = clock

    def _transaction(self) -> TransactWrite:
        if self._connection is None:
            self._connection = Connection(region=getattr(StatModel.Meta, "region", None))
        return TransactWrite(connection=self._connection)

    def apply(self, event_id: str, updates: dict[tuple[str, str], int]) -> bool:
        """Adds each update to its counter once; False when this record was applied before (nothing changes)."""
        items = sorted(updates.items())
        parts = [items[start:start + UPDATES_PER_TRANSACTION]
                 for start in range(0, len(items), UPDATES_PER_TRANSACTION)] or [[]]
        applied_any = False
        expires = int(self._clock()) + MARKER_DAYS * 86400
        for number, part in enumerate(parts):
            marker = event_id if number == 0 else f"{event_id}#{number}"
            try:
                with self._transaction() as transaction:
                    transaction.save(StatModel(APPLIED, marker, expires_at=expires),
                                     condition=StatModel.sk.does_not_exist())
                    for (partition, sort_key), delta in part:
                        transaction.update(StatModel(partition, sort_key), actions=[StatModel.n.add(delta)])
                applied_any = True
            except TransactWriteError as error:
                if not _already_applied(error):
                    raise
        return applied_any

    def counters(self, organisation: str, prefix: str, after: str | None = None) -> list[Counter]:
        """The organisation's counters whose sort key starts with `prefix` (and, if given, sorts after `after`)."""
        condition = StatModel.sk > after if after else StatModel.sk.startswith(prefix)
        found = []
        for item in StatModel.query(organisation, condition):
            if str(item.sk).startswith(prefix):
                found.append(Counter(str(item.sk), int(item.n or 0)))
        return found


    def replace_totals(self, organisation: str, totals: dict[str, int]) -> int:
        """Sets the organisation's running totals (sort key -> count) to these, zeroing any other; returns how many
        items were written. The weeks' joined and left are history and are left as they are."""
        existing = {counter.key for counter in self.counters(organisation, "total#")}
        written = 0
        with StatModel.batch_write() as batch:
            for key in sorted(existing | set(totals)):
                batch.save(StatModel(organisation, key, n=totals.get(key, 0)))
                written += 1
        return written


class AreaLocator:
    """Which forces, and which of their named areas, hold a point: every organisation's areas, read once and kept for
    `ttl_seconds` (a Lambda container serves many stream batches), as prepared shapes."""

    def __init__(self, organisations: Callable[[], Iterable[str]], ttl_seconds: float = 300,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._organisations = organisations
        self._ttl = ttl_seconds
        self._clock = clock
        self._loaded_at: float | None = None
        self._shapes: list[tuple[str, str, Any, tuple[float, float, float, float]]] = []

    def _load(self) -> None:
        shapes = []
        for organisation in self._organisations():
            for item in AreaModel.query(organisation):
                shape = shapely.make_valid(shape_of(json.loads(item.geometry)))
                shapes.append((organisation, str(item.area_id), prep(shape), shape.bounds))
        self._shapes = shapes
        self._loaded_at = self._clock()

    def __call__(self, lat: float, lng: float) -> list[tuple[str, str | None]]:
        if self._loaded_at is None or self._clock() - self._loaded_at > self._ttl:
            self._load()
        point = shapely.Point(lng, lat)
        inside: dict[str, set[str]] = {}
        for organisation, area_id, shape, (min_x, min_y, max_x, max_y) in self._shapes:
            if min_x <= lng <= max_x and min_y <= lat <= max_y and shape.covers(point):
                inside.setdefault(organisation, set()).add(area_id)
        # A force counts a resident whose place is inside its boundary; its named areas only within that.
        return [(organisation, area_id if area_id != BOUNDARY_ID else None)
                for organisation, area_ids in inside.items() if BOUNDARY_ID in area_ids
                for area_id in sorted(area_ids)]


class ConversationCounts:
    """Replies by arrival (their ids are ULIDs, so a week is a key range) and survey answers by alert, counted on their
    own tables for the dashboard."""

    def __init__(self, replies: Any, answers: Any) -> None:
        self._replies = replies
        self._answers = answers

    def replies_between(self, organisation: str, start: float, end: float) -> int:
        return int(self._replies.count_between(organisation, str(ULID.from_timestamp(start))[:10] + "0" * 16,
                                               str(ULID.from_timestamp(end))[:10] + "0" * 16))

    def answers_for(self, alert_id: str) -> int:
        return int(self._answers.count_for(alert_id))
