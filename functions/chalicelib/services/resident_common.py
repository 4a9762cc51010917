"""What the resident use cases share: their settings, link purposes, answers, rate limits and locations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..adapters.geocoding import DISTRICT_NOTE
from ..domain.errors import FieldError, HexwatchError, invalid, rate_limited
from ..domain.geo import location_key
from ..domain.residents import Location
from .resident_ports import Geocoder, RateCounter

# What a signed token is for (domain/tokens.py): a token signed for one purpose is refused for any other.
SESSION = "session"
VERIFY = "verify"
SIGNIN = "signin"
UNSUBSCRIBE = "unsubscribe"

# (requests, window seconds) per action and scope. SMS pumping is a real cost, so per-contact limits are tight.
DEFAULT_RATE_LIMITS: dict[str, tuple[int, int]] = {
    "signup.ip": (20, 3600),
    "signup.contact": (3, 3600),
    "verify.ip": (60, 3600),
    "verify.contact": (10, 3600),
    "signin.ip": (30, 3600),
    "signin.contact": (5, 3600),
    # Previews too big for their request, per officer: each may read every location of the force in the worker.
    "preview.officer": (30, 3600),
    # Answers to residents' replies, per officer: each is an email or a text to a resident.
    "respond.officer": (60, 3600),
    # Replies on the web reply page, per alert link: one resident's link cannot flood the team's inbox.
    "reply.link": (10, 3600),
    # Signed alerts per partner agency (replays of a key count too): a leaked secret cannot flood a force's residents.
    "partner.alerts": (60, 3600),
}

# Unsubscribing from the messages a contact receives stops the channels that contact serves.
CHANNELS_SERVED_BY = {"email": ["email"], "mobile": ["sms", "voice"], "landline": ["voice"]}


@dataclass(frozen=True)
class ResidentSettings:
    notice_version: str
    session_ttl: int = 30 * 60
    verify_link_ttl: int = 48 * 3600
    signin_link_ttl: int = 15 * 60
    code_ttl: int = 15 * 60
    max_code_attempts: int = 5
    max_devices: int = 10
    rate_limits: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))


SIGNUP_ACCEPTED = ("Thank you. We have sent a link to your email address and/or a code to your mobile. "
                   "Your alerts start once you confirm.")
SIGNIN_ACCEPTED = "If that contact is registered, we have sent it a sign-in link or code."


def link_refused() -> HexwatchError:
    return invalid("That link is invalid or has expired. Ask for a new one.",
                   FieldError("/token", "is invalid or expired"))


def link_used() -> HexwatchError:
    return HexwatchError("That link has already been used. Ask for a new one.",
                         [FieldError("/token", "has already been used")], 410, "LinkUsed")


def already_verified(pointer: str) -> HexwatchError:
    return HexwatchError("This contact is already confirmed. Sign in to change your alerts.",
                         [FieldError(pointer, "is already confirmed")], 409, "AlreadyVerified")


def wrong_code() -> HexwatchError:
    # One answer for every failure (no such number, no code, wrong, expired, too many tries): it must not tell anyone
    # which numbers are registered.
    return invalid("That code is wrong or has expired. Check it, or ask for a new one.",
                   FieldError("/code", "is wrong or expired"))


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class RateLimiter:
    """Fixed-window limits per action and scope (DEFAULT_RATE_LIMITS, overridden by `HEXWATCH_RATE_LIMITS`); past
    one, 429 with Retry-After."""

    def __init__(self, counter: RateCounter, limits: Mapping[str, tuple[int, int]]) -> None:
        self._counter = counter
        self._limits = limits

    def check(self, rule: str, subject: str) -> None:
        limit, window = self._limits[rule]
        count, retry_after = self._counter.hit(f"{rule}#{subject}", window)
        if count > limit:
            raise rate_limited(retry_after)


class Locator:
    """Turns the locations a resident asks for (a postcode, or a point) into stored locations with their keys."""

    def __init__(self, geocoder: Geocoder, new_id: Callable[[], str]) -> None:
        self._geocoder = geocoder
        self._new_id = new_id

    def locate(self, requested: list[dict[str, Any]]) -> list[tuple[Location, str | None]]:
        located = []
        for index, wanted in enumerate(requested):
            if "postcode" in wanted:
                point = self._geocoder.geocode(wanted["postcode"])
                if point is None:
                    raise invalid("We could not find that postcode.",
                                  FieldError(f"/locations/{index}/postcode", "is not a known UK postcode"))
                lat, lng, precision, note = point.lat, point.lng, point.precision, point.note
            else:
                lat, lng, precision, note = float(wanted["lat"]), float(wanted["lng"]), "point", None
            key = location_key(lat, lng)
            located.append((Location(self._new_id(), wanted["label"], round(lat, 6), round(lng, 6), precision,
                                     key.partition, key.point_cell), note))
        return located


def describe_location(location: Location, note: str | None) -> dict[str, Any]:
    described: dict[str, Any] = {"id": location.id, "label": location.label, "lat": location.lat,
                                 "lng": location.lng, "precision": location.precision}
    if location.precision == "district":
        described["approximate"] = True
        described["note"] = note or DISTRICT_NOTE
    return described
