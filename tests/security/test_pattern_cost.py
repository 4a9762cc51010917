"""Every `pattern` in schemas/ runs in linear time on hostile input (issue 7, bounded cost).

jsonschema runs `pattern` with Python's backtracking `re`, and runs it even on a string that already failed
`maxLength`, so the length limits do not protect a pattern. For each pattern the test builds adversarial strings: a
prefix that matches as far as it can, then a long run of what one part of the pattern accepts, then a character that
fails at the very end (the shape that makes nested or adjacent quantifiers backtrack), and repeated separators. It then
compares the pattern's time on the 64 KiB string with its time on the 4 KiB one, measured in the same run (best of
several repeats): linear gives about 16, quadratic about 256. The bar is 32.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.validation import SchemaLibrary

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
SMALL, LARGE = 4 * 1024, 64 * 1024
RANKING = 1024  # the size at which the candidates are first sorted by cost
MAX_RATIO = 32
REPEATS = 7
RETRIES = 2  # a ratio over the bar is measured again (the machine may be busy); quadratic stays far over it
# The characters adversarial strings are made of: every class in our schemas accepts some and refuses others.
ALPHABET = "a0Z9.@-+ ()/:_~!#\t\n\u00e9\u202e\x00\ufeff"
FAILING = " \n!@\x00~"
# The known-dangerous shapes, by hand: long runs against the last required piece, and separators repeated.
HAND_WRITTEN: list[Callable[[int], str]] = [
    lambda n: "a@" + "." * n + " ",
    lambda n: "a@" + "a." * (n // 2) + " ",
    lambda n: "a" * n + "@",
    lambda n: "@" * n,
    lambda n: "a@" + "a" * n + "@",
    lambda n: "+" + "0" * n + "a",
    lambda n: "a-" * (n // 2) + "!",
    lambda n: "aa" + "-aaaa" * (n // 5) + "!",
    lambda n: "A1" + "/ -" * (n // 3) + "!",
]


def schema_patterns() -> Iterator[tuple[str, str]]:
    """(where, pattern) for every `pattern` and `patternProperties` key in every schema file."""
    def walk(node: Any, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    yield where + "/pattern", value
                elif key == "patternProperties" and isinstance(value, dict):
                    yield from ((f"{where}/patternProperties", name) for name in value)
                yield from walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}/{index}")

    for path in sorted(SCHEMA_DIR.glob("*.json")):
        yield from walk(json.loads(path.read_text("utf-8")), path.name + "#")


CLASS_OR_ATOM = re.compile(r"\[\^?\]?(?:\\.|[^\]\\])*\]|\\.|[^()|?*+{}^$\\.\[\]]|\.")


def _atoms(pattern: str) -> list[re.Pattern[str]]:
    """The pattern's character classes, escapes and literals in order, each compiled alone; quantifiers, groups and
    anchors are dropped (enough to build a string that walks the pattern as far as it goes)."""
    atoms = []
    for token in CLASS_OR_ATOM.findall(re.sub(r"\{\d+(,\d*)?\}", "", pattern)):
        try:
            atoms.append(re.compile(token))
        except re.error:
            continue
    return atoms


def adversarial(pattern: str) -> list[Callable[[int], str]]:
    """String builders for one pattern: for each atom, the atoms before it as a prefix, a run of what the atom
    accepts, then a failing character; and each atom's accepted character alternating with the next literal."""
    atoms = _atoms(pattern)
    members = [[c for c in ALPHABET if atom.fullmatch(c)] for atom in atoms]
    builders: list[Callable[[int], str]] = list(HAND_WRITTEN)
    for index, accepted in enumerate(members):
        prefix = "".join(chars[0] for chars in members[:index] if chars)
        following = next((chars[0] for chars in members[index + 1:] if chars), "")
        for char in accepted[:4]:
            builders.extend(_run_then(prefix, char, fail) for fail in FAILING)
            if following and following != char:
                builders.append(_repeated(prefix, char, following))
                builders.append(_repeated(prefix, char * 3, following))
    return builders


def _run_then(prefix: str, char: str, fail: str) -> Callable[[int], str]:
    """prefix, then `char` up to n characters, then `fail`."""
    return lambda n: prefix + char * (n - len(prefix) - 1) + fail


def _repeated(prefix: str, run: str, separator: str) -> Callable[[int], str]:
    """prefix, then (run + separator) repeated to n characters, then a failing "!"."""
    return lambda n: prefix + (run + separator) * ((n - len(prefix)) // (len(run) + 1)) + "!"


def per_call_seconds(run: Callable[[], object]) -> float:
    """The best of REPEATS timings, each a loop long enough (>= 10 ms) for the clock to be trusted."""
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            run()
        elapsed = time.perf_counter() - start
        if elapsed >= 0.01 or loops >= 1 << 16:
            break
        loops *= 4
    best = elapsed / loops
    for _ in range(REPEATS - 1):
        start = time.perf_counter()
        for _ in range(loops):
            run()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


class _TooSlow(Exception):
    pass


def _interrupt(signum: int, frame: object) -> None:
    raise _TooSlow


def growth(run_on: Callable[[str], object], build: Callable[[int], str]) -> tuple[float, float, float]:
    """As _growth_once, measured again up to RETRIES times while over the bar; the lowest ratio counts."""
    best = _growth_once(run_on, build)
    for _ in range(RETRIES):
        if best[0] < MAX_RATIO or best[0] >= MAX_RATIO * 2:  # under the bar, or cut off by the timer: settled
            break
        best = min(best, _growth_once(run_on, build))
    return best


def _growth_once(run_on: Callable[[str], object], build: Callable[[int], str]) -> tuple[float, float, float]:
    """(time at 64 KiB / time at 4 KiB, time at 4 KiB, time at 64 KiB).

    A quadratic pattern would spend seconds on one 64 KiB call, so the first large call runs under a timer of twice
    the bar (Python's regex engine checks for signals while it backtracks): past it, the growth is reported as that
    much, which fails the bar anyway."""
    small, large = build(SMALL), build(LARGE)
    small_seconds = per_call_seconds(lambda: run_on(small))
    budget = max(0.05, small_seconds * MAX_RATIO * 2)
    previous = signal.signal(signal.SIGALRM, _interrupt)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        run_on(large)
    except _TooSlow:
        return MAX_RATIO * 2, small_seconds, budget
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    large_seconds = per_call_seconds(lambda: run_on(large))
    return large_seconds / small_seconds, small_seconds, large_seconds


def _one_call_seconds(run_on: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    run_on(text)
    return time.perf_counter() - start


def worst_growth(pattern: str) -> tuple[float, str]:
    """The largest growth over the adversarial strings; only the slowest few at 1 KiB are timed in earnest."""
    compiled = re.compile(pattern)
    builders = adversarial(pattern)
    # jsonschema calls re.search (not match), so that is what is timed.
    quick = sorted(builders, key=lambda b: -_one_call_seconds(compiled.search, b(RANKING)))[:4]
    results = [(growth(compiled.search, build)[0], repr(build(40))) for build in quick]
    return max(results)


PATTERNS = sorted(set(schema_patterns()))


def test_the_walk_finds_the_patterns_we_know_of() -> None:
    found = {pattern for _, pattern in PATTERNS}
    assert len(found) >= 8
    assert any("@" in pattern for pattern in found)  # the email pattern


@pytest.mark.parametrize(("where", "pattern"), PATTERNS, ids=[where for where, _ in PATTERNS])
def test_every_schema_pattern_runs_in_linear_time(where: str, pattern: str) -> None:
    ratio, example = worst_growth(pattern)
    print(f"{where}: worst growth 4 KiB -> 64 KiB is {ratio:.1f}x, on {example}")
    assert ratio < MAX_RATIO, f"{where} {pattern!r} grows {ratio:.0f}x from 4 KiB to 64 KiB on {example}"


def test_the_check_catches_a_quadratic_email_pattern() -> None:
    """The email pattern this project used to have: the same check must call it quadratic."""
    ratio, example = worst_growth(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    print(f"old email pattern: worst growth {ratio:.0f}x on {example}")
    assert ratio > MAX_RATIO


@pytest.mark.parametrize("schema", ["signup", "signin"])
def test_a_hostile_email_costs_linear_time_through_the_validator(schema: str) -> None:
    library = SchemaLibrary(SCHEMA_DIR)

    def body(size: int) -> str:
        return "a@" + "." * (size - 3) + " "

    def refuse(email: str) -> object:
        errors = library.errors(schema, {"email": email})
        assert "/email" in {error.pointer for error in errors}
        return errors

    ratio, small_seconds, large_seconds = growth(refuse, body)
    print(f"{schema}: {small_seconds * 1000:.2f} ms at 4 KiB, {large_seconds * 1000:.2f} ms at 64 KiB, {ratio:.1f}x")
    assert ratio < MAX_RATIO
    assert large_seconds < 0.5
