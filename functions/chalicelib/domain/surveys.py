"""Surveys: an alert's question, how residents are told to answer it, and the counts the officer sees. Pure.

An alert may ask one question with 2 to 6 options, or one that residents answer in their own words (on the web only).
Residents answer by the option's number in a text message, or on the survey page their email links to (each option
is a link; the answer is recorded only when they press the page's button, because mail scanners open every link).
One answer per resident per survey: a later answer replaces theirs.

The officer sees the counts by option, and a breakdown by the alert's named areas. Small cells would single out
households, so any cell below SMALL_COUNT is shown as "fewer than 5"; and so that no hidden cell can be worked out
from its row's or column's total, a line (an area's row or an option's column, totals included) with exactly one
hidden cell has its smallest other cell hidden too ("hidden"), until no line has exactly one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .small_counts import FEWER_THAN, SMALL_COUNT

SURVEY_LINK = "survey"  # the purpose of a resident's signed survey token (domain/tokens.py)
HIDDEN = "hidden"  # a cell hidden only so that a small one beside it cannot be worked out
TOTAL = "total"
WHOLE_TARGET = "whole area"  # the one row of an alert aimed at a drawn shape or the whole force
MAX_FREE_TEXT_CHARS = 1_000


def options_of(survey: Mapping[str, Any] | None) -> list[str]:
    return list((survey or {}).get("options") or [])


def sms_line(survey: Mapping[str, Any] | None) -> str:
    """What an alert text adds so it can be answered by text: "Q? Reply 1 for A, 2 for B." ('' for none)."""
    options = options_of(survey)
    if not survey or not options:
        return ""
    choices = ", ".join(f"{number} for {option}" for number, option in enumerate(options, start=1))
    return f" {survey['question']} Reply {choices}."


def voice_line(survey: Mapping[str, Any] | None, two_way_number: str | None) -> str:
    """A call cannot take keypad answers (SendVoiceMessage is one-way), so it says how else to answer."""
    if not survey:
        return ""
    options = options_of(survey)
    if options and two_way_number:
        spoken = ". ".join(f"{number}: {option}" for number, option in enumerate(options, start=1))
        digits = " ".join(two_way_number.replace("+44", "0"))
        return (f" We would like to know: {survey['question']} The answers are {spoken}. To answer, text the "
                f"number of your answer to {digits}, or use the link in our email.")
    return f" We would like to know: {survey['question']} To answer, use the link in our email."


def answer_text(survey: Mapping[str, Any], option: int | None, text: str | None) -> tuple[int | None, str | None]:
    """The answer as stored, or ValueError naming what is wrong."""
    options = options_of(survey)
    if options:
        if option is None or not 1 <= option <= len(options):
            raise ValueError(f"must be an option from 1 to {len(options)}")
        return option, None
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > MAX_FREE_TEXT_CHARS:
        raise ValueError(f"must be 1 to {MAX_FREE_TEXT_CHARS} characters")
    return None, cleaned


def breakdown(answers: Iterable[tuple[str, str]], columns: Sequence[str], rows: Sequence[str]) -> dict[str, Any]:
    """`answers` are (row, column) pairs: the area and the option (or "answered" for free text). The table of
    counts, with each row's and column's total, small cells and their complements hidden."""
    counts: Counter[tuple[str, str]] = Counter(answers)
    every_row = [*rows, *(r for r in sorted({r for r, _ in counts}) if r not in rows)]
    table: dict[tuple[str, str], int] = {}
    for row in every_row:
        for column in columns:
            table[(row, column)] = counts[(row, column)]
        table[(row, TOTAL)] = sum(counts[(row, column)] for column in columns)
    for column in [*columns, TOTAL]:
        table[(TOTAL, column)] = sum(table[(row, column)] for row in every_row)
    hidden = {cell for cell, count in table.items() if count < SMALL_COUNT}
    small = set(hidden)
    lines = [[(row, column) for column in [*columns, TOTAL]] for row in [*every_row, TOTAL]] + \
            [[(row, column) for row in [*every_row, TOTAL]] for column in [*columns, TOTAL]]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line) == 1:
                visible = [cell for cell in line if cell not in hidden]
                if visible:
                    hidden.add(min(visible, key=lambda cell: table[cell]))
                    changed = True

    def shown(cell: tuple[str, str]) -> int | str:
        if cell in small:
            return FEWER_THAN
        return HIDDEN if cell in hidden else table[cell]

    return {
        "columns": [*columns, TOTAL],
        "rows": [{"area": row, "counts": {column: shown((row, column)) for column in [*columns, TOTAL]}}
                 for row in every_row],
        "totals": {column: shown((TOTAL, column)) for column in [*columns, TOTAL]},
    }
