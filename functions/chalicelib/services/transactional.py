"""Sends the one-to-one messages that signup and sign-in queue: verification, sign-in and welcome; and officers'
answers to residents' replies (services/replies.py), which carry the officer's words.

Queue jobs carry ids (and an answer's words) only, never an address; the worker rereads the resident, so an erased
resident's queued jobs send nothing, and the secrets (link tokens, SMS codes) are made here rather than travelling
through the queue.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from ..adapters.residents_store import ResidentStore, SuppressionList
from ..domain.contacts import LANDLINE_PREFIXES, ContactHasher, ContactKind
from ..domain.messages import (
    RenderedEmail,
    code_call,
    signin_email,
    signin_sms,
    verification_email,
    verification_sms,
    welcome_email,
)
from ..domain.residents import ContactRecord
from ..domain.sms_replies import SMS_STOPPED
from ..domain.tokens import TokenSigner
from .residents import SIGNIN, UNSUBSCRIBE, VERIFY, ResidentSettings

logger = Logger(child=True)

# Contacts that providers have refused: sending to them again harms deliverability for every resident.
UNDELIVERABLE = ("bounced", "complained")


class EmailSender(Protocol):
    def send(self, to: str, email: RenderedEmail) -> str: ...


class SmsSender(Protocol):
    # adapters/messaging.py's SnsSmsSender, which sends the alerts' SMS too. A provider error is raised: the worker
    # fails the SQS message, which comes back and is sent again.
    def publish(self, to: str, text: str) -> str: ...


class CodeCaller(Protocol):
    # adapters/voice.py: Pinpoint SMS Voice v2 in AWS, the S3 outbox locally. A provider error is raised.
    def call_code(self, to: str, ssml: str, language: str) -> str: ...


@dataclass(frozen=True)
class Links:
    site_url: str
    api_url: str


class TransactionalSender:
    def __init__(self, *, store: ResidentStore, suppressions: SuppressionList, hasher: ContactHasher,
                 signer: TokenSigner, email: EmailSender, sms: SmsSender, links: Links,
                 settings: ResidentSettings, clock: Callable[[], float], voice: CodeCaller | None = None) -> None:
        self._voice = voice
        self._store = store
        self._suppressions = suppressions
        self._hasher = hasher
        self._signer = signer
        self._email = email
        self._sms = sms
        self._links = links
        self._settings = settings
        self._clock = clock

    def handle(self, job: dict[str, Any]) -> str:
        """Sends one job's message; returns what happened, for the log and the tests."""
        resident = self._store.get(str(job.get("resident_id")))
        record = resident.contact(str(job.get("contact_hash"))) if resident else None
        if resident is None or record is None:
            return "skipped: resident or contact no longer exists"
        reason = self._suppressions.reason(record.hash)
        if reason in UNDELIVERABLE:
            return "skipped: contact is suppressed"
        if reason == SMS_STOPPED and record.kind == ContactKind.MOBILE.value:
            # The number texted STOP, and the provider's opt-out list now refuses it: it must text START first.
            return "skipped: the number texted STOP"
        # Each link has its own id (`jti`): redeeming records it, so a link works once (services/residents.py).
        claims = {"sub": resident.id, "ch": record.hash, "jti": secrets.token_urlsafe(12)}
        job_type = job.get("type")
        if job_type == "answer":
            return self._answer(job, record)
        if record.kind == ContactKind.EMAIL.value:
            if job_type == VERIFY:
                token = self._signer.sign(VERIFY, claims, self._settings.verify_link_ttl)
                self._email.send(record.address, verification_email(self._links.site_url, token))
            elif job_type == SIGNIN:
                token = self._signer.sign(SIGNIN, claims, self._settings.signin_link_ttl)
                self._email.send(record.address, signin_email(self._links.site_url, token))
            elif job_type == "welcome":
                token = self._signer.sign(UNSUBSCRIBE, claims, None)
                self._email.send(record.address, welcome_email(self._links.site_url, self._links.api_url, token))
            else:
                raise ValueError(f"unknown job type {job_type!r}")
            return f"sent {job_type} email"
        if record.kind == ContactKind.MOBILE.value and job_type in (VERIFY, SIGNIN):
            if not self._hasher.countries.allows(record.address):
                # The API refuses such numbers; one stored before the setting narrowed, or written some other way,
                # must not be texted either. The log names the job, never the number.
                logger.warning("transactional SMS refused: number outside the SMS countries",
                               extra={"job_type": job_type})
                return "skipped: mobile number outside the SMS countries"
            code = self._issue_code(record.hash, resident.id)
            if code is None:
                return "skipped: another signup has claimed this number since"
            sms = verification_sms(code) if job_type == VERIFY else signin_sms(code)
            self._sms.publish(record.address, sms.text)
            return f"sent {job_type} sms"
        if record.kind == ContactKind.LANDLINE.value and job_type in (VERIFY, SIGNIN) and self._voice is not None:
            if not record.address.startswith(LANDLINE_PREFIXES):
                return "skipped: not a UK landline"  # the API refuses others; one stored before must not be rung
            code = self._issue_code(record.hash, resident.id)
            if code is None:
                return "skipped: another signup has claimed this number since"
            ssml = code_call(code, "confirm" if job_type == VERIFY else "sign in")
            self._voice.call_code(record.address, ssml, resident.language)
            return f"sent {job_type} call"
        return f"skipped: nothing to send for {job_type} to a {record.kind}"

    def _issue_code(self, contact_hash: str, resident_id: str) -> str | None:
        """A fresh code for the contact, or None if another signup holds the contact now (its own job texts it)."""
        code = f"{secrets.randbelow(10**6):06d}"
        issued = self._store.issue_code(contact_hash, resident_id, self._hasher.code_digest(contact_hash, code),
                                        int(self._clock()) + self._settings.code_ttl)
        return code if issued else None

    def _answer(self, job: dict[str, Any], record: ContactRecord) -> str:
        """An officer's answer to a resident's reply (services/replies.py wrote it), to the contact the reply came
        from or, for a web reply, the one the service chose."""
        text = str(job.get("text") or "")
        if record.kind == ContactKind.EMAIL.value:
            reply_to = job.get("reply_to")
            self._email.send(record.address, RenderedEmail(
                str(job.get("subject") or "Re: your reply"), text,
                "<html><body>" + "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n")) + "</body></html>",
                {"Reply-To": str(reply_to)} if reply_to else {}))
            return "sent answer email"
        self._sms.publish(record.address, text)
        return "sent answer sms"
