"""Public alerts, published: a force's Atom feed of CAP 1.2 messages, each message on its own, and the list the
site's public page shows by area. Only alerts marked `public` that have started sending are ever shown, and their
area is the published one (domain/cap_out.py), never the drawn target.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from lxml import etree

from ..adapters.alerts_store import AlertStore
from ..domain import alerts as alert_rules
from ..domain.alerts import Alert, Status
from ..domain.cap_out import Publisher, atom_feed, cap_element, cap_xml, published_area
from ..domain.errors import FieldError, HexwatchError
from .alerts import AlertSettings

FEED_ENTRIES = 50
FEED_DAYS = 90
SHOWN = (Status.SENDING, Status.PAUSED, Status.SENT)


class AreaLookup(Protocol):
    def area_names(self, organisation: str, area_ids: list[str]) -> dict[str, str]: ...
    def area_containing(self, organisation: str, area_ids: list[str],
                        points: list[tuple[float, float]]) -> str | None: ...


def no_such_alert() -> HexwatchError:
    return HexwatchError("There is no such public alert.", [FieldError("/alert_id", "not found")], 404, "NotFound")


class FeedService:
    def __init__(self, *, store: AlertStore, areas: AreaLookup, area_ids: Callable[[str], list[str]],
                 settings: AlertSettings,
                 organisation_known: Callable[[str], bool], forces: Callable[[], list[tuple[str, str]]],
                 clock: Callable[[], float] = time.time) -> None:
        self._forces = forces
        self._area_ids = area_ids
        self._store = store
        self._areas = areas
        self._settings = settings
        self._known = organisation_known
        self._clock = clock

    def _publisher(self, organisation: str) -> Publisher:
        if not self._known(organisation):
            raise HexwatchError("There is no such organisation.", [FieldError("/organisation", "not found")], 404,
                                "NotFound")
        return Publisher(organisation, self._settings.sender_name(organisation), self._settings.links)

    def cap_url(self, organisation: str, alert_id: str) -> str:
        return f"{self._settings.links.api_url.rstrip('/')}/v1/feeds/{organisation}/alerts/{alert_id}.xml"

    def _area(self, alert: Alert) -> dict[str, Any]:
        ids = list(alert.target.get("area_ids") or [])
        names = self._areas.area_names(alert.source.organisation, ids) if ids else {}
        return published_area(alert, names, self._settings.sender_name(alert.source.organisation))

    def _element(self, publisher: Publisher, alert: Alert) -> etree._Element:
        originals = []
        for reference in alert.references:
            found = self._store.get(alert.source.organisation, reference)
            if found is not None and found[0].public and found[0].status in SHOWN:
                originals.append(found[0])  # a reference to an alert never published is left out
        return cap_element(alert, publisher, self._settings.sender_of(alert), self._area(alert), originals)

    def _recent(self, organisation: str) -> list[Alert]:
        return self._store.published(organisation, FEED_ENTRIES, self._clock() - FEED_DAYS * 86400)

    def atom(self, organisation: str) -> bytes:
        publisher = self._publisher(organisation)
        entries = [(alert, self._element(publisher, alert), self.cap_url(organisation, alert.id))
                   for alert in self._recent(organisation)]
        self_url = f"{self._settings.links.api_url.rstrip('/')}/v1/feeds/{organisation}/alerts.atom"
        return atom_feed(publisher, self_url, entries, datetime.fromtimestamp(self._clock(), UTC))

    def cap(self, organisation: str, alert_id: str) -> bytes:
        publisher = self._publisher(organisation)
        found = self._store.get(organisation, alert_id)
        if found is None or not found[0].public or found[0].status not in SHOWN:
            raise no_such_alert()
        return cap_xml(self._element(publisher, found[0]))

    def recent(self, organisation: str, area_id: str | None) -> dict[str, Any]:
        """The public page's list: newest first; with `area_id`, the alerts aimed at that named area, at the whole
        force, or at a drawn target whose published centre lies in it."""
        self._publisher(organisation)
        shown = []
        for alert in self._recent(organisation):
            area = self._area(alert)
            if area_id and not self._in_area(alert, area, area_id):
                continue
            content = next(iter(alert.content.values()))
            shown.append({"id": alert.id, "title": content.title, "from": self._settings.sender_of(alert),
                          "category": alert.category, "priority": alert.priority, "type": alert.type,
                          "incident_ref": alert.incident_ref, "area": area["description"],
                          "sent_at_local": alert_rules.london_text(alert.send_at or alert.created_at)})
        ids = [i for i in self._area_ids(organisation) if i != "boundary"]
        names = self._areas.area_names(organisation, ids)
        return {"organisation": organisation, "name": self._settings.sender_name(organisation), "area": area_id,
                "areas": sorted(({"id": i, "name": names.get(i, i)} for i in ids), key=lambda a: a["name"]),
                "alerts": shown,
                "feed": f"{self._settings.links.api_url.rstrip('/')}/v1/feeds/{organisation}/alerts.atom"}

    def forces(self) -> dict[str, Any]:
        """The forces whose public alerts can be read here: their ids and names."""
        return {"organisations": [{"organisation": i, "name": self._settings.sender_name(i) if not name or name == i
                                   else name} for i, name in self._forces()]}

    def _in_area(self, alert: Alert, area: dict[str, Any], area_id: str) -> bool:
        if alert.target["type"] == "organisation":
            return True
        if "area_ids" in area:
            return area_id in area["area_ids"]
        lat, lng, _ = area["circle"]
        return self._areas.area_containing(alert.source.organisation, [area_id], [(lat, lng)]) == area_id
