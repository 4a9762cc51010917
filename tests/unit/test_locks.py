"""The hashed locks (`make lock`) are complete, hashed, and agree with their inputs and with one another.

`pip install --require-hashes` refuses a lock that is not, but only when someone installs it; these tests say so at once
and name the line. They read the files only (no network).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements"
LOCKS = ["runtime.txt", "run.txt", "test.txt", "checkov.txt"]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;]+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def normalise(name: str) -> str:
    """PEP 503: PyYAML, pyyaml and py_yaml are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    """Logical lines (backslash continuations joined), without comments and blank lines."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def pins(path: Path) -> dict[str, set[str]]:
    """name -> versions (a universal lock may pin two, under exclusive markers, e.g. for Python 3.11 and 3.12)."""
    found: dict[str, set[str]] = {}
    for line in requirement_lines(path):
        match = PIN.match(line)
        assert match, f"{path.name}: not an exact pin: {line[:100]}"
        found.setdefault(normalise(match["name"]), set()).add(match["version"])
    return found


def direct_pins(path: Path) -> dict[str, str]:
    """The `name==version` lines of a human-edited input (its -r/-c lines and ranges skipped)."""
    found = {}
    for line in requirement_lines(path):
        match = PIN.match(line)
        if match and not line.startswith("-"):
            found[normalise(match["name"])] = match["version"]
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_line_of_a_lock_pins_one_version_and_carries_hashes(lock: str) -> None:
    lines = requirement_lines(REQUIREMENTS / lock)
    assert lines, f"{lock} is empty"
    for line in lines:
        assert not line.startswith("-"), f"{lock}: an option or include in a lock: {line[:100]}"
        assert PIN.match(line), f"{lock}: not pinned with ==: {line[:100]}"
        assert HASH.search(line), f"{lock}: no --hash for {line.split()[0]}"
    assert "make lock" in (REQUIREMENTS / lock).read_text(encoding="utf-8"), f"{lock} was not made by `make lock`"


def test_the_runtime_lock_pins_every_runtime_requirement_at_its_version() -> None:
    wanted = direct_pins(ROOT / "functions" / "requirements.txt")
    locked = pins(REQUIREMENTS / "runtime.txt")
    assert wanted, "functions/requirements.txt pins nothing?"
    for name, version in wanted.items():
        assert name in locked, f"{name} (functions/requirements.txt) is not in the runtime lock: run `make lock`"
        assert locked[name] == {version}, f"{name}: functions/requirements.txt says {version}, the lock {locked[name]}"


@pytest.mark.parametrize(("inner", "outer"), [("runtime.txt", "run.txt"), ("run.txt", "test.txt")])
def test_each_lock_holds_the_one_below_it_at_the_same_versions(inner: str, outer: str) -> None:
    """`make run` then `make test` in one venv only adds packages: no version changes between the locks."""
    small, large = pins(REQUIREMENTS / inner), pins(REQUIREMENTS / outer)
    for name, versions in small.items():
        assert name in large, f"{name} is in {inner} but not in {outer}"
        assert versions <= large[name], f"{name}: {inner} pins {versions}, {outer} {large[name]}"


@pytest.mark.parametrize(
    ("source", "lock"), [("run.in", "run.txt"), ("test.in", "test.txt"), ("checkov.in", "checkov.txt")]
)
def test_each_input_pin_is_in_its_lock(source: str, lock: str) -> None:
    locked = pins(REQUIREMENTS / lock)
    for name, version in direct_pins(REQUIREMENTS / source).items():
        assert locked.get(name) == {version}, f"{name}=={version} ({source}) is {locked.get(name)} in {lock}"


def test_checkov_is_a_pinned_3x_and_the_lambda_limits_hold_in_the_runtime_lock() -> None:
    (checkov,) = pins(REQUIREMENTS / "checkov.txt")["checkov"]
    assert checkov.startswith("3."), checkov
    numpy = pins(REQUIREMENTS / "runtime.txt")["numpy"]
    assert all(tuple(int(part) for part in version.split(".")[:2]) < (2, 3) for version in numpy), numpy
