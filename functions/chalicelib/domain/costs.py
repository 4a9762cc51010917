"""What an alert will cost to send, and when that is enough to need a supervisor. Pure: no AWS here.

Email and push cost next to nothing; SMS is billed per segment and voice per started minute, so those are what the
limits watch. Prices and limits are configuration (HEXWATCH_SEND_LIMITS), in pence so that sums stay exact; the
defaults are UK list prices of AWS End User Messaging at the time of writing, for an estimate, never an invoice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SendLimits:
    max_sms: int = 1000  # SMS messages (not segments) one send may make without a supervisor
    max_voice: int = 100  # voice calls
    max_cost_pence: int = 5000  # £50
    sms_segment_pence: float = 3.5
    voice_minute_pence: float = 1.5
    voice_words_per_minute: int = 150  # a neural voice's pace, for the call length

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SendLimits:
        known = {name: values[name] for name in asdict(cls()) if name in values}
        return cls(**known)


@dataclass(frozen=True)
class Estimate:
    sms_messages: int
    sms_segments: int  # per message
    voice_calls: int
    voice_minutes: int  # per call
    sms_pence: float
    voice_pence: float

    @property
    def total_pence(self) -> float:
        return self.sms_pence + self.voice_pence

    def as_json(self) -> dict[str, Any]:
        return {"sms": {"messages": self.sms_messages, "segments_each": self.sms_segments,
                        "cost_gbp": round(self.sms_pence / 100, 2)},
                "voice": {"calls": self.voice_calls, "minutes_each": self.voice_minutes,
                          "cost_gbp": round(self.voice_pence / 100, 2)},
                "total_cost_gbp": round(self.total_pence / 100, 2)}


def call_minutes(spoken_text: str, limits: SendLimits) -> int:
    return max(1, math.ceil(len(spoken_text.split()) / limits.voice_words_per_minute))


def estimate(by_channel: Mapping[str, int], sms_segments: int, voice_minutes: int, limits: SendLimits) -> Estimate:
    sms, voice = int(by_channel.get("sms", 0)), int(by_channel.get("voice", 0))
    return Estimate(sms, sms_segments, voice, voice_minutes, sms * sms_segments * limits.sms_segment_pence,
                    voice * voice_minutes * limits.voice_minute_pence)


def is_costly(cost: Estimate, limits: SendLimits) -> bool:
    return (cost.sms_messages > limits.max_sms or cost.voice_calls > limits.max_voice
            or cost.total_pence > limits.max_cost_pence)
