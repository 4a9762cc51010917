"""The alert as the pipeline moves it: read it, move it (a cancel by an officer wins), audit what the system did,
and call it sent once every recipient has an outcome. Shared by every stage."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from ...domain.alerts import Alert, Status, utc_text
from ...domain.errors import HexwatchError
from ...domain.progress import Progress
from .ports import AlertRecords, Ledger

logger = Logger(child=True)


class AlertLifecycle:
    def __init__(self, store: AlertRecords, ledger: Ledger, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._ledger = ledger
        self._clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def load(self, organisation: str, alert_id: str) -> tuple[Alert, Any] | None:
        return self._store.get(organisation, alert_id)

    def progress(self, alert_id: str) -> Progress:
        return Progress.from_item(self._ledger.targeting(alert_id))

    def audit(self, alert: Alert, action: str, audience: int | None = None, detail: str | None = None) -> None:
        self._store.record_action(alert, action, "system", "system", utc_text(self.now()), audience, detail)

    def move(self, alert: Alert, item: Any, to: Status, reason: str | None = None) -> bool:
        """Moves the alert if nobody moved it first (a cancel wins over the pipeline)."""
        now = self.now()
        try:
            alert.move(to, "system", now, reason)
            self._store.save(alert, item, utc_text(now))
            return True
        except HexwatchError as error:  # 409: someone changed it first; the pipeline re-reads at its next step
            logger.info("alert not moved", extra={"alert_id": alert.id, "to": to.value, "reason": str(error)})
            return False

    def save(self, alert: Alert, item: Any) -> bool:
        """Writes a change other than a move (a link to the same appeal sent earlier) if nobody changed it first."""
        try:
            self._store.save(alert, item, utc_text(self.now()))
            return True
        except HexwatchError:
            return False

    def finish_if_done(self, organisation: str, alert_id: str) -> bool:
        """The alert becomes sent once every release job ran and every released recipient has an outcome."""
        progress = self.progress(alert_id)
        if not progress.finished(self._ledger.tally(alert_id)):
            return False
        found = self.load(organisation, alert_id)
        if found is None or found[0].status not in (Status.SENDING, Status.PAUSED):
            return False
        if self.move(*found, Status.SENT):
            self.audit(found[0], "sent", sum(progress.released.values()))
            return True
        return False
