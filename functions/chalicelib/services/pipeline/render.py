"""One provider call's worth of an alert, rendered for its channel: the email content and its recipients' links, the
SMS text, the spoken call, the push notification. Also where a recipient is reached (`contact_for`, `address_for`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from ...domain.alert_messages import email_content, email_recipient_fields, push_text, sms_text, voice_text
from ...domain.alerts import Alert, Content
from ...domain.contacts import ContactKind
from ...domain.delivery import EmailRecipient, Outcome, PushMessage, SendResult, SmsMessage, VoiceCall
from ...domain.replies import REPLY_LINK, REPLY_WINDOW_SECONDS
from ...domain.reply_addresses import reply_address
from ...domain.residents import Resident
from ...domain.sms_replies import SMS_STOPPED
from ...domain.surveys import SURVEY_LINK
from ...domain.tokens import TokenSigner
from ...domain.translation import VOICE_IN_ENGLISH_NOTE, VOICE_LANGUAGES, base_language, same_language
from ..resident_common import UNSUBSCRIBE
from .ports import Channels, Entry

if TYPE_CHECKING:
    from ..alerts import AlertSettings

Chunk = Sequence[tuple[Entry, Resident]]
# Suppression reasons that keep a contact from being sent to (a bounce, a complaint, an opt-out, an erasure), and
# those that keep it from one channel only (a text STOP ends texts; calls to the number go on).
UNDELIVERABLE = ("bounced", "complained", "opted_out", "erased")
UNDELIVERABLE_ON = {"sms": (*UNDELIVERABLE, SMS_STOPPED)}


def undeliverable(reason: str | None, channel: str) -> bool:
    return reason in UNDELIVERABLE_ON.get(channel, UNDELIVERABLE)


def contact_for(resident: Resident, channel: str) -> str | None:
    """The contact (hash) a channel reaches this resident at, or None if it cannot."""
    if channel not in resident.reachable_channels():
        return None
    if channel == "push":
        return f"push:{resident.id}"
    kinds = {"email": (ContactKind.EMAIL,), "sms": (ContactKind.MOBILE,),
             "voice": (ContactKind.LANDLINE, ContactKind.MOBILE)}[channel]
    record = next((found for kind in kinds if (found := resident.verified(kind))), None)
    return record.hash if record else None


def spoken(alert: Alert, language: str) -> tuple[Alert, str]:
    """What a call reads, and in which voice: the resident's words where a voice speaks their language, otherwise
    the original, saying (in English) why it is in English."""
    content = alert.content.get(language)
    if content is not None and content.written_in is None and base_language(language) in VOICE_LANGUAGES:
        return alert, language
    written_in, original = next(iter(alert.content.items()))
    if base_language(written_in) == "en" and not same_language(written_in, language):
        original = Content(original.title, f"{VOICE_IN_ENGLISH_NOTE} {original.body}")
    return replace(alert, content={**alert.content, written_in: original}), written_in


def address_for(resident: Resident, contact_hash: str) -> str:
    record = resident.contact(contact_hash)
    return record.address if record else ""


class Localiser(Protocol):
    """services/translations.py: an alert's title and body in a language (translated once, or the original with a
    note when no translation can be had)."""

    def content_for(self, alert: Alert, language: str) -> Content: ...


class Renderer:
    """Sends one chunk of claimed recipients through their channel, rendered in their language."""

    def __init__(self, channels: Channels, settings: AlertSettings, signer: TokenSigner,
                 reply_domain: str | None, translations: Localiser | None = None) -> None:
        self._channels = channels
        self._settings = settings
        self._signer = signer
        self._reply_domain = reply_domain
        self._translations = translations
        self._localised: dict[tuple[str, str, int], Content] = {}  # this container's, by alert, language and words

    def _in_language(self, alert: Alert, language: str) -> Alert:
        """The alert with its words in `language` filed under it (translated, or the original with a note)."""
        if self._translations is None or language in alert.content:
            return alert
        key = (alert.id, language, hash(tuple(alert.content.items())))
        if key not in self._localised:
            if len(self._localised) > 64:
                self._localised.clear()
            self._localised[key] = self._translations.content_for(alert, language)
        return replace(alert, content={**alert.content, language: self._localised[key]})

    def send(self, alert: Alert, channel: str, language: str, footage: bool, chunk: Chunk) -> list[SendResult]:
        alert = self._in_language(alert, language)
        if channel == "voice":
            alert, language = spoken(alert, language)
        name = self._settings.sender_of(alert)
        links = self._settings.links
        if channel == "email":
            reply_to = reply_address(alert.id, self._reply_domain, self._signer) if self._reply_domain else None
            content = email_content(alert, language, name, links, footage=footage, reply_to=reply_to)
            recipients = []
            for entry, resident in chunk:
                token = self._signer.sign(UNSUBSCRIBE, {"sub": resident.id, "ch": entry.contact}, None)
                reply_token = self._signer.sign(REPLY_LINK, {"sub": resident.id, "a": alert.id,
                                                             "o": alert.source.organisation, "ch": entry.contact},
                                                REPLY_WINDOW_SECONDS)
                survey_token = self._signer.sign(SURVEY_LINK, {"sub": resident.id, "a": alert.id,
                                                               "o": alert.source.organisation, "ch": entry.contact},
                                                 REPLY_WINDOW_SECONDS) if alert.survey else None
                data, headers = email_recipient_fields(links, token, reply_token, survey_token)
                recipients.append(EmailRecipient(entry.key, address_for(resident, entry.contact), data, headers))
            return self._channels.email.send(content, recipients)
        if channel == "sms":
            text = sms_text(alert, language, name, links, self._settings.sms_max_segments, footage=footage,
                            opt_out_words=self._settings.sms_opt_out_words)
            return self._channels.sms.send([SmsMessage(e.key, address_for(r, e.contact), text) for e, r in chunk])
        if channel == "voice":
            text = voice_text(alert, language, name, footage=footage,
                              two_way_number=self._settings.two_way_number or None)
            return self._channels.voice.send([VoiceCall(e.key, address_for(r, e.contact), text, language)
                                              for e, r in chunk])
        return self._push(alert, language, name, chunk)

    def _push(self, alert: Alert, language: str, name: str, chunk: Chunk) -> list[SendResult]:
        """One notification per registered device; a resident counts as sent when any of their devices took it."""
        title, body = push_text(alert, language, name)
        data = {"alert_id": alert.id, "url": self._settings.links.full_alert(alert.source.organisation, alert.id)}
        messages = [PushMessage(f"{entry.key}|{device.id}", str(device.endpoint_arn), title, body, data)
                    for entry, resident in chunk for device in resident.devices if device.endpoint_arn]
        by_resident: dict[str, list[SendResult]] = defaultdict(list)
        for result in self._channels.push.send(messages) if messages else []:
            by_resident[result.key.split("|", 1)[0]].append(result)
        combined = []
        for entry, _ in chunk:
            results = by_resident.get(entry.key, [])
            accepted = next((r for r in results if r.outcome is Outcome.ACCEPTED), None)
            if accepted:
                combined.append(SendResult(entry.key, Outcome.ACCEPTED, accepted.provider_id))
            elif held := next((r for r in results if r.outcome.retried), None):
                combined.append(SendResult(entry.key, held.outcome, error=held.error or "retry"))
            else:
                combined.append(SendResult(entry.key, Outcome.PERMANENT,
                                           error=results[0].error if results else "no-device"))
        return combined
