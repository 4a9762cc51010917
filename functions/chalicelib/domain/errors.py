"""Errors the domain raises; the API layer turns each into one stable JSON error body."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    pointer: str  # a JSON pointer into the request body, "" for the body itself
    message: str


@dataclass
class HexwatchError(Exception):
    """Base of every error that is the caller's to fix; `status` is the HTTP status that the API answers with."""

    message: str
    errors: list[FieldError] = field(default_factory=list)
    status: int = 400
    code: str = "BadRequest"
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def invalid(message: str, *errors: FieldError) -> HexwatchError:
    return HexwatchError(message, list(errors), 400, "ValidationError")


def too_large(limit: int) -> HexwatchError:
    return HexwatchError(f"The request body is larger than {limit} bytes.", [FieldError("", "too large")], 413,
                         "PayloadTooLarge")


def unauthorised(message: str = "Sign in again: the session is missing, invalid or expired.") -> HexwatchError:
    return HexwatchError(message, [FieldError("", "unauthorised")], 401, "Unauthorized",
                         {"WWW-Authenticate": 'Bearer realm="hexwatch-residents"'})


def forbidden(message: str, *errors: FieldError) -> HexwatchError:
    return HexwatchError(message, list(errors), 403, "Forbidden")


def rate_limited(retry_after_seconds: int) -> HexwatchError:
    return HexwatchError("Too many requests: please wait and try again.", [], 429, "TooManyRequests",
                         {"Retry-After": str(max(1, retry_after_seconds))})
