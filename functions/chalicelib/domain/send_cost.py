"""What sending an alert to an audience costs, and whether that needs a supervisor: the one calculation that both a
preview and the pipeline's decision after targeting use. Pure: no AWS here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .alert_messages import AlertLinks, sms_text, voice_text
from .alerts import Alert
from .costs import Estimate, SendLimits, call_minutes, estimate, is_costly
from .sms import SmsCost, describe


class CostSettings(Protocol):
    @property
    def limits(self) -> SendLimits: ...

    @property
    def links(self) -> AlertLinks: ...

    @property
    def sms_max_segments(self) -> int: ...

    def sender_name(self, organisation: str) -> str: ...


@dataclass(frozen=True)
class CostCheck:
    sms: SmsCost  # the SMS text's segments and encoding, in the alert's first language
    estimate: Estimate
    costly: bool  # over a limit: a supervisor who may approve costly sends must approve it


def check_cost(alert: Alert, by_channel: Mapping[str, int], settings: CostSettings) -> CostCheck:
    language = next(iter(alert.content))
    name = settings.sender_name(alert.source.organisation)
    # As sent from a two-way number, with the survey's line: the dearest the text can be.
    sms = describe(sms_text(alert, language, name, settings.links, settings.sms_max_segments, opt_out_words=True))
    minutes = call_minutes(voice_text(alert, language, name, two_way_number="+447700900000"), settings.limits)
    cost = estimate(by_channel, sms.segments, minutes, settings.limits)
    return CostCheck(sms, cost, is_costly(cost, settings.limits))
