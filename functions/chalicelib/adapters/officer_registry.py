"""The officer registry and the organisations table in DynamoDB, read by the authorizer on every request.

Read with the low-level client (the authorizer runs as its own function and reads one item per request), and cached
in the process for at most `cache_seconds`: a removed officer or a narrowed scope takes effect within that time,
together with API Gateway's own authorizer cache (also 60 s, set on the authorizer in api/officers.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..domain.errors import FieldError, HexwatchError
from ..domain.officers import RegistryEntry
from ..domain.partners import Partner, SigningSecret

CACHE_SECONDS = 60.0
BY_ORGANISATION_INDEX = "by-organisation"
# Forces and partners share the organisations table (one registry, one key space, so an id names one of them only).
# Items written before partners existed have no kind: they are forces.
PARTNER_KIND = "partner"


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    created_by: str
    created_at: str


def _entry_from_item(item: dict[str, Any]) -> RegistryEntry:
    return RegistryEntry(
        sub=item["sub"]["S"], username=item.get("username", {}).get("S", ""),
        organisation=item.get("organisation", {}).get("S", ""), role=item.get("role", {}).get("S", ""),
        areas=tuple(sorted(item.get("areas", {}).get("SS", []))),
        whole_organisation=bool(item.get("whole_organisation", {}).get("BOOL", False)),
        updated_by=item.get("updated_by", {}).get("S", ""), updated_at=item.get("updated_at", {}).get("S", ""))


def _item_from_entry(entry: RegistryEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "sub": {"S": entry.sub}, "username": {"S": entry.username}, "role": {"S": entry.role},
        "whole_organisation": {"BOOL": entry.whole_organisation}, "updated_by": {"S": entry.updated_by},
        "updated_at": {"S": entry.updated_at}}
    if entry.organisation:  # an operator has none, and a GSI key attribute cannot be an empty string
        item["organisation"] = {"S": entry.organisation}
    if entry.areas:  # DynamoDB stores no empty sets
        item["areas"] = {"SS": sorted(entry.areas)}
    return item


def _is_partner(item: dict[str, Any]) -> bool:
    return item.get("kind", {}).get("S") == PARTNER_KIND


def _partner_from_item(item: dict[str, Any]) -> Partner:
    def texts(name: str) -> tuple[str, ...]:
        return tuple(sorted(item.get(name, {}).get("SS", [])))

    secrets = tuple(SigningSecret(s["M"]["id"]["S"], s["M"]["secret"]["S"], s["M"]["created_at"]["S"])
                    for s in item.get("secrets", {}).get("L", []))
    return Partner(id=item["organisation"]["S"], name=item["name"]["S"], partner_type=item["partner_type"]["S"],
                   host_force=item["host_force"]["S"], categories=texts("categories"), channels=texts("channels"),
                   areas=texts("areas"), whole_force=bool(item.get("whole_force", {}).get("BOOL", False)),
                   trust=item["trust"]["S"], secrets=secrets,
                   webhook_url=item.get("webhook_url", {}).get("S"), webhook_events=texts("webhook_events"),
                   created_by=item.get("created_by", {}).get("S", ""),
                   created_at=item.get("created_at", {}).get("S", ""),
                   updated_at=item.get("updated_at", {}).get("S", ""))


def _item_from_partner(partner: Partner) -> dict[str, Any]:
    item: dict[str, Any] = {
        "organisation": {"S": partner.id}, "kind": {"S": PARTNER_KIND}, "name": {"S": partner.name},
        "partner_type": {"S": partner.partner_type}, "host_force": {"S": partner.host_force},
        "categories": {"SS": sorted(partner.categories)}, "channels": {"SS": sorted(partner.channels)},
        "whole_force": {"BOOL": partner.whole_force}, "trust": {"S": partner.trust},
        "secrets": {"L": [{"M": {"id": {"S": s.id}, "secret": {"S": s.secret}, "created_at": {"S": s.created_at}}}
                          for s in partner.secrets]},
        "created_by": {"S": partner.created_by}, "created_at": {"S": partner.created_at},
        "updated_at": {"S": partner.updated_at}}
    if partner.areas:
        item["areas"] = {"SS": sorted(partner.areas)}
    if partner.webhook_url and partner.webhook_events:
        item["webhook_url"] = {"S": partner.webhook_url}
        item["webhook_events"] = {"SS": sorted(partner.webhook_events)}
    return item


def id_taken(pointer: str = "/partner_id") -> HexwatchError:
    return HexwatchError("That id belongs to another organisation or partner.",
                         [FieldError(pointer, "is taken by another organisation or partner")], 409, "Conflict")


def _organisation_from_item(item: dict[str, Any]) -> Organisation:
    organisation_id = item["organisation"]["S"]
    return Organisation(organisation_id, item.get("name", {}).get("S", organisation_id),
                        item.get("created_by", {}).get("S", ""), item.get("created_at", {}).get("S", ""))


class OfficerRegistry:
    def __init__(self, client: Any, officers_table: str, organisations_table: str,
                 clock: Callable[[], float] = time.monotonic, cache_seconds: float = CACHE_SECONDS) -> None:
        self._client = client
        self._officers = officers_table
        self._organisations = organisations_table
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._entries: dict[str, tuple[float, RegistryEntry | None]] = {}
        self._known_organisations: dict[str, tuple[float, Organisation | None]] = {}

    # --- reads (cached) --------------------------------------------------------------------------------------------

    def entry(self, sub: str) -> RegistryEntry | None:
        cached = self._entries.get(sub)
        if cached is not None and self._clock() - cached[0] < self._cache_seconds:
            return cached[1]
        item = self._client.get_item(TableName=self._officers, Key={"sub": {"S": sub}},
                                     ConsistentRead=True).get("Item")
        entry = _entry_from_item(item) if item else None
        self._entries[sub] = (self._clock(), entry)
        return entry

    def organisation(self, organisation_id: str) -> Organisation | None:
        cached = self._known_organisations.get(organisation_id)
        if cached is not None and self._clock() - cached[0] < self._cache_seconds:
            return cached[1]
        item = self._client.get_item(TableName=self._organisations, Key={"organisation": {"S": organisation_id}},
                                     ConsistentRead=True).get("Item")
        found = _organisation_from_item(item) if item and not _is_partner(item) else None
        self._known_organisations[organisation_id] = (self._clock(), found)
        return found

    # --- management (never cached) ---------------------------------------------------------------------------------

    def fresh_entry(self, sub: str) -> RegistryEntry | None:
        self._entries.pop(sub, None)
        return self.entry(sub)

    def put_entry(self, entry: RegistryEntry) -> None:
        self._client.put_item(TableName=self._officers, Item=_item_from_entry(entry))
        self._entries.pop(entry.sub, None)

    def remove_entry(self, sub: str) -> None:
        self._client.delete_item(TableName=self._officers, Key={"sub": {"S": sub}})
        self._entries.pop(sub, None)

    def entries_of(self, organisation: str) -> list[RegistryEntry]:
        entries: list[RegistryEntry] = []
        request: dict[str, Any] = {
            "TableName": self._officers, "IndexName": BY_ORGANISATION_INDEX,
            "KeyConditionExpression": "organisation = :organisation",
            "ExpressionAttributeValues": {":organisation": {"S": organisation}}}
        while True:
            page = self._client.query(**request)
            entries.extend(_entry_from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return sorted(entries, key=lambda e: e.username)
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_organisation(self, organisation: Organisation) -> None:
        try:
            self._client.put_item(TableName=self._organisations, Item={
                "organisation": {"S": organisation.id}, "name": {"S": organisation.name},
                "created_by": {"S": organisation.created_by}, "created_at": {"S": organisation.created_at}},
                ConditionExpression="attribute_not_exists(kind) OR kind <> :partner",
                ExpressionAttributeValues={":partner": {"S": PARTNER_KIND}})
        except self._client.exceptions.ConditionalCheckFailedException:
            raise id_taken("/organisation") from None
        self._known_organisations.pop(organisation.id, None)

    # --- partners (never cached: the webhook reads its partner's current secrets and scope on every request) --------

    def partner(self, partner_id: str) -> Partner | None:
        item = self._client.get_item(TableName=self._organisations, Key={"organisation": {"S": partner_id}},
                                     ConsistentRead=True).get("Item")
        return _partner_from_item(item) if item and _is_partner(item) else None

    def put_partner(self, partner: Partner, *, new: bool) -> None:
        """Writes a partner; a new one only where the id is free, a change only to a partner of the same host."""
        if new:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(organisation)"}
        else:
            condition = {"ConditionExpression": "kind = :partner AND host_force = :host",
                         "ExpressionAttributeValues": {":partner": {"S": PARTNER_KIND},
                                                       ":host": {"S": partner.host_force}}}
        try:
            self._client.put_item(TableName=self._organisations, Item=_item_from_partner(partner), **condition)
        except self._client.exceptions.ConditionalCheckFailedException:
            raise id_taken() from None

    def partners_of(self, host_force: str) -> list[Partner]:
        items = self._scan({"FilterExpression": "kind = :partner AND host_force = :host",
                            "ExpressionAttributeValues": {":partner": {"S": PARTNER_KIND}, ":host": {"S": host_force}}})
        return sorted((_partner_from_item(item) for item in items), key=lambda p: p.id)

    def _scan(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of the organisations table the request selects, page by page (forces and partners are few)."""
        items: list[dict[str, Any]] = []
        request = {"TableName": self._organisations, **request}
        while True:
            page = self._client.scan(**request)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def organisations(self) -> list[Organisation]:
        return sorted((_organisation_from_item(item) for item in self._scan({}) if not _is_partner(item)),
                      key=lambda o: o.id)


class CognitoDirectory:
    """Finds a user's immutable `sub` from their sign-in name, so the registry is keyed by what users cannot change."""

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def sub_of(self, username: str) -> str | None:
        try:
            user = self._client.admin_get_user(UserPoolId=self._pool, Username=username)
        except (self._client.exceptions.UserNotFoundException, self._client.exceptions.InvalidParameterException):
            return None  # no such user, or a name no user could have (Cognito's own rules): the same to the caller
        return next((a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "sub"), None)
