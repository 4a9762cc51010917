"""`make run` on a fresh clone (no venv yet) stops within seconds when a port is taken, naming it and the setting.

The clone is of the committed HEAD (`git clone` of this repository), so nothing installed here can help: the preflight
has to run on the bare Python, before `python -m venv` and the minute or two of installing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMIT_SECONDS = 10


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (shutil.which("git") and shutil.which("make") and (ROOT / ".git").exists()):
        pytest.skip("needs git, make and this repository's .git")
    clone = tmp_path_factory.mktemp("fresh") / "hexwatch"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120, stdin=subprocess.DEVNULL)
    assert not (clone / ".venv").exists()
    return clone


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def clean_environment() -> dict[str, str]:
    """Without the outer make's settings (under `make test` its MAKEFLAGS would carry its variables and jobserver)."""
    return {key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("setting", ["MOTO_PORT", "API_PORT", "SITE_PORT"])
def test_a_busy_port_stops_make_run_on_a_fresh_clone_within_seconds(
    fresh_clone: Path, busy_port: int, setting: str
) -> None:
    ports = {"MOTO_PORT": free_port(), "API_PORT": free_port(), "SITE_PORT": free_port(), setting: busy_port}
    started = time.monotonic()
    try:
        result = subprocess.run(
            ["make", "--no-print-directory", "run", *(f"{name}={port}" for name, port in ports.items())],
            cwd=fresh_clone, capture_output=True, text=True, timeout=LIMIT_SECONDS, stdin=subprocess.DEVNULL,
            env=clean_environment(),
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"make run was still going after {LIMIT_SECONDS} s with port {busy_port} taken: {error.output!r}")
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert elapsed < LIMIT_SECONDS
    assert f"port {busy_port} (" in output and "is in use" in output, output
    assert f"make run {setting}=" in output, output
    assert not (fresh_clone / ".venv").exists(), "the venv was made before the ports were checked"


def test_make_run_checks_first_then_installs_the_run_lock_then_passes_the_settings_on(fresh_clone: Path) -> None:
    """`make -n` lists the steps without running them: the port check before any install, ports and FRESH passed on."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", "FRESH=1", "MOTO_PORT=5017", "API_PORT=8010", "SITE_PORT=8090"],
        cwd=fresh_clone, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env=clean_environment(),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    check = next(i for i, line in enumerate(lines) if "preflight.py" in line and "--moto-port 5017" in line)
    venv = next(i for i, line in enumerate(lines) if " -m venv " in line)
    install = next(i for i, line in enumerate(lines) if "pip install" in line)
    assert check < venv < install
    assert "--require-hashes" in lines[install] and "requirements/run.txt" in lines[install]
    assert "requirements/test.txt" not in result.stdout, "make run installs the test tools too"
    assert lines[-1].endswith("-m infra.local.run --moto-port 5017 --api-port 8010 --site-port 8090 --fresh")
