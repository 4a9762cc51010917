"""Counts an officer sees before anything is sent, with small numbers hidden. Pure: no AWS here.

A preview of a shape drawn around a few houses would otherwise say how many residents live there, on which channels
and in which language: that singles out a household. So any count below SMALL_COUNT (zero included, or a "fewer than
5" would itself mean "at least one") is shown as FEWER_THAN, and so is everything computed from it: an SMS or voice
cost derived from a hidden count is shown only as an upper bound ("under 0.53"), and a total that includes one is too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .costs import Estimate, SendLimits

SMALL_COUNT = 5
FEWER_THAN = f"fewer than {SMALL_COUNT}"


def shown_count(count: int) -> int | str:
    return count if count >= SMALL_COUNT else FEWER_THAN


def shown_counts(counts: Mapping[str, int], always: Iterable[str] = ()) -> dict[str, int | str]:
    """Each count as shown; keys in `always` (an alert's channels, say) are listed even at zero, so that a missing
    key cannot tell "none" from "a few"."""
    keys = sorted(set(counts) | set(always))
    return {key: shown_count(int(counts.get(key, 0))) for key in keys}


def _gbp(pence: float) -> float:
    return round(pence / 100, 2)


def shown_estimate(cost: Estimate, limits: SendLimits) -> dict[str, Any]:
    """Estimate.as_json with counts under SMALL_COUNT hidden, and the costs made from them shown as "under X"."""
    sms_hidden, voice_hidden = cost.sms_messages < SMALL_COUNT, cost.voice_calls < SMALL_COUNT
    # The most a hidden count could cost: SMALL_COUNT - 1 messages or calls, so strictly under SMALL_COUNT of them.
    sms_bound = SMALL_COUNT * cost.sms_segments * limits.sms_segment_pence
    voice_bound = SMALL_COUNT * cost.voice_minutes * limits.voice_minute_pence
    sms_pence = sms_bound if sms_hidden else cost.sms_pence
    voice_pence = voice_bound if voice_hidden else cost.voice_pence
    shown = cost.as_json()
    shown["sms"].update(messages=shown_count(cost.sms_messages),
                        cost_gbp=f"under {_gbp(sms_bound):.2f}" if sms_hidden else _gbp(cost.sms_pence))
    shown["voice"].update(calls=shown_count(cost.voice_calls),
                          cost_gbp=f"under {_gbp(voice_bound):.2f}" if voice_hidden else _gbp(cost.voice_pence))
    total = _gbp(sms_pence + voice_pence)
    shown["total_cost_gbp"] = f"under {total:.2f}" if sms_hidden or voice_hidden else total
    return shown
