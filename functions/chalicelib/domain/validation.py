"""Parsing and validating request bodies against the JSON Schemas in `schemas/` (Draft 2020-12).

Bodies are parsed here rather than by Chalice, because Chalice answers 500 on deeply nested JSON; every failure
becomes a 4xx `HexwatchError` that names each offending field with a JSON pointer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from .errors import FieldError, HexwatchError, invalid, too_large

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 20
MAX_REPORTED_ERRORS = 100


class _TooDeep(Exception):
    pass


def _check_depth(value: Any, limit: int) -> None:
    # Iterative, so that hostile nesting cannot exhaust the interpreter's stack.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                raise _TooDeep
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(raw: bytes | None, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The body as a JSON object, or a 4xx: 413 over `max_bytes`, 400 when malformed, too deep or not an object."""
    raw = raw or b""
    if len(raw) > max_bytes:
        raise too_large(max_bytes)
    if not raw.strip():
        raise invalid("The request body is empty: send a JSON object.", FieldError("", "a JSON object is required"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("The request body is not UTF-8.", FieldError("", "not UTF-8")) from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except ValueError as error:
        raise invalid("The request body is not valid JSON.", FieldError("", f"malformed JSON: {error}")) from None
    if not isinstance(value, dict):
        raise invalid("The request body must be a JSON object.", FieldError("", "must be a JSON object"))
    try:
        _check_depth(value, max_depth)
    except _TooDeep:
        raise _too_deep(max_depth) from None
    return value


def _too_deep(max_depth: int) -> HexwatchError:
    return invalid(f"The request body is nested more than {max_depth} levels deep.",
                   FieldError("", f"nested deeper than {max_depth} levels"))


def parse_form(raw: bytes | None, max_bytes: int = MAX_BODY_BYTES) -> dict[str, list[str]]:
    """An `application/x-www-form-urlencoded` body (the signup page without JavaScript) as lists of values."""
    raw = raw or b""
    if len(raw) > max_bytes:
        raise too_large(max_bytes)
    try:
        return parse_qs(raw.decode("utf-8"), keep_blank_values=False, strict_parsing=False, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise invalid("The form could not be read.", FieldError("", "malformed form body")) from None


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _describe(error: ValidationError) -> list[FieldError]:
    """Turns one jsonschema error into field errors a person can act on."""
    if error.validator == "required":
        # "'email' is a required property" names the missing field: point at where it should be.
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return [FieldError(_pointer(error.absolute_path) + "/" + missing, "is required")]
    if error.validator == "additionalProperties":
        extras = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return [FieldError(_pointer(error.absolute_path) + "/" + name, "is not a recognised field") for name in extras]
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Report the branch that came closest, rather than "is not valid under any of the given schemas".
        described = [field for sub in _closest_branch(error) for field in _describe(sub)]
        hint = error.schema.get("description")
        if hint and described:
            return [FieldError(e.pointer, f"{e.message} ({hint})") for e in described]
        return described
    if error.validator == "not":
        return [FieldError(_pointer(error.absolute_path), "combines fields that cannot be sent together")]
    return [FieldError(_pointer(error.absolute_path), _plain_message(error))]


def _plain_message(error: ValidationError) -> str:
    """jsonschema's messages quote the value and the rule (a regular expression, say); people need the rule in words."""
    rule, schema = error.validator, error.schema
    if rule == "pattern":
        # A schema may say in words what its pattern refuses (e.g. control characters in an alert's title).
        return str(schema.get("x-pattern-message") or "is not in the expected format")
    if rule == "format":
        return f"is not a valid {schema['format'].replace('-', ' ')}"
    if rule == "enum":
        return "must be one of: " + ", ".join(str(value) for value in schema["enum"])
    if rule == "const":
        return "must be ticked" if schema["const"] is True else f"must be {schema['const']!r}"
    if rule == "type":
        expected = schema["type"] if isinstance(schema["type"], str) else " or ".join(schema["type"])
        return f"must be {'an' if expected[0] in 'aeiou' else 'a'} {expected}"
    if rule in ("minLength", "maxLength"):
        return f"must be {'at least' if rule == 'minLength' else 'at most'} {schema[rule]} characters long"
    if rule in ("minimum", "maximum"):
        return f"must be {'at least' if rule == 'minimum' else 'at most'} {schema[rule]}"
    if rule in ("minItems", "maxItems"):
        return f"{'needs at least' if rule == 'minItems' else 'can have at most'} {schema[rule]}"
    if rule == "uniqueItems":
        return "has the same choice more than once"
    if rule == "minProperties":
        return "must change at least one thing"
    return str(error.message)


def _closest_branch(error: ValidationError) -> list[ValidationError]:
    """The failing branch with the fewest errors; on a tie, the one whose required fields the caller did send. A branch
    for another `type` than the one sent (a circle's branch for a polygon target) comes last, however few its errors:
    a polygon with many bad rings must hear about its rings, not that it should have been a circle."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    sent = set(error.instance) if isinstance(error.instance, dict) else set()

    def closeness(index: int) -> tuple[bool, int, int]:
        required = error.schema[error.validator][index].get("required", [])
        other_kind = any(sub.validator == "const" and list(sub.relative_path) == ["type"] for sub in branches[index])
        return other_kind, len(branches[index]), -len(sent & set(required))

    return branches[min(branches, key=closeness)]


class SchemaLibrary:
    """Every schema in one folder, compiled once and cross-referenced by `$id`."""

    def __init__(self, folder: Path) -> None:
        documents = {path.name: json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.json"))}
        registry: Registry[Any] = Registry().with_resources(
            (doc["$id"], Resource.from_contents(doc)) for doc in documents.values())
        self.documents = documents
        self._validators = {
            name: Draft202012Validator(doc, registry=registry, format_checker=FormatChecker())
            for name, doc in documents.items()
        }

    def errors(self, name: str, instance: Any) -> list[FieldError]:
        validator = self._validators[f"{name}.json"]
        found: list[FieldError] = []
        for error in sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]):
            found.extend(_describe(error))
        # One message per field: "too short" and "not an email" about the same field help no one twice.
        first: dict[str, FieldError] = {}
        for field_error in found:
            first.setdefault(field_error.pointer, field_error)
        return list(first.values())

    def validate(self, name: str, instance: Any) -> dict[str, Any]:
        errors = self.errors(name, instance)
        if errors:
            # A file with wrong coordinates has an error at every position: the first ones say enough, and the whole
            # list could outgrow Lambda's 6 MB response.
            more = len(errors) - MAX_REPORTED_ERRORS
            raise invalid(f"The request does not match the {name} schema.", *errors[:MAX_REPORTED_ERRORS],
                          *([FieldError("", f"and {more:,} more problems")] if more > 0 else []))
        return dict(instance)

    def reference_lists(self) -> dict[str, Any]:
        """The choosable lists with their labels, for the site and `GET /v1/reference`."""
        defs = self.documents["defs.json"]["$defs"]
        lists: dict[str, Any] = {}
        for key, plural in (("channel", "channels"), ("category", "categories"),
                            ("business_sector", "business_sectors"), ("group", "groups"),
                            ("sender", "senders")):
            labels = defs[key]["x-labels"]
            lists[plural] = [{"id": value, "label": labels[value]} for value in defs[key]["enum"]]
        lists["languages"] = [{"id": k, "label": v} for k, v in defs["language"]["x-suggested"].items()]
        return lists

