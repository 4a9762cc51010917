"""Machine translation of an alert's title and body: which languages can be had, what must never be translated, and
what a resident reads when no translation can be had. Pure: no AWS here (services/translations.py calls Amazon
Translate through adapters/translations.py).

Incident references, web and email addresses, phone numbers and place names (the alert's named areas, and the towns
in the project's outcode data) are swapped for numbered placeholders before translation and put back after, so that
"Stone", "Leek" or "SP/2026/4411" reach a Welsh reader exactly as written. A translation that loses, repeats or
invents a placeholder is not used: the resident gets the original with a note instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .alerts import Content

# The language codes Amazon Translate takes (its documentation, 2026), keyed by the base of a resident's BCP 47 tag.
# Regional and script forms it has are listed whole; any other tag uses its base language, if that is here.
TRANSLATE_CODES = frozenset({
    "af", "am", "ar", "az", "bg", "bn", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "es", "es-MX", "et", "fa",
    "fa-AF", "fi", "fr", "fr-CA", "ga", "gu", "ha", "he", "hi", "hr", "ht", "hu", "hy", "id", "is", "it", "ja", "ka",
    "kk", "kn", "ko", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "mt", "nl", "no", "pa", "pl", "ps", "pt", "pt-PT",
    "ro", "ru", "si", "sk", "sl", "so", "sq", "sr", "sv", "sw", "ta", "te", "th", "tl", "tr", "uk", "ur", "uz", "vi",
    "zh", "zh-TW",
})
# Script forms that Translate does not write: Punjabi in Shahmukhi (pa-Arab) is not Gurmukhi (pa).
UNTRANSLATABLE_SCRIPTS = frozenset({"arab", "latn", "cyrl", "deva"})

# What a resident reads above the original when their language could not be had, in their language. Languages not
# listed get the English line.
FALLBACK_NOTES = {
    "en": "We could not translate this message, so here it is as written.",
    "cy": "Nid oeddem yn gallu cyfieithu'r neges hon, felly dyma hi fel y'i hysgrifennwyd.",
    "pl": "Nie udało się przetłumaczyć tej wiadomości, więc przesyłamy ją w oryginale.",
    "ro": "Nu am putut traduce acest mesaj, așa că îl trimitem în original.",
    "lt": "Šio pranešimo išversti nepavyko, todėl siunčiame jį originalo kalba.",
    "ur": "ہم اس پیغام کا ترجمہ نہیں کر سکے، اس لیے یہ اصل زبان میں ہے۔",  # noqa: RUF001 - Urdu's own full stop
    "pa": "ਅਸੀਂ ਇਸ ਸੁਨੇਹੇ ਦਾ ਅਨੁਵਾਦ ਨਹੀਂ ਕਰ ਸਕੇ, ਇਸ ਲਈ ਇਹ ਅਸਲ ਭਾਸ਼ਾ ਵਿੱਚ ਹੈ।",
    "ar": "لم نتمكن من ترجمة هذه الرسالة، لذا نرسلها بلغتها الأصلية.",
    "bn": "আমরা এই বার্তাটি অনুবাদ করতে পারিনি, তাই এটি মূল ভাষায় দেওয়া হলো।",
    "gu": "અમે આ સંદેશનો અનુવાદ કરી શક્યા નથી, તેથી તે મૂળ ભાષામાં છે.",
}
# The languages a call can be read in (adapters/voice.py VOICES: Amy, Gwyneth, Ewa); others hear the original.
VOICE_LANGUAGES = ("en", "cy", "pl")
# Read before an alert a call reads in English because no voice speaks the resident's language.
VOICE_IN_ENGLISH_NOTE = "This message is read in English, because we cannot read it aloud in your language."

PLACEHOLDER = re.compile(r"\[\[\s*(\d{1,3})\s*\]\]")
_URL = r"https?://[^\s<>\"]+[^\s<>\".,;:!?)]"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_PHONE = r"(?<![\w/])\+?\d[\d ()-]{4,}\d(?![\w/])"
_ALWAYS = re.compile(f"{_URL}|{_EMAIL}|{_PHONE}")


def base_language(tag: str) -> str:
    return tag.strip().replace("_", "-").split("-", 1)[0].lower()


def translate_code(tag: str) -> str | None:
    """Amazon Translate's code for a resident's language tag, or None if it cannot translate into it."""
    parts = tag.strip().replace("_", "-").split("-")
    if len(parts) > 1 and len(parts[1]) == 4 and parts[1].lower() in UNTRANSLATABLE_SCRIPTS:
        return None
    whole = "-".join([parts[0].lower(), *[p.upper() if len(p) == 2 else p for p in parts[1:2]]])
    if whole in TRANSLATE_CODES:
        return whole
    return parts[0].lower() if parts[0].lower() in TRANSLATE_CODES else None


def same_language(one: str, other: str) -> bool:
    return base_language(one) == base_language(other)


@dataclass(frozen=True)
class Protected:
    """A text with what must not be translated swapped for [[n]] placeholders, and the originals by number."""

    text: str
    originals: tuple[str, ...]


def protect(text: str, keep: Sequence[str], places: PlaceNames | None = None) -> Protected:
    """Swaps addresses, numbers, the exact strings in `keep` (the reference, contact details, area names) and known
    place names for placeholders; numbering follows the order they appear in."""
    spans: list[tuple[int, int]] = [match.span() for match in _ALWAYS.finditer(text)]
    for phrase in sorted({k for k in keep if k and k.strip()}, key=len, reverse=True):
        spans += [m.span() for m in re.finditer(re.escape(phrase), text)]
    if places is not None:
        spans += places.spans(text)
    chosen: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -(span[1] - span[0]))):
        if not chosen or start >= chosen[-1][1]:
            chosen.append((start, end))  # the longest of overlapping spans that starts first wins
    pieces: list[str] = []
    originals: list[str] = []
    at = 0
    for start, end in chosen:
        pieces.append(text[at:start])
        pieces.append(f"[[{len(originals)}]]")
        originals.append(text[start:end])
        at = end
    pieces.append(text[at:])
    return Protected("".join(pieces), tuple(originals))


def restore(translated: str, protected: Protected) -> str | None:
    """The translation with each placeholder put back, or None if any was lost, repeated or made up."""
    found = [int(number) for number in PLACEHOLDER.findall(translated)]
    if sorted(found) != list(range(len(protected.originals))):
        return None
    return PLACEHOLDER.sub(lambda match: protected.originals[int(match.group(1))], translated)


class PlaceNames:
    """Town and area names, matched whole and as written (capitalised), so that "Stone" the town is kept but "stone"
    the word is translated."""

    def __init__(self, names: Iterable[str]) -> None:
        usable = sorted({n.strip() for n in names if len(n.strip()) >= 3 and n.strip()[0].isupper()},
                        key=len, reverse=True)
        self.names = tuple(usable)
        self._pattern = (re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in usable) + r")(?![\w-])")
                         if usable else None)

    def spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in self._pattern.finditer(text)] if self._pattern else []


def fallback(original: Content, original_language: str, wanted: str) -> Content:
    """The original words, with a one-line note in the resident's language saying they could not be translated."""
    note = FALLBACK_NOTES.get(base_language(wanted), FALLBACK_NOTES["en"])
    return Content(original.title, f"{note}\n{original.body}", machine_translated=False, written_in=original_language)
