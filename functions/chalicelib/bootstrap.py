"""Wires the real adapters into the services, once per Lambda container (or test), from the environment."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from . import config
from .adapters.cognito_jwt import CognitoTokenVerifier, default_issuer
from .adapters.geocoding import AmazonLocationGeocoder, Geocoder, OutcodeGeocoder
from .adapters.ledger import DeliveryLedger
from .adapters.messaging import SesEmailSender, SnsPushRegistry, SnsSmsSender, SqsJobQueue
from .adapters.models import bind_tables
from .adapters.officer_registry import CognitoDirectory, OfficerRegistry
from .adapters.rate_limits import DynamoRateCounter
from .adapters.resident_sessions import RedeemedLinks, SessionStore
from .adapters.residents_store import LocationIndex, ResidentStore, SuppressionList
from .adapters.secrets import load_contact_hash_key, load_key_ring
from .domain.contacts import ContactHasher, PhoneCountries
from .domain.request_origin import SiteOrigins
from .domain.tokens import TokenSigner
from .domain.validation import SchemaLibrary
from .observability import metrics
from .services.resident_common import RateLimiter
from .services.residents import DEFAULT_RATE_LIMITS, ResidentService, ResidentSettings
from .services.sms_budget import DEFAULT_PER_HOUR, TransactionalSmsBudget
from .services.transactional import Links, TransactionalSender

if TYPE_CHECKING:
    from .adapters.voice import LocalVoiceOutbox, PinpointVoiceSender
    from .adapters.webhook_deliveries import WebhookDeliveries
    from .services.alerts import AlertService, AlertSettings
    from .services.areas import AreaService
    from .services.feeds import FeedService
    from .services.inbound_email import InboundEmailService
    from .services.inbound_sms import InboundSmsService
    from .services.partner_alerts import PartnerAlertService
    from .services.partner_cap import CapReceiver
    from .services.partners import PartnerService
    from .services.pipeline import Channels, Pipeline
    from .services.receipts import ReceiptService
    from .services.registry import RegistryService
    from .services.replies import ReplyService
    from .services.scheduled_release import ScheduledRelease
    from .services.sending_watch import SendingWatch
    from .services.stats import StatsService
    from .services.surveys import SurveyService
    from .services.translations import Translations
    from .services.web_replies import WebReplyService
    from .services.webhooks import WebhookDelivery, WebhookEvents

# The alerts, areas, registry and receipts services, the fan-out and the channel adapters are imported by the
# functions that build them, not here: every Lambda function imports this module, and only the officers' routes and
# the alert and feedback workers need them (bench/coldstart.py, tests/unit/test_import_boundaries.py).

PACKAGE_DIR = Path(__file__).parent
SCHEMA_DIR = PACKAGE_DIR / "schemas"
OUTCODES_CSV = PACKAGE_DIR / "data" / "uk-outcodes.csv"


@dataclass(frozen=True)
class Services:
    residents: ResidentService
    transactional: TransactionalSender
    store: ResidentStore
    suppressions: SuppressionList
    hasher: ContactHasher
    signer: TokenSigner
    idempotency: DynamoDBPersistenceLayer


@cache
def schemas() -> SchemaLibrary:
    # Compiled once per container: validators are reused by every request.
    return SchemaLibrary(SCHEMA_DIR)


@cache
def site_origins() -> SiteOrigins:
    """Where pages that may call the resident API are served from: the site, and the API's own URL."""
    site_url = os.environ.get(config.SITE_URL_ENV, "http://localhost:8080")
    return SiteOrigins.from_urls(site_url, os.environ.get(config.API_URL_ENV, site_url))


@cache
def geocoder() -> Geocoder:
    if os.environ.get(config.GEOCODER_ENV, "outcodes") == "amazon-location":
        return AmazonLocationGeocoder(boto3.client("geo-places"), os.environ.get(config.GEO_API_KEY_ENV))
    return OutcodeGeocoder(OUTCODES_CSV)


def rate_limits() -> dict[str, tuple[int, int]]:
    limits = dict(DEFAULT_RATE_LIMITS)
    overrides = json.loads(os.environ.get(config.RATE_LIMITS_ENV) or "{}")
    limits.update({rule: (int(value[0]), int(value[1])) for rule, value in overrides.items()})
    return limits


@cache
def bound_tables() -> str:
    """Points the PynamoDB models at this deployment's tables once; returns the prefix."""
    prefix = config.prefix()
    bind_tables(prefix, os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    return prefix


@cache
def area_service() -> AreaService:
    from .services.areas import AreaService

    bound_tables()
    return AreaService(time.time)


@cache
def services() -> Services:
    prefix = bound_tables()
    hasher = ContactHasher(load_contact_hash_key(config.resource_name(config.CONTACT_HASH_SECRET, prefix)),
                           PhoneCountries.parse(os.environ.get(config.SMS_COUNTRIES_ENV)))
    signer = TokenSigner(load_key_ring(config.resource_name(config.SIGNING_SECRET, prefix)), time.time)
    settings = ResidentSettings(
        notice_version=os.environ.get(config.PRIVACY_NOTICE_VERSION_ENV, config.DEFAULT_PRIVACY_NOTICE_VERSION),
        rate_limits=rate_limits())
    store, suppressions = ResidentStore(client=_dynamodb()), SuppressionList(client=_dynamodb())
    sns = boto3.client("sns")
    site_url = os.environ.get(config.SITE_URL_ENV, "http://localhost:8080")
    residents = ResidentService(
        store=store, suppressions=suppressions, hasher=hasher, signer=signer, geocoder=geocoder(),
        jobs=SqsJobQueue(boto3.client("sqs"), config.resource_name(config.TRANSACTIONAL_QUEUE, prefix)),
        rate_counter=DynamoRateCounter(time.time),
        push=SnsPushRegistry(sns, json.loads(os.environ.get(config.PUSH_PLATFORMS_ENV) or "{}")),
        settings=settings, clock=time.time, deliveries=_ledger(prefix),
        links=RedeemedLinks(), sessions=SessionStore(), sms_budget=_sms_budget(), replies=_reply_store())
    transactional = TransactionalSender(
        store=store, suppressions=suppressions, hasher=hasher, signer=signer,
        email=_email_sender(prefix),
        sms=_sms_sender(sns),
        links=Links(site_url, os.environ.get(config.API_URL_ENV, site_url)),
        settings=settings, clock=time.time, voice=_CodeCalls(prefix))
    idempotency = DynamoDBPersistenceLayer(table_name=config.resource_name(config.IDEMPOTENCY_TABLE, prefix))
    return Services(residents, transactional, store, suppressions, hasher, signer, idempotency)


class _ResidentsWords:
    """What erasure does to what a resident wrote: replies keep their words and lose their sender; survey answers go."""

    def forget_resident(self, resident_id: str) -> int:
        from .adapters.replies_store import ReplyStore
        from .adapters.survey_answers import SurveyAnswers

        return ReplyStore().forget_resident(resident_id) + SurveyAnswers().forget_resident(resident_id)


def _reply_store() -> Any:
    return _ResidentsWords()


def _sms_sender(sns: Any, min_interval_s: float = 0.0) -> SnsSmsSender:
    """Every SMS goes from the two-way number when there is one, so that a resident can answer any of them."""
    return SnsSmsSender(sns, os.environ.get(config.SMS_SENDER_ID_ENV), min_interval_s=min_interval_s,
                        origination_number=os.environ.get(config.SMS_ORIGINATION_NUMBER_ENV) or None)


def _sms_budget() -> TransactionalSmsBudget:
    per_hour = int(os.environ.get(config.TRANSACTIONAL_SMS_PER_HOUR_ENV) or DEFAULT_PER_HOUR)
    return TransactionalSmsBudget(DynamoRateCounter(time.time), per_hour,
                                  lambda name: metrics.add_metric(name=name, unit="Count", value=1))


def _alert_settings() -> AlertSettings:
    from .domain.alert_messages import AlertLinks
    from .domain.costs import SendLimits
    from .services.alerts import AlertSettings

    site_url = os.environ.get(config.SITE_URL_ENV, "http://localhost:8080")
    organisations = json.loads(os.environ.get(config.ORGANISATIONS_ENV) or "{}")
    return AlertSettings(
        limits=SendLimits.from_mapping(json.loads(os.environ.get(config.SEND_LIMITS_ENV) or "{}")),
        links=AlertLinks(site_url, os.environ.get(config.API_URL_ENV, site_url)),
        organisation_names={org: str(details.get("name") or org) for org, details in organisations.items()},
        preview_budget_seconds=float(os.environ.get(config.PREVIEW_BUDGET_ENV) or 2.0),
        sms_opt_out_words=bool(os.environ.get(config.SMS_ORIGINATION_NUMBER_ENV)),
        two_way_number=os.environ.get(config.SMS_ORIGINATION_NUMBER_ENV) or "")


@cache
def _dynamodb() -> Any:
    """One low-level DynamoDB client per process: making a client costs far more than a call."""
    return boto3.client("dynamodb")


def _ledger(prefix: str) -> DeliveryLedger:
    return DeliveryLedger(_dynamodb(), config.resource_name(config.DELIVERIES_TABLE, prefix),
                          claim_timeout=float(os.environ.get(config.CLAIM_TIMEOUT_ENV) or 900))


@cache
def alert_service() -> AlertService:
    from .adapters.alerts_store import AlertStore, PreviewStore
    from .services.alerts import AlertService
    from .services.targeting import LocationFinder
    from .services.targets import TargetResolver

    prefix = bound_tables()
    return AlertService(
        store=AlertStore(), previews=PreviewStore(), resolver=TargetResolver(), finder=LocationFinder(),
        ledger=_ledger(prefix), limiter=RateLimiter(DynamoRateCounter(time.time), rate_limits()),
        jobs=SqsJobQueue(boto3.client("sqs"), config.resource_name(config.TARGETING_QUEUE, prefix)),
        settings=_alert_settings(), clock=time.time, events=webhook_events(), validate=schemas().validate,
        translations=translations())


class _CodeCalls:
    """The voice adapter, built at the first code call: the API builds the transactional sender with the resident
    services but never places a call, and must not load the delivery code (tests/unit/test_import_boundaries.py)."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def call_code(self, to: str, ssml: str, language: str) -> str:
        return _voice(self._prefix).call_code(to, ssml, language)


def _voice(prefix: str) -> LocalVoiceOutbox | PinpointVoiceSender:
    """Calls: Pinpoint SMS Voice v2, or the local stack's S3 outbox (the emulator has no Pinpoint)."""
    from .adapters.voice import LocalVoiceOutbox, PinpointVoiceSender

    if os.environ.get(config.VOICE_ADAPTER_ENV, "pinpoint") == "local-outbox":
        return LocalVoiceOutbox(boto3.client("s3"), config.resource_name(config.LOCAL_OUTBOX_BUCKET, prefix))
    return PinpointVoiceSender(boto3.client("pinpoint-sms-voice-v2"), os.environ.get(config.VOICE_ORIGINATION_ENV, ""),
                               configuration_set=config.configuration_set(
                                   config.VOICE_CONFIGURATION_SET_ENV, config.VOICE_CONFIGURATION_SET, prefix))


def _channels(prefix: str) -> Channels:
    from .adapters.bulk_email import LocalEmailSender, SesBulkEmailSender
    from .adapters.push import SnsPushSender
    from .services.pipeline import Channels

    sender = os.environ.get(config.SENDER_EMAIL_ENV, "alerts@hexwatch.example")
    sesv2, sns = boto3.client("sesv2"), boto3.client("sns")
    if os.environ.get(config.EMAIL_ADAPTER_ENV, "sesv2-bulk") == "sesv2-single":
        email: LocalEmailSender | SesBulkEmailSender = LocalEmailSender(
            sesv2, sender, configuration_set=_ses_configuration_set(prefix))
    else:
        email = SesBulkEmailSender(sesv2, sender, configuration_set=_ses_configuration_set(prefix))
    voice = _voice(prefix)
    # Each SMS worker paces itself to its share of the account's rate (20 a second by default at SNS), so that the
    # workers together stay under it; the template sets the share (infra/quotas.py).
    sms_per_second = float(os.environ.get(config.SEND_RATE_ENV) or 20)
    # The same sender as the transactional codes' (the one SMS Publish), paced here.
    sms = _sms_sender(sns, min_interval_s=1 / sms_per_second)
    return Channels(email=email, sms=sms, voice=voice, push=SnsPushSender(sns))


def _ses_configuration_set(prefix: str) -> str | None:
    return config.configuration_set(config.SES_CONFIGURATION_SET_ENV, config.SES_CONFIGURATION_SET, prefix)


@cache
def receipts() -> ReceiptService:
    """Delivery feedback (SES events, voice events, SMS logs): reads the contact-hash key only for email feedback."""
    from .services.receipts import ReceiptService

    prefix = bound_tables()
    return ReceiptService(ledger=_ledger(prefix), suppressions=SuppressionList(client=_dynamodb()),
                          hasher=lambda: services().hasher, owners=ResidentStore(client=_dynamodb()), clock=time.time)


@cache
def fanout() -> Pipeline:
    """The delivery pipeline (services/pipeline/), for the targeting and delivery workers."""
    from .adapters.alerts_store import AlertStore
    from .adapters.plan_store import PlanStore
    from .adapters.preview_tally import PreviewTally
    from .domain.dedup import DedupSettings
    from .services.pipeline import PARK_DELAY_SECONDS, Pipeline
    from .services.pipeline.duplicates import Duplicates
    from .services.pipeline.preview import PREVIEW_LOCATIONS_PER_PIECE
    from .services.targets import TargetResolver

    prefix = bound_tables()
    wired = services()
    sqs = boto3.client("sqs")
    sender = os.environ.get(config.SENDER_EMAIL_ENV, "alerts@hexwatch.example")
    return Pipeline(
        store=AlertStore(), resolver=TargetResolver(), index=LocationIndex(), ledger=_ledger(prefix),
        residents=wired.store, suppressions=wired.suppressions, signer=wired.signer,
        targeting_jobs=SqsJobQueue(sqs, config.resource_name(config.TARGETING_QUEUE, prefix)),
        delivery_queues={channel: SqsJobQueue(sqs, config.resource_name(queue, prefix))
                         for channel, queue in config.DELIVERY_QUEUES.items()},
        channels=_channels(prefix), settings=_alert_settings(), reply_domain=sender.partition("@")[2] or None,
        clock=time.time, park_delay_seconds=int(os.environ.get(config.PARK_DELAY_ENV) or PARK_DELAY_SECONDS),
        plans=PlanStore(_dynamodb(), config.resource_name(config.DELIVERIES_TABLE, prefix)),
        previews=PreviewTally(_dynamodb(), config.resource_name(config.PREVIEWS_TABLE, prefix)),
        preview_locations_per_piece=int(os.environ.get(config.PREVIEW_PIECE_ENV) or PREVIEW_LOCATIONS_PER_PIECE),
        duplicates=Duplicates(
            AlertStore(), PlanStore(_dynamodb(), config.resource_name(config.DELIVERIES_TABLE, prefix)),
            _ledger(prefix), DedupSettings.from_mapping(json.loads(os.environ.get(config.DEDUP_ENV) or "{}")),
            time.time),
        events=webhook_events(), translations=translations())


@cache
def translations() -> Translations:
    """Alerts' words in residents' languages: Amazon Translate, kept in the translations table; locally (no Translate
    in the emulator) the original with a note in the resident's language."""
    import csv

    from .adapters.translations import AmazonTranslator, NoMachineTranslation, TranslationCache, cache_key
    from .domain.translation import PlaceNames
    from .services.targets import TargetResolver
    from .services.translations import Translations

    with OUTCODES_CSV.open(newline="", encoding="utf-8") as rows:
        towns = PlaceNames(row["town"] for row in csv.DictReader(rows) if row.get("town"))
    translator: AmazonTranslator | NoMachineTranslation = (
        AmazonTranslator(boto3.client("translate")) if os.environ.get(config.TRANSLATE_ENV, "amazon") == "amazon"
        else NoMachineTranslation())
    return Translations(translator, TranslationCache(), towns, cache_key, area_names=TargetResolver().area_names)


def _metric(name: str) -> None:
    metrics.add_metric(name=name, unit="Count", value=1)


@cache
def inbound_sms() -> InboundSmsService:
    """Texts to the two-way number (workers/inbound.py)."""
    from .adapters.alerts_store import AlertStore
    from .adapters.replies_store import ReplyStore
    from .adapters.sms_opt_outs import LocalOptOutList, SmsOptRecords, SmsVoiceOptOutList
    from .services.inbound_sms import InboundSmsService

    prefix = bound_tables()
    wired = services()
    if os.environ.get(config.OPT_OUT_LIST_ADAPTER_ENV, "sms-voice") == "local-outbox":
        opt_out_list: LocalOptOutList | SmsVoiceOptOutList = LocalOptOutList(
            boto3.client("s3"), config.resource_name(config.LOCAL_OUTBOX_BUCKET, prefix))
    else:
        opt_out_list = SmsVoiceOptOutList(boto3.client("pinpoint-sms-voice-v2"),
                                          os.environ.get(config.OPT_OUT_LIST_NAME_ENV) or "Default")
    return InboundSmsService(hasher=wired.hasher, records=SmsOptRecords(), opt_out_list=opt_out_list,
                             residents=wired.store, ledger=_ledger(prefix), replies=ReplyStore(), alerts=AlertStore(),
                             sms=_sms_sender(boto3.client("sns")), metric=_metric, clock=time.time,
                             surveys=survey_service())


@cache
def inbound_email() -> InboundEmailService:
    """Emailed replies (workers/inbound.py): the contact-hash key is read only for a message worth matching."""
    from .adapters.alerts_store import AlertStore
    from .adapters.replies_store import ReplyStore
    from .services.inbound_email import InboundEmailService

    prefix = bound_tables()
    return InboundEmailService(hasher=lambda: services().hasher,
                               signer=TokenSigner(load_key_ring(config.resource_name(config.SIGNING_SECRET, prefix)),
                                                  time.time),
                               mail=_mail_store(prefix), ledger=_ledger(prefix),
                               replies=ReplyStore(), alerts=AlertStore(), metric=_metric, clock=time.time)


@cache
def web_replies() -> WebReplyService:
    """Residents' replies on the web (api/web_replies.py)."""
    from .adapters.alerts_store import AlertStore
    from .adapters.replies_store import ReplyStore
    from .services.web_replies import WebReplyService

    prefix = bound_tables()
    wired = services()
    return WebReplyService(signer=wired.signer, ledger=_ledger(prefix), residents=wired.store, replies=ReplyStore(),
                           alerts=AlertStore(), limiter=RateLimiter(DynamoRateCounter(time.time), rate_limits()),
                           sender_name=_alert_settings().sender_name, clock=time.time)


@cache
def survey_service() -> SurveyService:
    """Surveys: residents' answers (api/surveys.py, and texts of an option's number) and the officers' counts."""
    from .adapters.alerts_store import AlertStore
    from .adapters.survey_answers import SurveyAnswers
    from .services.surveys import SurveyService
    from .services.targets import TargetResolver

    prefix = bound_tables()
    wired = services()
    return SurveyService(signer=wired.signer, ledger=_ledger(prefix), residents=wired.store, answers=SurveyAnswers(),
                         alerts=AlertStore(), resolver=TargetResolver(),
                         limiter=RateLimiter(DynamoRateCounter(time.time), rate_limits()),
                         sender_name=_alert_settings().sender_name, clock=time.time)


def _mail_store(prefix: str) -> Any:
    from .adapters.inbound_mail import MailStore

    bucket = os.environ.get(config.INBOUND_MAIL_BUCKET_ENV) or config.resource_name("inbound-mail", prefix)
    return MailStore(boto3.client("s3"), bucket)


@cache
def reply_service() -> ReplyService:
    """The officers' side of replies (api/replies.py)."""
    from .adapters.alerts_store import AlertStore
    from .adapters.replies_store import ReplyStore
    from .services.replies import ReplyService
    from .services.targets import TargetResolver

    prefix = bound_tables()
    wired = services()
    return ReplyService(
        store=ReplyStore(), alerts=AlertStore(), residents=wired.store, suppressions=wired.suppressions,
        resolver=TargetResolver(),
        jobs=SqsJobQueue(boto3.client("sqs"), config.resource_name(config.TRANSACTIONAL_QUEUE, prefix)),
        limiter=RateLimiter(DynamoRateCounter(time.time), rate_limits()),
        sender_name=_alert_settings().sender_name, reply_to=_reply_to(wired.signer), clock=time.time,
        attachments=_mail_store(prefix))


def _email_sender(prefix: str) -> SesEmailSender:
    return SesEmailSender(boto3.client("sesv2"), os.environ.get(config.SENDER_EMAIL_ENV, "alerts@hexwatch.example"),
                          configuration_set=_ses_configuration_set(prefix))


def _reply_to(signer: TokenSigner) -> Callable[[str], str | None]:
    """An alert's reply address, where answers by email can be answered again (none without a sending domain)."""
    from .domain.reply_addresses import reply_address

    domain = os.environ.get(config.SENDER_EMAIL_ENV, "alerts@hexwatch.example").partition("@")[2]
    return lambda alert_id: reply_address(alert_id, domain, signer) if domain else None


@cache
def officer_verifier() -> CognitoTokenVerifier:
    """Apart from `services()`: the authorizer runs as its own function and needs no tables, queues or secrets."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2"
    pool_id = os.environ.get(config.USER_POOL_ID_ENV, "")
    issuer = os.environ.get(config.JWT_ISSUER_ENV) or (default_issuer(region, pool_id) if pool_id else "")
    client_ids = [c.strip() for c in os.environ.get(config.USER_POOL_CLIENT_ID_ENV, "").split(",")]
    jwks_url = os.environ.get(config.JWKS_URL_ENV) or f"{issuer}/.well-known/jwks.json"
    return CognitoTokenVerifier(issuer, client_ids, jwks_url)


@cache
def officer_registry() -> OfficerRegistry:
    """Read by the authorizer on every request (cached in the process for 60 s), and written by the registry API."""
    prefix = config.prefix()
    return OfficerRegistry(_dynamodb(), config.resource_name(config.OFFICERS_TABLE, prefix),
                           config.resource_name(config.ORGANISATIONS_TABLE, prefix))


@cache
def registry_service() -> RegistryService:
    from .adapters.alerts_store import AlertStore
    from .services.registry import RegistryService

    bound_tables()
    directory = CognitoDirectory(boto3.client("cognito-idp"), os.environ.get(config.USER_POOL_ID_ENV, ""))
    return RegistryService(registry=officer_registry(), directory=directory, audit=AlertStore(),
                           area_ids=area_service().area_ids,
                           clock=time.time)


@cache
def partner_service() -> PartnerService:
    from .adapters.alerts_store import AlertStore
    from .services.partners import PartnerService

    bound_tables()
    from .adapters.webhook_http import resolve

    return PartnerService(registry=officer_registry(), audit=AlertStore(), area_ids=area_service().area_ids,
                          clock=time.time, resolve=resolve, webhook_test_receivers=_webhook_test_receivers())


@cache
def partner_alert_service() -> PartnerAlertService:
    from ulid import ULID

    from .adapters.alerts_store import AlertStore
    from .adapters.partner_requests import PartnerRequests
    from .domain.progress import Progress
    from .services.partner_alerts import PartnerAlertService
    from .services.targets import TargetResolver

    prefix = bound_tables()
    ledger = _ledger(prefix)
    return PartnerAlertService(
        partners=officer_registry(),
        keys=PartnerRequests(_dynamodb(), config.resource_name(config.IDEMPOTENCY_TABLE, prefix), time.time),
        store=AlertStore(), resolver=TargetResolver(),
        jobs=SqsJobQueue(boto3.client("sqs"), config.resource_name(config.TARGETING_QUEUE, prefix)),
        limiter=RateLimiter(DynamoRateCounter(time.time), rate_limits()), settings=_alert_settings(),
        clock=time.time, new_id=lambda: str(ULID()),
        progress=lambda alert_id: Progress.from_item(ledger.targeting(alert_id)))


@cache
def cap_receiver() -> CapReceiver:
    from .adapters.alerts_store import AlertStore
    from .adapters.partner_requests import PartnerRequests
    from .services.partner_cap import CapReceiver

    prefix = bound_tables()
    return CapReceiver(
        alerts=partner_alert_service(),
        keys=PartnerRequests(_dynamodb(), config.resource_name(config.IDEMPOTENCY_TABLE, prefix), time.time),
        store=AlertStore(), clock=time.time, events=webhook_events())


@cache
def feed_service() -> FeedService:
    from .adapters.alerts_store import AlertStore
    from .services.feeds import FeedService
    from .services.targets import TargetResolver

    bound_tables()
    registry = officer_registry()
    return FeedService(store=AlertStore(), areas=TargetResolver(), area_ids=area_service().area_ids,
                       settings=_alert_settings(),
                       organisation_known=lambda organisation: registry.organisation(organisation) is not None,
                       forces=lambda: [(o.id, o.name) for o in registry.organisations()])


def _webhook_test_receivers() -> list[str]:
    return [o.strip() for o in (os.environ.get(config.WEBHOOK_TEST_RECEIVERS_ENV) or "").split(",") if o.strip()]


@cache
def webhook_events() -> WebhookEvents:
    """Queues partners' webhook events (services/webhooks.py); the API and the targeting worker both raise them."""
    from .services.webhooks import WebhookEvents

    prefix = config.prefix()
    return WebhookEvents(SqsJobQueue(boto3.client("sqs"), config.resource_name(config.WEBHOOK_QUEUE, prefix)))


def _webhook_deliveries(prefix: str) -> WebhookDeliveries:
    from .adapters.webhook_deliveries import WebhookDeliveries

    return WebhookDeliveries(_dynamodb(), config.resource_name(config.WEBHOOK_DELIVERIES_TABLE, prefix), time.time)


@cache
def webhook_delivery() -> WebhookDelivery:
    from .adapters.alerts_store import AlertStore
    from .adapters.webhook_http import HttpWebhookSender, resolve
    from .services.webhooks import WebhookDelivery

    prefix = bound_tables()
    return WebhookDelivery(
        partners=officer_registry(), alerts=AlertStore(), deliveries=_webhook_deliveries(prefix),
        sender=HttpWebhookSender(),
        queue=SqsJobQueue(boto3.client("sqs"), config.resource_name(config.WEBHOOK_QUEUE, prefix)),
        settings=_alert_settings(), resolve=resolve, test_receivers=_webhook_test_receivers())


@cache
def sending_watch() -> SendingWatch:
    """The five-minute check for alerts stuck in `sending`, and their reconciling (workers/housekeeping.py)."""
    from .adapters.alerts_store import AlertStore
    from .services.sending_watch import SendingWatch

    prefix = bound_tables()
    plans = SqsJobQueue(boto3.client("sqs"), config.resource_name(config.TARGETING_QUEUE, prefix))
    return SendingWatch(AlertStore(), lambda: [o.id for o in officer_registry().organisations()], time.time,
                        plans=plans)


@cache
def scheduled_release() -> ScheduledRelease:
    """The every-minute release of scheduled alerts due within the minute (workers/housekeeping.py)."""
    from ulid import ULID

    from .adapters.alerts_store import AlertStore
    from .services.scheduled_release import ScheduledRelease

    plans = SqsJobQueue(boto3.client("sqs"), config.resource_name(config.TARGETING_QUEUE, bound_tables()))
    return ScheduledRelease(AlertStore(), plans, time.time, lambda: str(ULID()))


@cache
def stats_service() -> StatsService:
    """The dashboard (GET /v1/stats) and the stream's counters (workers/stats.py)."""
    from .adapters.alerts_store import AlertStore
    from .adapters.stats_store import AreaLocator, StatsStore
    from .services.stats import StatsService
    from .services.targets import TargetResolver

    prefix = bound_tables()
    resolver = TargetResolver()
    return StatsService(
        counters=StatsStore(), locate=AreaLocator(lambda: [o.id for o in officer_registry().organisations()]),
        alerts=AlertStore(), ledger=_ledger(prefix), clock=time.time,
        area_names=lambda organisation: resolver.area_names(organisation, _area_ids(organisation)),
        conversations=_conversations())


def _conversations() -> Any:
    from .adapters.replies_store import ReplyStore
    from .adapters.stats_store import ConversationCounts
    from .adapters.survey_answers import SurveyAnswers

    return ConversationCounts(ReplyStore(), SurveyAnswers())


def _area_ids(organisation: str) -> list[str]:
    return area_service().area_ids(organisation)


def reset() -> None:
    """Forgets the wiring, so that a test can point the app at other tables or another emulator."""
    stats_service.cache_clear()
    services.cache_clear()
    partner_service.cache_clear()
    partner_alert_service.cache_clear()
    cap_receiver.cache_clear()
    feed_service.cache_clear()
    webhook_events.cache_clear()
    webhook_delivery.cache_clear()
    site_origins.cache_clear()
    geocoder.cache_clear()
    officer_verifier.cache_clear()
    bound_tables.cache_clear()
    area_service.cache_clear()
    alert_service.cache_clear()
    fanout.cache_clear()
    officer_registry.cache_clear()
    registry_service.cache_clear()
    sending_watch.cache_clear()
    scheduled_release.cache_clear()
    translations.cache_clear()
    _dynamodb.cache_clear()
    receipts.cache_clear()
    inbound_sms.cache_clear()
    inbound_email.cache_clear()
    reply_service.cache_clear()
    web_replies.cache_clear()
    survey_service.cache_clear()
