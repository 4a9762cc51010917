"""Machine translation: Amazon Translate's TranslateText, and a DynamoDB table that keeps each translation so that it
is asked for once per text and language however many delivery workers need it at the same moment.

The emulator has no Amazon Translate: locally `NoMachineTranslation` answers every request with
`TranslationUnavailable`, and residents get the original words with a note in their language (domain/translation.py),
which the local outbox shows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, PutError

from .models import TranslationModel

if TYPE_CHECKING:
    from mypy_boto3_translate import TranslateClient
else:
    TranslateClient = Any

KEEP_SECONDS = 30 * 86400


class TranslationUnavailable(Exception):
    """No translation can be had: no service here, or the service refused."""


class AmazonTranslator:
    def __init__(self, client: TranslateClient) -> None:
        self._client = client

    def translate(self, text: str, source: str, target: str) -> str:
        """One TranslateText call; its errors are raised (the caller falls back to the original)."""
        answer = self._client.translate_text(Text=text, SourceLanguageCode=source, TargetLanguageCode=target)
        return str(answer["TranslatedText"])


class NoMachineTranslation:
    """The local stack's translator: there is none, and it says so."""

    REASON = "no machine translation on the local emulator (it has no Amazon Translate)"

    def translate(self, text: str, source: str, target: str) -> str:
        raise TranslationUnavailable(self.REASON)


@dataclass(frozen=True)
class CachedTranslation:
    status: str  # pending, done, failed
    claimed_at: float
    title: str | None = None
    body: str | None = None


def cache_key(source: str, target: str, title: str, body: str) -> str:
    return hashlib.sha256("\x1f".join((source, target, title, body)).encode("utf-8")).hexdigest()


class TranslationCache:
    def get(self, key: str) -> CachedTranslation | None:
        try:
            item = TranslationModel.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        return CachedTranslation(item.status, float(item.claimed_at), item.title, item.body)

    def claim(self, key: str, now: float, stale_after: float, retry_failed_after: float) -> bool:
        """True for the one caller that should translate: the first, the next after a claim went stale (its worker
        died), or the first once a failure is old enough to try again. Everyone else waits for what it writes."""
        item = TranslationModel(key=key, status="pending", claimed_at=now, expires_at=int(now) + KEEP_SECONDS)
        try:
            item.save(TranslationModel.key.does_not_exist()
                      | ((TranslationModel.status == "pending") & (TranslationModel.claimed_at < now - stale_after))
                      | ((TranslationModel.status == "failed")
                         & (TranslationModel.claimed_at < now - retry_failed_after)))
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def finish(self, key: str, now: float, title: str, body: str) -> None:
        TranslationModel(key=key, status="done", claimed_at=now, title=title, body=body,
                         expires_at=int(now) + KEEP_SECONDS).save()

    def fail(self, key: str, now: float, reason: str) -> None:
        # A failure stands for a while (services/translations.py RETRY_FAILED), then the next worker tries again.
        TranslationModel(key=key, status="failed", claimed_at=now, reason=reason[:200],
                         expires_at=int(now) + KEEP_SECONDS).save()
