"""Every environment variable the functions read, named in one place.

An explicit argument always beats the environment: adapters and services take their settings as parameters, and only
`bootstrap` and the decorators in `app.py` read from here.
"""

from __future__ import annotations

import os

PREFIX_ENV = "HEXWATCH_PREFIX"
SITE_URL_ENV = "HEXWATCH_SITE_URL"
API_URL_ENV = "HEXWATCH_API_URL"
SENDER_EMAIL_ENV = "HEXWATCH_SENDER_EMAIL"
SMS_SENDER_ID_ENV = "HEXWATCH_SMS_SENDER_ID"
# The two-way long code alert SMS are sent from (AWS.MM.SMS.OriginationNumber), so residents can reply and text STOP;
# without it SMS go from the sender ID and carry no "reply STOP".
SMS_ORIGINATION_NUMBER_ENV = "HEXWATCH_SMS_ORIGINATION_NUMBER"
# Where STOP and START are mirrored: "sms-voice" (the End User Messaging opt-out list) or "local-outbox" (the local
# stack: the list is kept as objects in the outbox bucket, and says so).
OPT_OUT_LIST_ADAPTER_ENV = "HEXWATCH_OPT_OUT_LIST"
OPT_OUT_LIST_NAME_ENV = "HEXWATCH_OPT_OUT_LIST_NAME"  # the list the two-way number uses (default "Default")
GEOCODER_ENV = "HEXWATCH_GEOCODER"
GEO_API_KEY_ENV = "HEXWATCH_GEO_API_KEY"
RATE_LIMITS_ENV = "HEXWATCH_RATE_LIMITS"
# Cross-sender de-duplication (domain/dedup.py): {"threshold": 0.8, "window_hours": 72}.
DEDUP_ENV = "HEXWATCH_DEDUP"
PRIVACY_NOTICE_VERSION_ENV = "HEXWATCH_PRIVACY_NOTICE_VERSION"
PENDING_SIGNUP_DAYS_ENV = "HEXWATCH_PENDING_SIGNUP_DAYS"
USER_POOL_ID_ENV = "HEXWATCH_USER_POOL_ID"
USER_POOL_CLIENT_ID_ENV = "HEXWATCH_USER_POOL_CLIENT_ID"
JWKS_URL_ENV = "HEXWATCH_JWKS_URL"
VOICE_ADAPTER_ENV = "HEXWATCH_VOICE"  # "pinpoint" (production) or "local-outbox" (writes calls to S3, says so)
EMAIL_ADAPTER_ENV = "HEXWATCH_BULK_EMAIL"  # "sesv2-bulk" (production) or "sesv2-single" (the emulator lacks bulk)
VOICE_ORIGINATION_ENV = "HEXWATCH_VOICE_ORIGINATION"  # the phone number or pool that voice calls come from
ORGANISATIONS_ENV = "HEXWATCH_ORGANISATIONS"  # JSON: {"<org id>": {"name": ..., "reply_domain": ...}}
SEND_LIMITS_ENV = "HEXWATCH_SEND_LIMITS"  # JSON: over these a supervisor must approve (see domain/costs.py)
PARK_DELAY_ENV = "HEXWATCH_PARK_DELAY_SECONDS"  # how long a provider's quota or pause parks a message (default 900)
CLAIM_TIMEOUT_ENV = "HEXWATCH_CLAIM_TIMEOUT_SECONDS"  # longer than the delivery functions' timeout (default 900)
PREVIEW_BUDGET_ENV = "HEXWATCH_PREVIEW_BUDGET_SECONDS"  # how long a preview may count in the request before 202
PREVIEW_PIECE_ENV = "HEXWATCH_PREVIEW_LOCATIONS_PER_PIECE"  # locations a slow preview's piece reads (default 20,000)
SMS_COUNTRIES_ENV = "HEXWATCH_SMS_COUNTRIES"  # ISO regions residents' phones may be in, comma-separated (default GB)
# How many messages a second one delivery worker may send: the account's quota over the workers' concurrency cap,
# both from infra/quotas.py, set per function by the template.
SEND_RATE_ENV = "HEXWATCH_SEND_RATE_PER_SECOND"
TRANSACTIONAL_SMS_PER_HOUR_ENV = "HEXWATCH_TRANSACTIONAL_SMS_PER_HOUR"  # codes texted per clock hour (default 100)
# The SES configuration set every email names (default <prefix>-deliveries; "none" sends without one) and the voice
# configuration set every call names (default <prefix>-voice): their event destinations bring delivery feedback.
SES_CONFIGURATION_SET_ENV = "HEXWATCH_SES_CONFIGURATION_SET"
VOICE_CONFIGURATION_SET_ENV = "HEXWATCH_VOICE_CONFIGURATION_SET"
ORIGIN_VERIFY_ENV = "HEXWATCH_ORIGIN_VERIFY"  # "required": the API answers 403 without X-Origin-Verify (deployed)

DEFAULT_PREFIX = "hexwatch"
DEFAULT_PRIVACY_NOTICE_VERSION = "2026-11"


def prefix() -> str:
    return os.environ.get(PREFIX_ENV, DEFAULT_PREFIX)


def resource_name(suffix: str, resource_prefix: str | None = None) -> str:
    """Names every table, queue, topic and secret as `infra/resources.yaml` does: `<Prefix>-<suffix>`."""
    return f"{resource_prefix or prefix()}-{suffix}"


def configuration_set(env: str, suffix: str, resource_prefix: str | None = None) -> str | None:
    """A configuration set's name: the environment's, else the template's `<Prefix>-<suffix>`; "none" means none."""
    name = os.environ.get(env) or resource_name(suffix, resource_prefix)
    return None if name.lower() == "none" else name


# Resource suffixes, shared with infra/resources.yaml (a test checks that the two agree).
SUBSCRIBERS_TABLE = "subscribers"
CONTACTS_TABLE = "contacts"
LOCATIONS_TABLE = "locations"
SUPPRESSIONS_TABLE = "suppressions"
RATE_LIMITS_TABLE = "rate-limits"
IDEMPOTENCY_TABLE = "idempotency"
AREAS_TABLE = "areas"
ALERTS_TABLE = "alerts"
AUDIT_TABLE = "audit-log"
OFFICERS_TABLE = "officers"  # the officer registry: organisation, role and areas per user pool `sub`
ORGANISATIONS_TABLE = "organisations"
PREVIEWS_TABLE = "previews"
TRANSLATIONS_TABLE = "translations"  # machine translations of alerts' words, once per text and language (30 days)
TRANSLATE_ENV = "HEXWATCH_TRANSLATE"  # "amazon" (production) or "none" (the emulator has no Translate: notes instead)
DELIVERIES_TABLE = "deliveries"
REDEEMED_LINKS_TABLE = "redeemed-links"  # ids of used verify and sign-in links, until they expire
RESIDENT_SESSIONS_TABLE = "resident-sessions"  # open resident sessions; sign-out and erasure delete them
SURVEY_ANSWERS_TABLE = "survey-answers"  # one answer per resident per alert's survey
REPLIES_TABLE = "replies"  # residents' replies to alerts, for the sender's team (TTL: domain/replies.py)
STATS_TABLE = "stats"  # the dashboard's counters, fed by the subscribers table's stream (domain/stats.py)
STATS_DEAD_LETTER_QUEUE = "stats-dlq"


def subscribers_stream_arn() -> str:
    """The subscribers table's stream, as Chalice's decorator must be given it when the app is loaded. The real ARN
    carries the stream's creation time, known only once deployed: the package step points the event source at the
    table's StreamArn instead (infra/functions.py), and the local pump finds the table's latest stream by its name."""
    return os.environ.get("HEXWATCH_SUBSCRIBERS_STREAM_ARN") or (
        f"arn:aws:dynamodb:eu-west-2:000000000000:table/{resource_name(SUBSCRIBERS_TABLE)}/stream/latest")
WEBHOOK_DELIVERIES_TABLE = "webhook-deliveries"  # each event to a partner and how its delivery went (30 days)
WEBHOOK_QUEUE = "webhooks"  # events for partners' webhooks (services/webhooks.py)
# Exact origins (e.g. http://127.0.0.1:8765) the webhook rules let through anyway: the local test receiver only.
WEBHOOK_TEST_RECEIVERS_ENV = "HEXWATCH_WEBHOOK_TEST_RECEIVERS"
TARGETING_QUEUE = "targeting"
# One delivery queue per channel, so that a slow or throttled provider holds back only its own channel.
DELIVERY_QUEUES = {"email": "deliver-email", "sms": "deliver-sms", "voice": "deliver-voice", "push": "deliver-push"}
LOCAL_OUTBOX_BUCKET = "local-outbox"  # the local stack only: where the simulated voice adapter writes its calls
TRANSACTIONAL_QUEUE = "transactional"
SES_EVENTS_TOPIC = "ses-events"
SES_CONFIGURATION_SET = "deliveries"  # publishes bounces, complaints, deliveries and rejects to SES_EVENTS_TOPIC
VOICE_CONFIGURATION_SET = "voice"  # Pinpoint SMS Voice v2: publishes call events to VOICE_EVENTS_TOPIC
VOICE_EVENTS_TOPIC = "voice-events"
INBOUND_SMS_TOPIC = "inbound-sms"  # the two-way number's TwoWayChannelArn: texts residents send to us
INBOUND_MAIL_TOPIC = "inbound-mail"  # SES's receipt rule: a reply was stored in the inbound mail bucket
INBOUND_MAIL_BUCKET_ENV = "HEXWATCH_INBOUND_MAIL_BUCKET"  # the template's InboundMailBucket
SIGNING_SECRET = "signing-keys"
CONTACT_HASH_SECRET = "contact-hash-key"
# The value CloudFront adds as the X-Origin-Verify header to every request it forwards to the API; the API refuses
# requests without it (403), so nobody can bypass CloudFront (its WAF rule, its viewer-address header) by calling the
# execute-api URL directly.
ORIGIN_VERIFY_SECRET = "origin-verify"
PUSH_PLATFORMS_ENV = "HEXWATCH_PUSH_PLATFORMS"  # JSON: {"fcm": "<platform application ARN>", "apns": "..."}
JWT_ISSUER_ENV = "HEXWATCH_JWT_ISSUER"  # default: https://cognito-idp.<region>.amazonaws.com/<HEXWATCH_USER_POOL_ID>
# HEXWATCH_USER_POOL_CLIENT_ID may list several app clients, comma-separated; HEXWATCH_JWKS_URL defaults to
# <issuer>/.well-known/jwks.json (the local stack points it at the emulator, whose tokens carry the AWS issuer).
