"""The force dashboard: resident figures from the stream-fed counters (domain/stats.py), delivery figures from each
sent alert's own ledger counters, small cells hidden. `GET /v1/stats` and its CSV; `aggregate` is the stream's side.

Nothing here reads the resident table: members and verified contacts come from the counters the stream keeps, and
alerts' figures from the alerts table (one Query over the weeks shown) and each alert's ledger tally.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer

from ..domain import stats as rules
from ..domain.alerts import Alert
from ..domain.errors import FieldError, forbidden, invalid
from ..domain.officers import Officer, Role
from ..domain.progress import Progress, progress_view
from ..domain.small_counts import SMALL_COUNT

# Listed even at zero (schemas/defs.json's channels and categories); watch schemes and contact kinds are listed once
# someone was counted in them.
CHANNELS = ("email", "sms", "voice", "push")
CATEGORIES = ("crime", "rural", "business", "neighbourhood")
MAX_WEEKS = 26
DEFAULT_WEEKS = 8
MAX_ALERTS = 500  # the alerts read for one dashboard; a force sending more in the weeks shown sees a note
_deserialise = TypeDeserializer().deserialize


class Counters(Protocol):
    def apply(self, event_id: str, updates: dict[tuple[str, str], int]) -> bool: ...
    def counters(self, organisation: str, prefix: str, after: str | None = None) -> list[rules.Counter]: ...
    def replace_totals(self, organisation: str, totals: dict[str, int]) -> int: ...


class SentAlerts(Protocol):
    def sent_since(self, organisation: str, created_after: float) -> list[Alert]: ...


class Ledger(Protocol):
    def targeting(self, alert_id: str) -> dict[str, Any]: ...
    def tally(self, alert_id: str) -> dict[str, int]: ...


class Conversations(Protocol):
    """Replies and survey answers, counted where they are kept (their own tables, by key: never the residents)."""

    def replies_between(self, organisation: str, start: float, end: float) -> int: ...
    def answers_for(self, alert_id: str) -> int: ...


def plain(image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stream image (DynamoDB's typed JSON) as plain values."""
    return {key: _deserialise(value) for key, value in image.items()} if image else None


class StatsService:
    def __init__(self, *, counters: Counters, locate: rules.Locate, alerts: SentAlerts, ledger: Ledger,
                 area_names: Callable[[str], dict[str, str]], clock: Callable[[], float],
                 conversations: Conversations | None = None) -> None:
        self._conversations = conversations
        self._counters = counters
        self._locate = locate
        self._alerts = alerts
        self._ledger = ledger
        self._area_names = area_names
        self._clock = clock

    # --- the stream's side -----------------------------------------------------------------------------------------

    def aggregate(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Applies each stream record (eventID, the old and new images, its time) once; returns how many changed a
        counter. In order: a record is applied only after those before it."""
        applied = 0
        for record in records:
            before = rules.cells(plain(record.get("old_image")), self._locate)
            after = rules.cells(plain(record.get("new_image")), self._locate)
            if before == after:
                continue
            week = rules.iso_week(record["at"])
            if self._counters.apply(str(record["event_id"]), rules.changes(before, after, week)):
                applied += 1
        return applied

    def recount(self, residents: Iterable[Mapping[str, Any]], organisations: Iterable[str]) -> dict[str, int]:
        """Every organisation's running totals set afresh from these profiles (the operator's repair after stream
        records were lost to the dead-letter queue); returns members per organisation."""
        counted = rules.recount(residents, self._locate)
        members: dict[str, int] = {}
        for organisation in organisations:
            totals = {key: n for (org, key), n in counted.items() if org == organisation}
            self._counters.replace_totals(organisation, totals)
            members[organisation] = totals.get("total#members#all#all", 0)
        return members

    # --- the dashboard ---------------------------------------------------------------------------------------------

    def dashboard(self, officer: Officer, weeks: int = DEFAULT_WEEKS) -> dict[str, Any]:
        if officer.role < Role.OFFICER:
            raise forbidden("The dashboard is for officers, supervisors and administrators.")
        if not 1 <= weeks <= MAX_WEEKS:
            raise invalid("That number of weeks is not valid.", FieldError("/weeks", f"must be 1 to {MAX_WEEKS}"))
        organisation = officer.organisation
        now = datetime.fromtimestamp(self._clock(), UTC)
        labels = [rules.iso_week(now - timedelta(weeks=back)) for back in range(weeks - 1, -1, -1)]
        totals = rules.totals(self._counters.counters(organisation, rules.TOTAL_PREFIX))
        # Week keys sort by year then week, so one range read from the first week shown takes them all.
        weekly = rules.weekly(self._counters.counters(organisation, rules.WEEK_PREFIX,
                                                      after=f"{rules.WEEK_PREFIX}#{labels[0]}"))
        names = self._area_names(organisation)
        own_areas = None if officer.whole_organisation else set(officer.areas)
        members = totals.get("members", {})
        by_area = {area: count for area, count in members.get("area", {}).items()
                   if own_areas is None or area in own_areas}
        view: dict[str, Any] = {
            "organisation": organisation,
            "weeks": labels,
            "scope": "organisation" if own_areas is None else "areas",
            "small_count": SMALL_COUNT,
            "area_names": {area: name for area, name in names.items() if own_areas is None or area in own_areas},
            "members": {"by_area": rules.shown(by_area, [a for a in names if own_areas is None or a in own_areas])},
        }
        if own_areas is None:
            view["members"].update({
                "all": rules.shown({"all": members.get(rules.ALL, {}).get(rules.ALL, 0)})["all"],
                "by_channel": rules.shown(members.get("channel", {}), CHANNELS),
                "by_category": rules.shown(members.get("category", {}), CATEGORIES),
                "by_group": rules.shown(members.get("group", {})),
            })
            view["verified_contacts"] = rules.shown(totals.get("verified", {}).get("contact", {}))
            view["weekly"] = [self._week(label, weekly.get(label, {})) for label in labels]
            view["alerts"], view["alerts_note"] = self._alert_weeks(organisation, labels, now, weeks)
        return view

    @staticmethod
    def _week(label: str, movements: Mapping[str, Mapping[str, Mapping[str, int]]]) -> dict[str, Any]:
        row: dict[str, Any] = {"week": label}
        for movement in ("joined", "left"):
            cells = movements.get(f"members-{movement}", {})
            row[movement] = rules.shown({"all": cells.get(rules.ALL, {}).get(rules.ALL, 0)})["all"]
            row[f"{movement}_by_channel"] = rules.shown(cells.get("channel", {}), CHANNELS)
        return row

    def _alert_weeks(self, organisation: str, labels: list[str], now: datetime,
                     weeks: int) -> tuple[list[dict[str, Any]], str | None]:
        since = (now - timedelta(weeks=weeks)).timestamp()
        alerts = self._alerts.sent_since(organisation, since)
        note = None
        if len(alerts) > MAX_ALERTS:
            alerts = sorted(alerts, key=lambda a: a.id, reverse=True)[:MAX_ALERTS]
            note = f"Only the latest {MAX_ALERTS} alerts of these weeks are counted."
        rows: dict[str, dict[str, Any]] = {label: {"week": label, "alerts_sent": 0, "by_category": {}, "channels": {},
                                                   "replies": None, "survey_answers": None} for label in labels}
        if self._conversations is not None:
            for label in labels:
                start = datetime.fromisocalendar(int(label[:4]), int(label[6:]), 1).replace(tzinfo=UTC)
                rows[label]["replies"] = self._conversations.replies_between(
                    organisation, start.timestamp(), (start + timedelta(weeks=1)).timestamp())
                rows[label]["survey_answers"] = 0
        for alert in alerts:
            row = rows.get(rules.iso_week(alert.created_at))
            if row is None:
                continue
            row["alerts_sent"] += 1
            if self._conversations is not None and alert.survey:
                row["survey_answers"] += self._conversations.answers_for(alert.id)
            row["by_category"][alert.category] = row["by_category"].get(alert.category, 0) + 1
            progress = progress_view(Progress.from_item(self._ledger.targeting(alert.id)),
                                     self._ledger.tally(alert.id), list(alert.channels))
            for channel, counts in progress.items():
                summed = row["channels"].setdefault(channel, {"reached": 0, "delivered": 0, "bounced": 0,
                                                              "failed": 0})
                summed["reached"] += counts["sent"] + counts["bounced"]
                summed["delivered"] += counts["delivered"]
                summed["bounced"] += counts["bounced"]
                summed["failed"] += counts["failed"]
        return [self._alert_row(rows[label]) for label in labels], note

    @staticmethod
    def _alert_row(row: dict[str, Any]) -> dict[str, Any]:
        """Alert counts are not about residents and are shown as they are; recipients are, and rates are shown only
        where the recipients they divide are shown."""
        channels = {}
        for channel, counts in sorted(row["channels"].items()):
            reached = counts["reached"]
            hidden = reached < SMALL_COUNT
            channels[channel] = {
                "reached": rules.shown({"n": reached})["n"],
                "delivery_rate": None if hidden else round(counts["delivered"] / reached, 3),
                "bounce_rate": None if hidden else round(counts["bounced"] / reached, 3),
            }
        # Replies and answers come from residents: hidden below 5 like every resident figure.
        conversations = {name: (None if row[name] is None else rules.shown({"n": row[name]})["n"])
                         for name in ("replies", "survey_answers")}
        return {"week": row["week"], "alerts_sent": row["alerts_sent"], "by_category": row["by_category"],
                "channels": channels, **conversations}


def as_csv(view: Mapping[str, Any]) -> str:
    """The dashboard as one table: section, dimension, value, week, figure (hidden cells as they are shown)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "dimension", "value", "week", "figure"])
    members = view.get("members", {})
    if "all" in members:
        writer.writerow(["members", "all", "all", "", members["all"]])
    for dimension in ("area", "channel", "category", "group"):
        for value, figure in (members.get(f"by_{dimension}") or {}).items():
            writer.writerow(["members", dimension, value, "", figure])
    for kind, figure in (view.get("verified_contacts") or {}).items():
        writer.writerow(["verified_contacts", "kind", kind, "", figure])
    for row in view.get("weekly") or []:
        for movement in ("joined", "left"):
            writer.writerow([movement, "all", "all", row["week"], row[movement]])
            for channel, figure in row[f"{movement}_by_channel"].items():
                writer.writerow([movement, "channel", channel, row["week"], figure])
    for row in view.get("alerts") or []:
        writer.writerow(["alerts_sent", "all", "all", row["week"], row["alerts_sent"]])
        for name in ("replies", "survey_answers"):
            if row.get(name) is not None:
                writer.writerow([name, "all", "all", row["week"], row[name]])
        for category, figure in row["by_category"].items():
            writer.writerow(["alerts_sent", "category", category, row["week"], figure])
        for channel, figures in row["channels"].items():
            for name, figure in figures.items():
                writer.writerow([name, "channel", channel, row["week"], "" if figure is None else figure])
    return out.getvalue()
