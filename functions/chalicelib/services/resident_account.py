"""The signed-in resident's own account: seeing it, changing their alerts, exporting it, registering devices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..domain.errors import FieldError, invalid
from ..domain.residents import ACTIVE, OPTED_OUT, Device, Resident, check_preferences
from .resident_common import CHANNELS_SERVED_BY, Locator, ResidentSettings, describe_location, iso
from .resident_ports import PushRegistry, ResidentRecords, Suppressions


class ResidentAccount:
    def __init__(self, *, store: ResidentRecords, suppressions: Suppressions, locator: Locator, push: PushRegistry,
                 settings: ResidentSettings, clock: Callable[[], float], new_id: Callable[[], str]) -> None:
        self._store = store
        self._suppressions = suppressions
        self._locator = locator
        self._push = push
        self._settings = settings
        self._clock = clock
        self._new_id = new_id

    def view(self, resident: Resident) -> dict[str, Any]:
        return {
            "id": resident.id,
            "status": resident.status,
            "name": resident.name,
            "language": resident.language,
            "channels": resident.channels,
            "reachable_channels": resident.reachable_channels(),
            "categories": resident.categories,
            "business_sectors": resident.business_sectors,
            "groups": resident.groups,
            "senders": resident.senders,
            "locations": [describe_location(loc, None) for loc in resident.locations],
            "contacts": [{"kind": c.kind, "address": c.address, "verified": bool(c.verified_at)}
                         for c in resident.contacts],
            "devices": [{"id": d.id, "platform": d.platform, "label": d.label, "created_at": d.created_at}
                        for d in resident.devices],
        }

    def update(self, resident: Resident, body: dict[str, Any]) -> dict[str, Any]:
        previous = replace(resident, locations=list(resident.locations))
        channels = body.get("channels", resident.channels)
        categories = body.get("categories", resident.categories)
        sectors = body.get("business_sectors", resident.business_sectors if "business" in categories else [])
        check_preferences(channels, categories, sectors, {c.kind for c in resident.contacts})
        if "locations" in body:
            resident.locations = [loc for loc, _ in self._locator.locate(body["locations"])]
        resident.channels, resident.categories, resident.business_sectors = list(channels), list(categories), \
            list(sectors)
        resident.groups = list(body.get("groups", resident.groups))
        resident.senders = list(body.get("senders", resident.senders))
        resident.language = body.get("language", resident.language)
        resident.name = body.get("name", resident.name)
        if resident.status == OPTED_OUT and ("channels" in body or "categories" in body):
            # Choosing channels again after opting out is opting back in, for the contacts that serve them.
            resident.status = ACTIVE
            for record in resident.contacts:
                served = CHANNELS_SERVED_BY[record.kind]
                if any(ch in channels for ch in served) and self._suppressions.reason(record.hash) == "opted_out":
                    self._suppressions.lift(record.hash)
        resident.updated_at = iso(self._clock())
        self._store.save(resident, previous)
        return self.view(resident)

    def export(self, resident: Resident) -> dict[str, Any]:
        """Everything held about the resident (subject access)."""
        return {
            **self.view(resident),
            "consent": {"notice_version": resident.consent.notice_version, "given_at": resident.consent.given_at,
                        "age_confirmed": resident.consent.age_confirmed},
            "locations": [vars(loc) for loc in resident.locations],
            "contacts": [{"kind": c.kind, "address": c.address, "verified_at": c.verified_at}
                         for c in resident.contacts],
            "devices": [{**vars(d), "token": d.token[:6] + "..."} for d in resident.devices],
            "suppressions": [{"contact": c.address, "reason": reason} for c in resident.contacts
                             if (reason := self._suppressions.reason(c.hash))],
            "created_at": resident.created_at,
            "updated_at": resident.updated_at,
            "purpose": "Used by the police for policing purposes only: alerts, appeals and crime prevention.",
        }

    def register_device(self, resident: Resident, body: dict[str, Any]) -> dict[str, Any]:
        existing = next((d for d in resident.devices if d.token == body["token"]), None)
        if existing is not None:
            return {"id": existing.id, "platform": existing.platform, "push_enabled": "push" in resident.channels}
        if len(resident.devices) >= self._settings.max_devices:
            raise invalid("Too many devices: remove one first.", FieldError("/token", "device limit reached"))
        previous = replace(resident, devices=list(resident.devices))
        endpoint = self._push.register(body["platform"], body["token"], resident.id)
        device = Device(self._new_id(), body["platform"], body["token"], endpoint, body.get("label"),
                        iso(self._clock()))
        resident.devices.append(device)
        resident.updated_at = device.created_at
        self._store.save(resident, previous)
        return {"id": device.id, "platform": device.platform, "push_enabled": "push" in resident.channels}
