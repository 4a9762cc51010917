"""Residents in DynamoDB: profiles, contact ownership, targeting items, suppressions. Built on the PynamoDB models."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.audience import places_attributes
from ..domain.geo import KeyRange, LocationKey
from ..domain.residents import Consent, ContactRecord, Device, Location, Resident
from .models import (
    ConsentMap,
    ContactMap,
    ContactModel,
    DeviceMap,
    LocationMap,
    LocationModel,
    SubscriberModel,
    SuppressionModel,
)
from .provider_errors import Provider, classify

BATCH_GET_LIMIT = 100  # DynamoDB's limit per BatchGetItem
UNPROCESSED_PAUSES = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 0.0)  # pause before each retry (none after the last)


class UnprocessedReads(Exception):
    """DynamoDB kept returning unprocessed keys (throttled): the caller's message is retried later."""


class ContactTaken(Exception):
    """Another resident has verified one of the contacts meanwhile (a race between a signup and a verification)."""


# Erasure and purging skip contacts that another signup has claimed meanwhile; a claim that moves during the
# transaction fails its condition, and the contacts are read again.
OWNERSHIP_ATTEMPTS = 3


def _condition_failed(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def _to_model(resident: Resident) -> SubscriberModel:
    return SubscriberModel(
        resident_id=resident.id,
        status=resident.status,
        name=resident.name,
        language=resident.language,
        channels=list(resident.channels),
        categories=list(resident.categories),
        business_sectors=list(resident.business_sectors),
        groups=list(resident.groups),
        senders=list(resident.senders),
        locations=[LocationMap(**vars(location)) for location in resident.locations],
        contacts=[ContactMap(**vars(contact)) for contact in resident.contacts],
        devices=[DeviceMap(**vars(device)) for device in resident.devices],
        consent=ConsentMap(**vars(resident.consent)),
        created_at=resident.created_at,
        updated_at=resident.updated_at,
    )


def _from_model(item: SubscriberModel) -> Resident:
    return _from_item(item.serialize())


def _from_item(item: dict[str, Any]) -> Resident:
    """A Resident from a subscriber item in DynamoDB's JSON: the one reader of the stored shape, for the model reads
    too (through `serialize()`).

    Delivery reads a hundred profiles per message straight from the low-level client: PynamoDB's attribute-by-
    attribute deserialising of the nested lists of maps cost a delivery worker more CPU than everything else it does
    (docs/performance.md).
    """
    return Resident(
        id=item["resident_id"]["S"],
        status=item["status"]["S"],
        name=_text(item.get("name")),
        language=item["language"]["S"],
        channels=_texts(item.get("channels")),
        categories=_texts(item.get("categories")),
        business_sectors=_texts(item.get("business_sectors")),
        groups=_texts(item.get("groups")),
        senders=_texts(item.get("senders")),
        locations=[_location(fields) for fields in _maps(item.get("locations"))],
        contacts=[ContactRecord(**{"verified_at": None, **fields}) for fields in _maps(item.get("contacts"))],
        devices=[Device(**{"endpoint_arn": None, "label": None, **fields}) for fields in _maps(item.get("devices"))],
        consent=Consent(**{name: _plain(value) for name, value in item["consent"]["M"].items()}),
        created_at=item["created_at"]["S"],
        updated_at=item["updated_at"]["S"],
    )


def _plain(value: dict[str, Any]) -> Any:
    (kind, raw), = value.items()
    if kind == "N":
        return float(raw)
    return None if kind == "NULL" else raw  # S and BOOL as they are


def _text(value: dict[str, Any] | None) -> str | None:
    return None if value is None or "NULL" in value else str(value["S"])


def _texts(value: dict[str, Any] | None) -> list[str]:
    return [] if value is None or "NULL" in value else [element["S"] for element in value["L"]]


def _maps(value: dict[str, Any] | None) -> list[dict[str, Any]]:
    if value is None or "NULL" in value:
        return []
    return [{name: _plain(field) for name, field in element["M"].items() if "NULL" not in field}
            for element in value["L"]]


def _location(stored: dict[str, Any]) -> Location:
    return Location(id=stored["id"], label=stored["label"], lat=float(stored["lat"]), lng=float(stored["lng"]),
                    precision=stored["precision"], partition=stored["partition"], point_cell=stored["point_cell"])


def _location_items(resident: Resident) -> list[LocationModel]:
    attributes = resident.targeting_attributes()
    if not attributes["channels"]:
        return []
    coordinates = [(location.lat, location.lng) for location in resident.locations]
    return [
        LocationModel(
            cell=location.partition,
            sk=_sort_key(resident, location),
            location_id=location.id,
            lat=location.lat,
            lng=location.lng,
            precision=location.precision,
            resident_id=resident.id,
            # Empty sets cannot be stored in DynamoDB; None leaves the attribute out.
            channels=set(attributes["channels"]) or None,
            categories=set(attributes["categories"]) or None,
            groups=set(attributes["groups"]) or None,
            business_sectors=set(attributes["business_sectors"]) or None,
            senders=set(attributes["senders"]) or None,
            language=attributes["language"],
            consent_version=attributes["consent_version"],
            **places_attributes(coordinates, index),
        )
        for index, location in enumerate(resident.locations)
    ]


def _sort_key(resident: Resident, location: Location) -> str:
    return LocationKey(location.partition, location.point_cell).sort_key(resident.id, location.id)


def _location_keys(resident: Resident) -> set[tuple[str, str]]:
    return {(loc.partition, _sort_key(resident, loc)) for loc in resident.locations}


def _consistent_batch_get(client: Any, table: str, key_name: str, ids: Iterable[str],
                          sleep: Callable[[float], None], what: str) -> list[dict[str, Any]]:
    """Every existing item among these keys, 100 per BatchGetItem, with consistent reads (someone who left a moment
    ago must not be sent to). Unprocessed keys, and a throttled call as a whole, are asked again after a growing
    pause; what is still unread after that raises, so the caller's message is retried rather than anyone skipped."""
    unique = sorted(set(ids))
    found: list[dict[str, Any]] = []
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        request: dict[str, Any] = {table: {"Keys": [{key_name: {"S": value}}
                                                    for value in unique[start:start + BATCH_GET_LIMIT]],
                                           "ConsistentRead": True}}
        for pause in UNPROCESSED_PAUSES:
            try:
                response = client.batch_get_item(RequestItems=request)
            except ClientError as error:
                if not classify(error, Provider.DYNAMODB).retryable:  # the one table of DynamoDB's codes
                    raise
                response = {"UnprocessedKeys": request}  # throttled as a whole: the same keys again
            found.extend(response.get("Responses", {}).get(table, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            sleep(pause)
        else:
            raise UnprocessedReads(f"{len(request[table]['Keys'])} {what} left unread after retries")
    return found


class ResidentStore:
    def __init__(self, client: Any, connection: Connection | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        # A low-level DynamoDB client for the bulk read at delivery (see `_from_item`).
        self._client = client
        # One connection for transactions; PynamoDB builds it from the models' Meta (region, endpoint).
        self._connection = connection
        self._sleep = sleep

    def _transaction(self) -> TransactWrite:
        # One connection (and so one botocore client) per store: creating a client costs far more than the write.
        if self._connection is None:
            self._connection = Connection(region=getattr(SubscriberModel.Meta, "region", None))
        return TransactWrite(connection=self._connection)

    def create(self, resident: Resident) -> None:
        """Writes the resident and claims every contact in one transaction.

        An unverified claim of another signup is taken over (and its outstanding code dropped): an address someone
        typed but never confirmed must not lock its real owner out, nor pull them into the other profile. A verified
        contact is never taken: ContactTaken.
        """
        try:
            with self._transaction() as transaction:
                transaction.save(_to_model(resident), condition=SubscriberModel.resident_id.does_not_exist())
                for contact in resident.contacts:
                    transaction.save(
                        ContactModel(contact_hash=contact.hash, resident_id=resident.id, kind=contact.kind,
                                     verified=bool(contact.verified_at)),
                        condition=ContactModel.contact_hash.does_not_exist() | (ContactModel.verified == False),  # noqa: E712
                    )
        except TransactWriteError as error:
            raise ContactTaken() from error

    def claim_verified(self, contact_hash: str, resident_id: str, kind: str) -> bool:
        """Marks the contact verified for this resident, unless another resident verified it first (False then).

        The first verified claim wins: taking over someone's unverified claim is allowed (this resident proved they
        hold the contact), taking over a verified one never is.
        """
        try:
            ContactModel(contact_hash).update(
                actions=[ContactModel.resident_id.set(resident_id), ContactModel.kind.set(kind),
                         ContactModel.verified.set(True), ContactModel.code_hash.remove(),
                         ContactModel.code_expires_at.remove(), ContactModel.code_attempts.set(0)],
                condition=(ContactModel.contact_hash.does_not_exist() | (ContactModel.resident_id == resident_id)
                           | (ContactModel.verified == False)))  # noqa: E712
        except UpdateError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def consume_code(self, contact_hash: str, digest: str, now: float, max_attempts: int) -> str | None:
        """The owner's resident id if `digest` is the contact's current, unexpired code and fewer than
        `max_attempts` wrong codes were tried; the code is cleared in the same write, so it works once."""
        contact = ContactModel(contact_hash)
        try:
            contact.update(
                actions=[ContactModel.code_hash.remove(), ContactModel.code_expires_at.remove(),
                         ContactModel.code_attempts.set(0)],
                condition=((ContactModel.code_hash == digest) & (ContactModel.code_expires_at >= now)
                           & (ContactModel.code_attempts < max_attempts)))
        except UpdateError as error:
            if _condition_failed(error):
                return None
            raise
        return str(contact.resident_id)

    def count_wrong_code(self, contact_hash: str, now: float, max_attempts: int) -> None:
        """Counts one wrong try against the contact's current code, atomically (`ADD` under a condition), and never
        beyond `max_attempts`; nothing is counted when there is no live code."""
        try:
            ContactModel(contact_hash).update(
                actions=[ContactModel.code_attempts.add(1)],
                condition=(ContactModel.code_hash.exists() & (ContactModel.code_expires_at >= now)
                           & (ContactModel.code_attempts < max_attempts)))
        except UpdateError as error:
            if not _condition_failed(error):
                raise

    def get(self, resident_id: str) -> Resident | None:
        try:
            return _from_model(SubscriberModel.get(resident_id, consistent_read=True))
        except DoesNotExist:
            return None

    def save(self, resident: Resident, previous: Resident | None) -> None:
        """Writes the profile and brings its targeting items in line: stale keys deleted, current ones rewritten."""
        current_items = _location_items(resident)
        current_keys = {(item.cell, item.sk) for item in current_items}
        stale = (_location_keys(previous) if previous else set()) - current_keys
        with self._transaction() as transaction:
            transaction.save(_to_model(resident))
            for cell, sk in stale:
                transaction.delete(LocationModel(cell, sk))
            for item in current_items:
                transaction.save(item)

    def get_many(self, resident_ids: Iterable[str]) -> dict[str, Resident]:
        """100 residents per BatchGetItem, unprocessed keys asked again with a growing pause; missing ones are
        absent. Consistent reads: a resident who left a moment ago must not be sent to."""
        items = _consistent_batch_get(self._client, SubscriberModel.Meta.table_name, "resident_id", resident_ids,
                                      self._sleep, "residents")
        return {item["resident_id"]["S"]: _from_item(item) for item in items}

    def every_resident(self) -> Iterator[Resident]:
        """Every stored resident, a page of the table at a time (for operators' upgrades, never a request)."""
        for page in self._client.get_paginator("scan").paginate(TableName=SubscriberModel.Meta.table_name):
            for item in page.get("Items", []):
                yield _from_item(item)

    def fill_missing_places(self, resident: Resident) -> tuple[int, int]:
        """Adds `places` to those of a resident's location items written before items carried them; answers (filled,
        left). Only those two attributes are set, and only on an item that still exists without them: an item the
        resident has rewritten since (with its places) or removed is left as it is, so nothing they changed in the
        meantime is undone."""
        filled = left = 0
        for item in _location_items(resident):
            if item.places is None:
                continue  # their only location: nothing to add
            try:
                self._client.update_item(
                    TableName=LocationModel.Meta.table_name, Key={"cell": {"S": item.cell}, "sk": {"S": item.sk}},
                    UpdateExpression="SET places = :places, place = :place",
                    ConditionExpression="attribute_exists(sk) AND attribute_not_exists(places)",
                    ExpressionAttributeValues={":places": {"L": [{"S": text} for text in item.places]},
                                               ":place": {"N": str(item.place)}})
                filled += 1
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                left += 1
        return filled, left

    def contact_owner(self, contact_hash: str) -> ContactModel | None:
        try:
            return ContactModel.get(contact_hash, consistent_read=True)
        except DoesNotExist:
            return None

    def issue_code(self, contact_hash: str, resident_id: str, digest: str, expires_at: int) -> bool:
        """Stores a fresh one-time code (and zero attempts) while this resident still holds the contact; False once
        another signup has taken the claim over. An update, not a put, so a verification in between is not undone."""
        try:
            ContactModel(contact_hash).update(
                actions=[ContactModel.code_hash.set(digest), ContactModel.code_expires_at.set(expires_at),
                         ContactModel.code_attempts.set(0)],
                condition=ContactModel.resident_id == resident_id)
        except UpdateError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def erase(self, resident: Resident, suppressed_at: str) -> None:
        """Removes the resident everywhere and leaves only the hashes of the contacts they held, on the suppression
        list. A contact that another resident has claimed meanwhile is theirs: it is neither deleted nor suppressed."""
        def write(transaction: TransactWrite, owned: list[str]) -> None:
            transaction.delete(SubscriberModel(resident.id))
            for contact_hash in owned:
                transaction.delete(ContactModel(contact_hash), condition=ContactModel.resident_id == resident.id)
                transaction.save(SuppressionModel(contact_hash=contact_hash, reason="erased", at=suppressed_at))
            for cell, sk in _location_keys(resident):
                transaction.delete(LocationModel(cell, sk))

        self._with_owned_contacts(resident, write)

    def delete_unverified(self, resident: Resident) -> None:
        def write(transaction: TransactWrite, owned: list[str]) -> None:
            transaction.delete(SubscriberModel(resident.id))
            for contact_hash in owned:
                transaction.delete(ContactModel(contact_hash), condition=ContactModel.resident_id == resident.id)

        self._with_owned_contacts(resident, write)

    def _with_owned_contacts(self, resident: Resident,
                             write: Callable[[TransactWrite, list[str]], None]) -> None:
        for attempt in range(OWNERSHIP_ATTEMPTS):
            owned = [c.hash for c in resident.contacts
                     if (owner := self.contact_owner(c.hash)) is not None and owner.resident_id == resident.id]
            try:
                with self._transaction() as transaction:
                    write(transaction, owned)
                return
            except TransactWriteError:
                if attempt == OWNERSHIP_ATTEMPTS - 1:
                    raise

    def scan_pending(self, created_before: str) -> Iterator[Resident]:
        condition = (SubscriberModel.status == "pending") & (SubscriberModel.created_at < created_before)
        for item in SubscriberModel.scan(filter_condition=condition):
            yield _from_model(item)


class SuppressionList:
    def __init__(self, client: Any, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client  # low-level DynamoDB client for the bulk read
        self._sleep = sleep

    def suppress(self, contact_hash: str, reason: str, at: str) -> None:
        SuppressionModel(contact_hash=contact_hash, reason=reason, at=at).save()

    def reason(self, contact_hash: str) -> str | None:
        try:
            return str(SuppressionModel.get(contact_hash, consistent_read=True).reason)
        except DoesNotExist:
            return None

    def reasons(self, contact_hashes: Iterable[str]) -> dict[str, str]:
        """The suppressed ones among these contacts, with why; one BatchGetItem per 100 (read as ResidentStore.get_many
        reads residents, for the same reason: this runs for every recipient)."""
        items = _consistent_batch_get(self._client, SuppressionModel.Meta.table_name, "contact_hash", contact_hashes,
                                      self._sleep, "suppressions")
        return {item["contact_hash"]["S"]: item["reason"]["S"] for item in items}

    def lift(self, contact_hash: str) -> None:
        SuppressionModel(contact_hash).delete()


class LocationIndex:
    """Reads residents' locations by H3 key range: one Query per range, paged by PynamoDB."""

    def in_range(self, key_range: KeyRange) -> Iterator[LocationModel]:
        yield from LocationModel.query(key_range.partition,
                                       LocationModel.sk.between(key_range.low, key_range.high))

    def in_ranges(self, ranges: Iterable[KeyRange]) -> Iterator[LocationModel]:
        for key_range in ranges:
            yield from self.in_range(key_range)
