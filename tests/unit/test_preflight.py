"""infra/local/preflight.py, run as `make run` runs it: a subprocess of a bare Python, before any venv exists."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local import preflight

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "local" / "preflight.py"
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def run(*args: str, version_file: Path | None = None) -> tuple[int, str, float]:
    """Exit status, all output and seconds taken; the script run by path, with -I so nothing but the stdlib helps."""
    command = [sys.executable, "-I", str(SCRIPT), *args]
    if version_file is not None:
        command += ["--python-version-file", str(version_file)]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    return result.returncode, result.stdout + result.stderr, time.monotonic() - started


@contextlib.contextmanager
def listening(family: socket.AddressFamily = socket.AF_INET) -> Iterator[int]:
    """A port that something listens on, as a server would (the test's own socket)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]
    finally:
        sock.close()


def free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    ("option", "setting", "what"),
    [("--moto-port", "MOTO_PORT", "the emulator"), ("--api-port", "API_PORT", "the API"),
     ("--site-port", "SITE_PORT", "the site")],
)
def test_a_busy_port_fails_quickly_naming_the_port_and_the_setting(option: str, setting: str, what: str) -> None:
    others = dict(zip(["--moto-port", "--api-port", "--site-port"], free_ports(3), strict=True))
    with listening() as busy:
        others[option] = busy
        args = [str(part) for pair in others.items() for part in pair]
        status, output, seconds = run(*args)
    assert status != 0
    assert seconds < 10
    assert f"port {busy} ({what}) is in use" in output
    assert f"make run {setting}=" in output, output
    assert "stop what uses it" in output


def test_a_port_busy_on_ipv6_loopback_only_counts_as_busy() -> None:
    if not ipv6_loopback():
        pytest.skip("no IPv6 loopback on this machine")
    with listening(socket.AF_INET6) as busy:
        status, output, _ = run("--api-port", str(busy))
    assert status != 0
    assert f"port {busy} (the API) is in use on ::1" in output


def test_free_ports_and_the_right_python_pass(tmp_path: Path) -> None:
    moto, api, site = free_ports(3)
    status, output, _ = run("--venv", str(tmp_path / "no-venv-yet"), "--moto-port", str(moto), "--api-port", str(api),
                            "--site-port", str(site))
    assert status == 0, output
    assert output == ""


def test_the_same_port_twice_is_refused() -> None:
    (port,) = free_ports(1)
    status, output, _ = run("--moto-port", str(port), "--api-port", str(port))
    assert status != 0
    assert f"port {port} is chosen for both the emulator and the API" in output
    assert "API_PORT=" in output


def test_port_zero_means_any_and_is_not_checked() -> None:
    assert run("--moto-port", "0", "--api-port", "0", "--site-port", "0")[0] == 0


def test_the_suggested_port_is_free() -> None:
    with listening() as busy:
        _, output, _ = run("--site-port", str(busy))
    suggested = int(output.split("SITE_PORT=")[1].split("`")[0])
    assert suggested != busy
    assert preflight.port_problem(suggested) is None


def test_the_repository_pins_this_python() -> None:
    """The venv's Python is the pinned one (the Makefile's preflight makes sure of it), and Lambda's is 3.11."""
    assert preflight.pinned_version(ROOT / ".python-version") == (3, 11)
    assert run()[0] == 0


def test_a_wrong_python_version_says_which_and_what_to_do(tmp_path: Path) -> None:
    other = "3.10" if RUNNING != "3.10" else "3.12"
    version_file = tmp_path / ".python-version"
    version_file.write_text(f"{other}\n")
    status, output, _ = run(version_file=version_file)
    assert status != 0
    assert f"Python {RUNNING} is running this" in output
    assert f".python-version pins Python {other}" in output
    assert f"make run PYTHON=python{other}" in output


def test_a_patch_release_in_python_version_compares_major_minor_only(tmp_path: Path) -> None:
    version_file = tmp_path / ".python-version"
    version_file.write_text(f"# the Lambda runtime\n{RUNNING}.99\n")
    assert run(version_file=version_file)[0] == 0


@pytest.mark.parametrize("content", ["", "system\n", "three point eleven\n"])
def test_an_unreadable_python_version_is_said_plainly(tmp_path: Path, content: str) -> None:
    version_file = tmp_path / ".python-version"
    version_file.write_text(content)
    status, output, _ = run(version_file=version_file)
    assert status != 0
    assert ".python-version" in output and "expected a version such as 3.11" in output


def test_a_venv_made_by_another_python_is_named(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.9.2\n")
    status, output, _ = run("--venv", str(venv))
    assert status != 0
    assert "made by Python 3.9.2" in output and f"rm -rf {venv}" in output


def test_missing_venv_modules_name_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    assert preflight.module_works("venv") and preflight.module_works("ensurepip")  # this Python made a venv
    real = preflight.module_works
    monkeypatch.setattr(preflight, "module_works", lambda name: name != "ensurepip" and real(name))
    (problem,) = preflight.check_venv_modules((3, 11))
    assert "lacks a working ensurepip module" in problem
    if Path("/etc/debian_version").exists():
        assert "apt-get install python3.11-venv" in problem


def executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_chromium_is_found_by_any_of_its_names_or_the_setting(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    chrome = executable(bin_dir / "google-chrome-stable")
    assert preflight.find_chromium({"PATH": str(bin_dir)}) == str(chrome)
    chromium = executable(bin_dir / "chromium-browser")
    assert preflight.find_chromium({"PATH": str(bin_dir)}) == str(chromium)
    mine = executable(tmp_path / "my-chromium")
    assert preflight.find_chromium({"PATH": str(bin_dir), "HEXWATCH_CHROMIUM": str(mine)}) == str(mine)
    with pytest.raises(ValueError, match="HEXWATCH_CHROMIUM"):
        preflight.find_chromium({"PATH": str(bin_dir), "HEXWATCH_CHROMIUM": str(tmp_path / "missing")})


@pytest.mark.skipif(any(os.access(app, os.X_OK) for app in preflight.CHROMIUM_APPS), reason="a macOS browser is here")
def test_no_chromium_says_how_to_install_one(tmp_path: Path) -> None:
    assert preflight.find_chromium({"PATH": str(tmp_path)}) is None
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-I", str(SCRIPT), "--find-chromium"], capture_output=True, text=True,
                            timeout=10, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    for how in ("brew install --cask chromium", "dnf install chromium", "apt-get install chromium",
                "HEXWATCH_CHROMIUM=/path"):
        assert how in result.stderr
