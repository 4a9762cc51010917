"""How long a text message is in SMS segments, and how to shorten an alert so it fits a budget of segments.

Amazon SNS bills every SMS per segment (message part), not per message, so a 161-character alert costs twice what a
160-character one does, and one stray character can cost more still. UK networks send texts in the GSM 03.38 default
alphabet (GSM-7, 7-bit septets, no national language shift tables): a single part holds 160 septets, and each part of
a longer message holds 153 because the rest carries the concatenation header. A single character outside that
alphabet, such as a Welsh "ŵ", a Polish "ł", a curly quote or an emoji, makes the whole message UCS-2 (UTF-16), where
a part holds only 70 code units, or 67 in a longer message.

Parts are counted by packing greedily, as the network does: an extension character (escape plus one septet) is never
split across two parts, and neither is a UTF-16 surrogate pair, so plain division can undercount.

When an alert is too long for the forces' budget, `fit` shortens it at a word boundary and ends it with "..." (or "…"
in a text that is UCS-2 anyway, so shortening never makes a text dearer) and a link to the full alert on the web.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"

# GSM 03.38 default alphabet, in code order 0x00-0x7F; 0x1B (escape to the extension table) is not a character.
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

# The extension table: each character is sent as escape plus one septet, so it costs two septets.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7_SINGLE = 160
_GSM7_PART = 153
_UCS2_SINGLE = 70
_UCS2_PART = 67

_ELLIPSIS_GSM7 = "..."
_ELLIPSIS_UCS2 = "…"


# Faithful swaps only: each stands for the same thing in GSM-7. A letter outside GSM-7 (Welsh ŵ and â, Polish ł) is
# never changed: the text goes as UCS-2 and is spelt as written.
GSM7_SWAPS = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",  # curly single quotes, prime
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',  # curly double quotes
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",  # dashes
    "\u2026": "...",  # ellipsis
    "\u00a0": " ", "\u202f": " ", "\u2009": " ",  # no-break and thin spaces
})


def gsm_safe(text: str) -> str:
    """The text with typographic quotes, dashes, ellipses and odd spaces swapped for their GSM-7 forms, so that one
    pasted curly quote does not make a whole alert UCS-2 (70 characters a part instead of 160)."""
    return text.translate(GSM7_SWAPS)


@dataclass(frozen=True)
class SmsCost:
    segments: int
    encoding: str


def encoding(text: str) -> str:
    """GSM-7 when every character is in the default alphabet or its extension table, else UCS-2."""
    return GSM_7 if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text) else UCS_2


def _unit_costs(text: str, enc: str) -> list[int]:
    if enc == GSM_7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def length_in_units(text: str) -> int:
    """Septets for a GSM-7 text (extension characters count 2), UTF-16 code units for a UCS-2 text."""
    return sum(_unit_costs(text, encoding(text)))


def _pack(costs: Sequence[int], single: int, part: int) -> int:
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def segments(text: str) -> int:
    """How many SMS parts the text is sent (and billed) as; an empty text is one part."""
    enc = encoding(text)
    costs = _unit_costs(text, enc)
    if enc == GSM_7:
        return _pack(costs, _GSM7_SINGLE, _GSM7_PART)
    return _pack(costs, _UCS2_SINGLE, _UCS2_PART)


def describe(text: str) -> SmsCost:
    return SmsCost(segments=segments(text), encoding=encoding(text))


def _droppable(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def _strip_end(text: str) -> str:
    """Drop trailing spaces and punctuation, so that "Road closed, " shortens to "Road closed..."."""
    end = len(text)
    while end and _droppable(text[end - 1]):
        end -= 1
    return text[:end]


def _longest_fitting(cuts: Sequence[int], prefix_at: Callable[[int], str], fits: Callable[[str], bool]) -> str | None:
    # The cuts are ascending, so their prefixes are ever longer prefixes of one text, and a longer prefix never takes
    # fewer segments: the cuts that fit come first, and a binary search finds the last of them.
    low, high = 0, len(cuts)
    while low < high:
        mid = (low + high) // 2
        if fits(prefix_at(cuts[mid])):
            low = mid + 1
        else:
            high = mid
    return prefix_at(cuts[low - 1]) if low else None


def fit(text: str, max_segments: int, link: str | None = None) -> str:
    """The text itself if it fits in `max_segments`, else shortened at a word boundary with "..." and the link.

    Only when the first word alone is too long is a word cut. When no text fits beside the link, the result is the
    link alone; when not even the link fits, ValueError.
    """
    if max_segments < 1:
        raise ValueError(f"an SMS needs at least one segment, not {max_segments}")
    if segments(text) <= max_segments:
        return text
    if link and segments(link) > max_segments:
        raise ValueError(f"the link alone does not fit in {max_segments} SMS segment(s)")
    tail = f" {link}" if link else ""

    def shortened(prefix: str) -> str:
        ellipsis = _ELLIPSIS_GSM7 if encoding(prefix + tail) == GSM_7 else _ELLIPSIS_UCS2
        return f"{prefix}{ellipsis}{tail}"

    def fits(prefix: str) -> bool:
        return segments(shortened(prefix)) <= max_segments

    # No prefix longer than this many characters fits, whatever its encoding: it bounds the work on long texts.
    longest = max(_GSM7_SINGLE, _GSM7_PART * max_segments)

    def at_word(cut: int) -> str:
        return _strip_end(text[:cut])

    def in_word(cut: int) -> str:
        return text[:cut].rstrip()

    # Only cuts that leave some of the text are tried; no prefix longer than `longest` characters can fit.
    longest = max(_GSM7_SINGLE, _GSM7_PART * max_segments)
    kept = next((i for i, ch in enumerate(text) if not _droppable(ch)), len(text))
    word_cuts = [i for i in range(kept + 1, min(len(text), longest + 1)) if text[i].isspace()]
    best = _longest_fitting(word_cuts, at_word, fits)
    if best is None:
        # Not even the first word fits beside the ellipsis and link: cut inside it.
        start = len(text) - len(text.lstrip())
        end = word_cuts[0] if word_cuts else min(len(text), longest + 1)
        best = _longest_fitting(range(start + 1, end), in_word, fits)
    if best is None:
        return link if link else _ELLIPSIS_GSM7
    return shortened(best)
