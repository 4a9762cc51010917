"""Signing in: asking for a sign-in link or code, and the server-side sessions a redeemed link or code opens."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from ..domain.contacts import ContactHasher
from ..domain.errors import unauthorised
from ..domain.residents import Resident
from ..domain.tokens import TokenError, TokenSigner
from .resident_common import SESSION, SIGNIN, SIGNIN_ACCEPTED, RateLimiter, ResidentSettings, iso
from .resident_ports import JobQueue, ResidentRecords, Sessions, SmsBudget


class ResidentSignin:
    def __init__(self, *, store: ResidentRecords, hasher: ContactHasher, signer: TokenSigner, jobs: JobQueue,
                 limiter: RateLimiter, sessions: Sessions, settings: ResidentSettings, clock: Callable[[], float],
                 sms_budget: SmsBudget | None = None) -> None:
        self._store = store
        self._hasher = hasher
        self._signer = signer
        self._jobs = jobs
        self._limiter = limiter
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._sms_budget = sms_budget

    def start_signin(self, body: dict[str, Any], client_ip: str) -> dict[str, Any]:
        self._limiter.check("signin.ip", self._hasher.hash("ip:" + client_ip))
        if "email" in body:
            contact = self._hasher.email(body["email"])
        elif "landline" in body:
            contact = self._hasher.landline(body["landline"])
        else:
            contact = self._hasher.mobile(body["phone"])
        self._limiter.check("signin.contact", contact.hash)
        if self._sms_budget is not None:
            self._sms_budget.charge([contact])
        owner = self._store.contact_owner(contact.hash)
        # Only a verified contact can sign in: a claim nobody confirmed may be someone else's typing, and confirming it
        # from here would pull its real owner into that profile.
        if owner is not None and owner.verified:
            self._jobs.put({"type": SIGNIN, "resident_id": owner.resident_id, "contact_hash": contact.hash})
        return {"status": "sent", "message": SIGNIN_ACCEPTED}

    def authenticate(self, authorization: str | None) -> Resident:
        resident_id, _ = self._open_session(authorization)
        resident = self._store.get(resident_id)
        if resident is None:
            raise unauthorised()
        return resident

    def sign_out(self, authorization: str | None) -> None:
        """Ends this session only: the resident may be signed in elsewhere too."""
        self._sessions.close(*self._open_session(authorization))

    def open_session(self, resident_id: str) -> dict[str, Any]:
        """A new session for a resident who just redeemed a link or code: its token, and how long it lasts."""
        session_id = secrets.token_urlsafe(16)
        now = self._clock()
        self._sessions.open(resident_id, session_id, iso(now), int(now) + self._settings.session_ttl)
        token = self._signer.sign(SESSION, {"sub": resident_id, "sid": session_id}, self._settings.session_ttl)
        return {"session": token, "expires_in": self._settings.session_ttl}

    def _open_session(self, authorization: str | None) -> tuple[str, str]:
        """The resident and session id of a valid session token whose session is still open; 401 otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorised()
        try:
            claims = self._signer.verify(token.strip(), SESSION)
        except TokenError:
            raise unauthorised() from None
        resident_id, session_id = claims.get("sub"), claims.get("sid")
        if not isinstance(resident_id, str) or not isinstance(session_id, str):
            raise unauthorised()  # signed, but not a session we opened (sessions before server-side sessions)
        if not self._sessions.is_open(resident_id, session_id):
            raise unauthorised()
        return resident_id, session_id
