"""The one place that sizes delivery to the providers' quotas, and the one timeout the workers run under.

A delivery function's concurrency cap (reserved concurrency and the SQS event source's MaximumConcurrency) times the
rate each worker paces itself to is the account's quota, so the rate holds per account, not only per worker: two SMS
workers at 10 a second each make SNS's default 20 SMS a second. Raise a quota with AWS first, then here.

`WORKER_TIMEOUT_SECONDS` drives the queue-fed functions' timeout, the queues' visibility timeouts (six times it, as
AWS advises for SQS event sources; tests/unit/test_quotas.py checks infra/resources.yaml) and the local pump's
Lambda context.
"""

from __future__ import annotations

from dataclasses import dataclass

WORKER_TIMEOUT_SECONDS = 60
VISIBILITY_TIMEOUT_SECONDS = 6 * WORKER_TIMEOUT_SECONDS
# API Gateway gives up on an integration after 29 s; a longer Lambda timeout would only run on unseen.
API_TIMEOUT_SECONDS = 29
AUTHORIZER_TIMEOUT_SECONDS = 10
EVENT_HANDLER_TIMEOUT_SECONDS = 30
HOUSEKEEPING_TIMEOUT_SECONDS = 300

# Caps that bound what a flood of requests or events can cost; the account's default pool is 1,000 and AWS keeps 100
# of it unreserved, so everything reserved here must stay well under 900.
API_CONCURRENCY = 100
AUTHORIZER_CONCURRENCY = 50
TRANSACTIONAL_CONCURRENCY = 2  # each verification code is also an SMS or an email under the same quotas
TARGETING_CONCURRENCY = 10
EVENT_HANDLER_CONCURRENCY = 5
SEND_RATE_ENV = "HEXWATCH_SEND_RATE_PER_SECOND"


@dataclass(frozen=True)
class ChannelQuota:
    channel: str
    account_per_second: float  # the provider's account-wide sending rate in this region
    concurrency: int  # at least 2: the least MaximumConcurrency an SQS event source takes

    @property
    def per_worker_per_second(self) -> float:
        return self.account_per_second / self.concurrency

    def environment(self) -> dict[str, str]:
        return {SEND_RATE_ENV: f"{self.per_worker_per_second:g}"}


CHANNELS = {
    # SES's sending rate for an account out of the sandbox starts at 14 messages a second (each bulk entry counts).
    "email": ChannelQuota("email", account_per_second=14, concurrency=2),
    # SNS sends 20 SMS a second per account by default.
    "sms": ChannelQuota("sms", account_per_second=20, concurrency=2),
    # End User Messaging voice: outbound calls are limited per origination number; 2 workers, 1 call a second each.
    "voice": ChannelQuota("voice", account_per_second=2, concurrency=2),
    # SNS mobile push allows tens of thousands a second; five workers bound the cost of a runaway, not the rate.
    "push": ChannelQuota("push", account_per_second=500, concurrency=5),
}


def channel(name: str) -> ChannelQuota:
    return CHANNELS[name]


def timeout_of(function: str) -> int:
    """The Lambda timeout of each function in the packaged template."""
    if function == "APIHandler":
        return API_TIMEOUT_SECONDS
    if function == "OfficerAuthorizer":
        return AUTHORIZER_TIMEOUT_SECONDS
    if function in ("HandleSesEvent", "HandleVoiceEvent", "SmsReceipts", "HandleInboundSms",
                    "HandleInboundEmail"):
        return EVENT_HANDLER_TIMEOUT_SECONDS
    if function in ("PurgeUnverified", "WatchSending", "ReleaseScheduled"):
        return HOUSEKEEPING_TIMEOUT_SECONDS
    return WORKER_TIMEOUT_SECONDS
