"""Resident use cases: sign up, verify, sign in, manage preferences, export, erase, unsubscribe.

ResidentService is the one entry point the API, the workers and infra/erase_resident.py use; each use case lives in
its own module, and this facade only builds them and hands each call on:

- resident_signup.py: signing up, and confirming a contact by link or code (which signs the resident in);
- resident_signin.py: asking for a sign-in link or code, and sessions;
- resident_account.py: the signed-in resident's view, preferences, export and devices;
- resident_erasure.py: erasure, one-click unsubscribe, and purging signups never confirmed;
- resident_common.py: settings, link purposes, answers, rate limits and locations they share;
- resident_ports.py: the Protocols they depend on, which the adapters and the unit tests' fakes implement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ulid import ULID

from ..domain.contacts import ContactHasher
from ..domain.residents import Resident
from ..domain.tokens import TokenSigner
from .resident_account import ResidentAccount

# Re-exported: the other services, the workers, infra and the tests import these names from here.
from .resident_common import (
    CHANNELS_SERVED_BY,
    DEFAULT_RATE_LIMITS,
    SESSION,
    SIGNIN,
    SIGNIN_ACCEPTED,
    SIGNUP_ACCEPTED,
    UNSUBSCRIBE,
    VERIFY,
    Locator,
    RateLimiter,
    ResidentSettings,
    already_verified,
    iso,
    link_refused,
    link_used,
    wrong_code,
)
from .resident_erasure import ResidentErasure
from .resident_ports import (
    DeliveryRecords,
    Geocoder,
    JobQueue,
    PushRegistry,
    RateCounter,
    RedeemedLinks,
    ReplyRecords,
    ResidentRecords,
    Sessions,
    SmsBudget,
    Suppressions,
)
from .resident_signin import ResidentSignin
from .resident_signup import ResidentSignup

__all__ = ["CHANNELS_SERVED_BY", "DEFAULT_RATE_LIMITS", "SESSION", "SIGNIN", "SIGNIN_ACCEPTED", "SIGNUP_ACCEPTED",
           "UNSUBSCRIBE", "VERIFY", "DeliveryRecords", "JobQueue", "PushRegistry", "RateCounter", "RedeemedLinks",
           "ResidentService", "ResidentSettings", "Sessions", "SmsBudget", "already_verified", "iso", "link_refused",
           "link_used", "wrong_code"]


class ResidentService:
    def __init__(self, *, store: ResidentRecords, suppressions: Suppressions, hasher: ContactHasher,
                 signer: TokenSigner, geocoder: Geocoder, jobs: JobQueue, rate_counter: RateCounter,
                 push: PushRegistry, settings: ResidentSettings, clock: Callable[[], float],
                 links: RedeemedLinks, sessions: Sessions,
                 new_id: Callable[[], str] = lambda: str(ULID()), deliveries: DeliveryRecords | None = None,
                 sms_budget: SmsBudget | None = None, replies: ReplyRecords | None = None) -> None:
        limiter = RateLimiter(rate_counter, settings.rate_limits)
        locator = Locator(geocoder, new_id)
        self.signin = ResidentSignin(store=store, hasher=hasher, signer=signer, jobs=jobs, limiter=limiter,
                                     sessions=sessions, settings=settings, clock=clock, sms_budget=sms_budget)
        self.enrolment = ResidentSignup(store=store, suppressions=suppressions, hasher=hasher, signer=signer,
                                        locator=locator, jobs=jobs, limiter=limiter, links=links, settings=settings,
                                        clock=clock, new_id=new_id, open_session=self.signin.open_session,
                                        sms_budget=sms_budget)
        self.account = ResidentAccount(store=store, suppressions=suppressions, locator=locator, push=push,
                                       settings=settings, clock=clock, new_id=new_id)
        self.erasure = ResidentErasure(store=store, suppressions=suppressions, signer=signer, push=push,
                                       sessions=sessions, clock=clock, deliveries=deliveries, replies=replies)

    # ----- signup and verification (resident_signup.py) -----

    def signup(self, body: dict[str, Any], client_ip: str) -> dict[str, Any]:
        return self.enrolment.signup(body, client_ip)

    def redeem(self, body: dict[str, Any], client_ip: str) -> dict[str, Any]:
        return self.enrolment.redeem(body, client_ip)

    # ----- sign-in and sessions (resident_signin.py) -----

    def start_signin(self, body: dict[str, Any], client_ip: str) -> dict[str, Any]:
        return self.signin.start_signin(body, client_ip)

    def authenticate(self, authorization: str | None) -> Resident:
        return self.signin.authenticate(authorization)

    def sign_out(self, authorization: str | None) -> None:
        self.signin.sign_out(authorization)

    # ----- the resident's own account (resident_account.py) -----

    def view(self, resident: Resident) -> dict[str, Any]:
        return self.account.view(resident)

    def update(self, resident: Resident, body: dict[str, Any]) -> dict[str, Any]:
        return self.account.update(resident, body)

    def export(self, resident: Resident) -> dict[str, Any]:
        return self.account.export(resident)

    def register_device(self, resident: Resident, body: dict[str, Any]) -> dict[str, Any]:
        return self.account.register_device(resident, body)

    # ----- leaving: erasure, unsubscribe, purge (resident_erasure.py) -----

    def erase(self, resident: Resident) -> None:
        self.erasure.erase(resident)

    def purge_unverified(self, created_before: str) -> int:
        return self.erasure.purge_unverified(created_before)

    def unsubscribe_details(self, token: str) -> dict[str, Any]:
        return self.erasure.unsubscribe_details(token)

    def unsubscribe(self, token: str, categories: list[str] | None) -> dict[str, Any]:
        return self.erasure.unsubscribe(token, categories)
