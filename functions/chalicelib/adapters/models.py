"""PynamoDB models of the tables in infra/resources.yaml (a test checks the two agree).

Table names come from the deployment prefix at bind time, not import time, so one process can serve one stage and
tests can bind a fresh set of tables.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from .. import config
from .compressed_text import CompressedTextAttribute


class LocationMap(MapAttribute):  # type: ignore[type-arg]
    id = UnicodeAttribute()
    label = UnicodeAttribute()
    lat = NumberAttribute()
    lng = NumberAttribute()
    precision = UnicodeAttribute()
    partition = UnicodeAttribute()
    point_cell = UnicodeAttribute()


class ContactMap(MapAttribute):  # type: ignore[type-arg]
    kind = UnicodeAttribute()
    address = UnicodeAttribute()
    hash = UnicodeAttribute()
    verified_at = UnicodeAttribute(null=True)


class DeviceMap(MapAttribute):  # type: ignore[type-arg]
    id = UnicodeAttribute()
    platform = UnicodeAttribute()
    token = UnicodeAttribute()
    endpoint_arn = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class ConsentMap(MapAttribute):  # type: ignore[type-arg]
    notice_version = UnicodeAttribute()
    given_at = UnicodeAttribute()
    age_confirmed = BooleanAttribute()


class SubscriberModel(Model):
    class Meta:
        table_name = config.SUBSCRIBERS_TABLE

    resident_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    language = UnicodeAttribute()
    channels = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    categories = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    business_sectors = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    groups = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    senders = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    locations = ListAttribute(of=LocationMap)
    contacts = ListAttribute(of=ContactMap)
    devices = ListAttribute(of=DeviceMap, default=list)
    consent = ConsentMap()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class ContactModel(Model):
    """One per contact hash: who owns it, whether it is verified, and any outstanding one-time code."""

    class Meta:
        table_name = config.CONTACTS_TABLE

    contact_hash = UnicodeAttribute(hash_key=True)
    resident_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    verified = BooleanAttribute(default=False)
    code_hash = UnicodeAttribute(null=True)
    code_expires_at = NumberAttribute(null=True)
    code_attempts = NumberAttribute(default=0)


class LocationModel(Model):
    """One per resident location, keyed for H3 range queries (see domain/geo.py), carrying the targeting filters."""

    class Meta:
        table_name = config.LOCATIONS_TABLE

    cell = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    resident_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    lat = NumberAttribute()
    lng = NumberAttribute()
    precision = UnicodeAttribute()
    channels = UnicodeSetAttribute(null=True)
    categories = UnicodeSetAttribute(null=True)
    groups = UnicodeSetAttribute(null=True)
    business_sectors = UnicodeSetAttribute(null=True)
    senders = UnicodeSetAttribute(null=True)  # absent: police only (domain/residents.py)
    language = UnicodeAttribute()
    consent_version = UnicodeAttribute()
    # A resident with several locations: all of them, and this one's place among them (domain/audience.py), so that
    # pieces reading apart count the resident once. Absent for a resident's only location.
    places = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    place = NumberAttribute(null=True)


class SuppressionModel(Model):
    class Meta:
        table_name = config.SUPPRESSIONS_TABLE

    contact_hash = UnicodeAttribute(hash_key=True)
    reason = UnicodeAttribute()  # bounced, complained, opted_out, erased, sms_stopped, sms_started
    at = UnicodeAttribute()
    # SMS STOP and START (services/inbound_sms.py): when START last turned texts back on (the provider's 30-day
    # rule), and the provider id of the last command that changed it.
    sms_opted_in_at = NumberAttribute(null=True)
    last_command = UnicodeAttribute(null=True)


class RateLimitModel(Model):
    class Meta:
        table_name = config.RATE_LIMITS_TABLE

    bucket = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()


class AreaModel(Model):
    """A named area of one organisation; the item with area_id "boundary" is the organisation's own boundary."""

    class Meta:
        table_name = config.AREAS_TABLE

    organisation = UnicodeAttribute(hash_key=True)
    area_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    geometry = CompressedTextAttribute()  # GeoJSON Polygon or MultiPolygon, as JSON text (zlib in DynamoDB)
    imported_by = UnicodeAttribute()
    imported_at = UnicodeAttribute()


class DueAlertsIndex(GlobalSecondaryIndex["AlertModel"]):
    """Sparse: only scheduled alerts carry `due`, so the every-minute schedule reads just those, in time order, across
    every organisation, with one Query."""

    class Meta:
        index_name = "by-due"
        projection = KeysOnlyProjection()

    due = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class AlertModel(Model):
    """An organisation's alert: its document (domain/alerts.py, as JSON) and its status, guarded by a version so that
    two officers approving or cancelling at once cannot both win."""

    class Meta:
        table_name = config.ALERTS_TABLE

    organisation = UnicodeAttribute(hash_key=True)
    alert_id = UnicodeAttribute(range_key=True)  # a ULID: the organisation's alerts list in time order
    status = UnicodeAttribute()
    document = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    public = BooleanAttribute(null=True)  # a top-level copy of the document's, for the public feed's filter
    due = UnicodeAttribute(null=True)  # DUE while the alert is scheduled, absent otherwise (DueAlertsIndex)
    due_at = UnicodeAttribute(null=True)  # its send_at, UTC, while scheduled
    by_due = DueAlertsIndex()
    version = VersionAttribute()


class AuditEntryModel(Model):
    """Append-only: written with a condition that the entry is new, and never updated or deleted by the app."""

    class Meta:
        table_name = config.AUDIT_TABLE

    organisation = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)  # "<alert id>#<ULID>": one alert's trail in time order
    alert_id = UnicodeAttribute()
    action = UnicodeAttribute()  # create, send, approve, cancel, hold, release
    actor = UnicodeAttribute()  # the officer's sub, or "system" for what the pipeline decides
    actor_role = UnicodeAttribute()
    at = UnicodeAttribute()
    status = UnicodeAttribute()  # the alert's status after the action
    audience = NumberAttribute(null=True)
    detail = UnicodeAttribute(null=True)


class PreviewModel(Model):
    """A preview that took longer than the request's budget: counted by the targeting worker, polled by id."""

    class Meta:
        table_name = config.PREVIEWS_TABLE

    preview_id = UnicodeAttribute(hash_key=True)
    organisation = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    status = UnicodeAttribute()  # counting, done, failed
    request = UnicodeAttribute()  # the alert body, as JSON
    result = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()
    # The worker's counting state (adapters/preview_tally.py writes it); read here to show how far it has gone.
    pieces_open = NumberAttribute(null=True)
    done_pieces = UnicodeSetAttribute(null=True)


class TranslationModel(Model):
    """One machine translation of an alert's title and body into one language (adapters/translations.py): claimed by
    the first worker that needs it, so Amazon Translate is asked once; kept 30 days for alerts sent again."""

    class Meta:
        table_name = config.TRANSLATIONS_TABLE

    key = UnicodeAttribute(hash_key=True)  # sha256 of the languages and the protected words
    status = UnicodeAttribute()  # pending, done, failed
    claimed_at = NumberAttribute()
    title = UnicodeAttribute(null=True)  # the translated, still protected, words
    body = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # why it failed: the provider's error code, never the words
    expires_at = NumberAttribute()


class ByContactIndex(GlobalSecondaryIndex["DeliveryModel"]):
    class Meta:
        index_name = "by-contact"
        projection = AllProjection()

    contact = UnicodeAttribute(hash_key=True)
    alert_id = UnicodeAttribute(range_key=True)


class DeliveryModel(Model):
    """The delivery ledger: an alert's frozen audience, one item per recipient and channel.

    `recipient` is `<channel>#<bucket>#<resident id>` (bucket: two hex digits from the resident id, so release
    segments split the audience evenly). `contact` is the contact's hash (or `push:<resident id>`), indexed so that
    replies, surveys, updates and cancels reach exactly these people. The partition also holds the alert's tallies
    (sort keys starting with "~"), which adapters/ledger.py reads and writes with the low-level client.
    """

    class Meta:
        table_name = config.DELIVERIES_TABLE

    alert_id = UnicodeAttribute(hash_key=True)
    recipient = UnicodeAttribute(range_key=True)
    contact = UnicodeAttribute(null=True)
    resident_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # queued, claimed, sent, failed, bounced, unconfirmed, suppressed, cancelled
    claim = UnicodeAttribute(null=True)
    claimed_at = NumberAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    by_contact = ByContactIndex()


class RepliesByAlertIndex(GlobalSecondaryIndex["ReplyModel"]):
    class Meta:
        index_name = "by-alert"
        projection = AllProjection()

    alert_id = UnicodeAttribute(hash_key=True)
    reply_id = UnicodeAttribute(range_key=True)


class RepliesByStateIndex(GlobalSecondaryIndex["ReplyModel"]):
    class Meta:
        index_name = "by-state"
        projection = AllProjection()

    inbox = UnicodeAttribute(hash_key=True)  # "<organisation>#<state>": the inbox reads unread ones first
    reply_id = UnicodeAttribute(range_key=True)


class RepliesByResidentIndex(GlobalSecondaryIndex["ReplyModel"]):
    class Meta:
        index_name = "by-resident"
        projection = AllProjection()

    resident_id = UnicodeAttribute(hash_key=True)
    reply_id = UnicodeAttribute(range_key=True)


class ReplyModel(Model):
    """A resident's reply to an alert (domain/replies.py), kept until `expires_at` (TTL)."""

    class Meta:
        table_name = config.REPLIES_TABLE

    organisation = UnicodeAttribute(hash_key=True)
    reply_id = UnicodeAttribute(range_key=True)  # a ULID: arrival order
    alert_id = UnicodeAttribute()
    resident_id = UnicodeAttribute(null=True)  # removed when the resident is erased (the text stays, as evidence)
    contact_hash = UnicodeAttribute(null=True)  # likewise
    channel = UnicodeAttribute()
    text = UnicodeAttribute()
    received_at = UnicodeAttribute()
    state = UnicodeAttribute()
    inbox = UnicodeAttribute()
    areas = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    sender = UnicodeAttribute(null=True)
    truncated = BooleanAttribute(default=False)
    verdicts = MapAttribute(null=True)  # type: ignore[var-annotated]
    attachments = UnicodeAttribute(null=True)  # JSON list
    answers = UnicodeAttribute(null=True)  # JSON list
    expires_at = NumberAttribute()
    by_alert = RepliesByAlertIndex()
    by_state = RepliesByStateIndex()
    by_resident = RepliesByResidentIndex()


class SurveyAnswersByResidentIndex(GlobalSecondaryIndex["SurveyAnswerModel"]):
    class Meta:
        index_name = "by-resident"
        projection = KeysOnlyProjection()

    resident_id = UnicodeAttribute(hash_key=True)
    alert_id = UnicodeAttribute(range_key=True)


class SurveyAnswerModel(Model):
    """One resident's answer to an alert's survey (domain/surveys.py): a later answer replaces it."""

    class Meta:
        table_name = config.SURVEY_ANSWERS_TABLE

    alert_id = UnicodeAttribute(hash_key=True)
    resident_id = UnicodeAttribute(range_key=True)
    organisation = UnicodeAttribute()
    option = NumberAttribute(null=True)
    text = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    area = UnicodeAttribute(null=True)  # the alert's named area the resident is in, for the breakdown
    answered_at = UnicodeAttribute()
    expires_at = NumberAttribute()
    by_resident = SurveyAnswersByResidentIndex()


class RedeemedLinkModel(Model):
    """A verify or sign-in link that has been used: written once, conditionally, so a link works only once. Kept until
    the link would have expired anyway (TTL)."""

    class Meta:
        table_name = config.REDEEMED_LINKS_TABLE

    link_id = UnicodeAttribute(hash_key=True)
    expires_at = NumberAttribute()


class StatModel(Model):
    """One dashboard counter (pk: the organisation; sk: domain/stats.py counter_key), or the marker of one stream
    record applied (pk "applied", sk its event id, gone after two days)."""

    class Meta:
        table_name = config.STATS_TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    n = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)


class ResidentSessionModel(Model):
    """An open resident session. A session token is honoured only while its item exists: sign-out deletes one,
    erasure all of the resident's (one Query on the partition). TTL removes expired ones."""

    class Meta:
        table_name = config.RESIDENT_SESSIONS_TABLE

    resident_id = UnicodeAttribute(hash_key=True)
    session_id = UnicodeAttribute(range_key=True)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()


ALL_MODELS: dict[str, type[Model]] = {
    config.SUBSCRIBERS_TABLE: SubscriberModel,
    config.CONTACTS_TABLE: ContactModel,
    config.LOCATIONS_TABLE: LocationModel,
    config.SUPPRESSIONS_TABLE: SuppressionModel,
    config.RATE_LIMITS_TABLE: RateLimitModel,
    config.AREAS_TABLE: AreaModel,
    config.ALERTS_TABLE: AlertModel,
    config.AUDIT_TABLE: AuditEntryModel,
    config.PREVIEWS_TABLE: PreviewModel,
    config.TRANSLATIONS_TABLE: TranslationModel,
    config.DELIVERIES_TABLE: DeliveryModel,
    config.REDEEMED_LINKS_TABLE: RedeemedLinkModel,
    config.REPLIES_TABLE: ReplyModel,
    config.SURVEY_ANSWERS_TABLE: SurveyAnswerModel,
    config.RESIDENT_SESSIONS_TABLE: ResidentSessionModel,
    config.STATS_TABLE: StatModel,
}


def bind_tables(prefix: str, region: str | None = None) -> None:
    """Points every model at `<prefix>-<table>`; PynamoDB caches a connection per model, so drop it too."""
    for suffix, model in ALL_MODELS.items():
        model.Meta.table_name = config.resource_name(suffix, prefix)
        if region:
            model.Meta.region = region
        model._connection = None
