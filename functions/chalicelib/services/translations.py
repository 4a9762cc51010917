"""An alert's words in a resident's language (domain/translation.py holds the rules).

At send time the delivery workers take recipients a language at a time and ask here for that language's title and
body. An officer's own translation (the alert's `translations`) is used as written. Otherwise the words are protected
(references, addresses, numbers, place names kept out), translated once for every worker through a claim in the
translations table, and checked back: if the service is missing (the local stack), refuses, or loses a placeholder,
every resident of that language gets the original words with a one-line note in their language. Nobody is dropped.
Officers see the same translations in the preview, from the same table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from ..domain.alerts import Alert, Content
from ..domain.translation import PlaceNames, Protected, fallback, protect, restore, same_language, translate_code

logger = Logger(child=True)

CLAIM_STALE_SECONDS = 30  # a claim older than this is a worker that died: the next one translates
RETRY_FAILED = 3600  # a failed translation stands this long: then the next worker that needs it tries again
WAIT_SECONDS = 8.0  # how long a worker waits for another's translation before it sends the original with the note


class Translator(Protocol):
    def translate(self, text: str, source: str, target: str) -> str: ...


class Cached(Protocol):
    @property
    def status(self) -> str: ...  # pending, done, failed
    @property
    def claimed_at(self) -> float: ...
    @property
    def title(self) -> str | None: ...
    @property
    def body(self) -> str | None: ...


class Cache(Protocol):
    def get(self, key: str) -> Cached | None: ...
    def claim(self, key: str, now: float, stale_after: float, retry_failed_after: float) -> bool: ...
    def finish(self, key: str, now: float, title: str, body: str) -> None: ...
    def fail(self, key: str, now: float, reason: str) -> None: ...


class Translations:
    def __init__(self, translator: Translator, cache: Cache, places: PlaceNames,
                 key: Callable[[str, str, str, str], str], clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep, wait_seconds: float = WAIT_SECONDS,
                 area_names: Callable[[str, list[str]], dict[str, str]] | None = None) -> None:
        self._area_names = area_names
        self._translator = translator
        self._cache = cache
        self._places = places
        self._key = key
        self._clock = clock
        self._sleep = sleep
        self._wait = wait_seconds

    def content_for(self, alert: Alert, language: str) -> Content:
        """The title and body a resident whose language is `language` reads."""
        if language in alert.content:
            return alert.content[language]
        written_in, original = next(iter(alert.content.items()))
        if same_language(written_in, language):
            return original
        source, target = translate_code(written_in), translate_code(language)
        if source is None or target is None:
            return fallback(original, written_in, language)
        keep = [alert.incident_ref, *(str(v) for v in alert.contact.values()), *self._named_areas(alert)]
        title, body = protect(original.title, keep, self._places), protect(original.body, keep, self._places)
        translated = self._translated(source, target, title, body)
        if translated is None:
            return fallback(original, written_in, language)
        return Content(translated[0], translated[1], machine_translated=True)

    def _named_areas(self, alert: Alert) -> list[str]:
        if alert.target.get("type") != "areas" or self._area_names is None:
            return []
        return list(self._area_names(alert.source.organisation, list(alert.target["area_ids"])).values())

    def _translated(self, source: str, target: str, title: Protected, body: Protected) -> tuple[str, str] | None:
        key = self._key(source, target, title.text, body.text)
        deadline = self._clock() + self._wait
        while True:
            found = self._cache.get(key)
            if found is not None and found.status == "done":
                return _restored(found, title, body)
            if found is not None and found.status == "failed" and found.claimed_at > self._clock() - RETRY_FAILED:
                return None
            if self._cache.claim(key, self._clock(), CLAIM_STALE_SECONDS, RETRY_FAILED):
                return self._translate(key, source, target, title, body)
            if self._clock() >= deadline:
                logger.warning("translation not ready in time: sending the original with a note",
                               extra={"target": target})
                return None
            self._sleep(0.25)

    def _translate(self, key: str, source: str, target: str, title: Protected,
                   body: Protected) -> tuple[str, str] | None:
        try:
            words = (self._translator.translate(title.text, source, target),
                     self._translator.translate(body.text, source, target))
        except Exception as error:  # any refusal: the original goes, with the note
            reason = _reason(error)
            logger.warning("machine translation failed", extra={"target": target, "reason": reason})
            self._cache.fail(key, self._clock(), reason)
            return None
        restored = (restore(words[0], title), restore(words[1], body))
        if restored[0] is None or restored[1] is None:
            logger.warning("machine translation lost a placeholder", extra={"target": target})
            self._cache.fail(key, self._clock(), "a placeholder was lost")
            return None
        self._cache.finish(key, self._clock(), words[0], words[1])
        return restored[0], restored[1]

    def preview(self, alert: Alert, languages: list[str], limit: int = 10) -> dict[str, Any]:
        """What residents of each language (the largest first, at most `limit`) would read, for the officer."""
        shown: dict[str, Any] = {}
        for language in languages[:limit]:
            content = self.content_for(alert, language)
            shown[language] = {"title": content.title, "body": content.body,
                               "machine_translated": content.machine_translated,
                               "untranslated": content.written_in is not None}
        return shown


def _restored(found: Cached, title: Protected, body: Protected) -> tuple[str, str] | None:
    words = (restore(found.title or "", title), restore(found.body or "", body))
    return (words[0], words[1]) if words[0] is not None and words[1] is not None else None


def _reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__
