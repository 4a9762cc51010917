"""Checks, before anything is installed, that `make run` and `make test` can work on this machine.

    python3 infra/local/preflight.py [--venv .venv] [--moto-port 5007 --api-port 8000 --site-port 8080]

It runs on the bare interpreter that will make the venv, so it uses the standard library only, and it must be quick:
a busy port has to stop `make run` in seconds, not after a minute of installing. It checks

- that this Python's major.minor is the one in .python-version (the Lambda runtime is python3.11, and Chalice derives
  the packaged runtime from the interpreter it runs on, so a local 3.12 would package and test something else);
- when the venv does not exist yet, that the `venv` and `ensurepip` modules are there (Debian splits them off);
- when the venv exists, that it was made by the pinned Python;
- that each port given is free, by binding it on 127.0.0.1 and ::1 as the servers will (connecting would miss a
  listener on the other address family and would hang on a filtering firewall).

Every problem is printed with what to do about it; the exit status is 1 if there was any.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib.util
import os
import platform
import shutil
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON_VERSION_FILE = ROOT / ".python-version"

# What each port is, and the Makefile setting that chooses another.
PORTS = (
    ("moto_port", "the emulator", "MOTO_PORT"),
    ("api_port", "the API", "API_PORT"),
    ("site_port", "the site", "SITE_PORT"),
)


# Where the browser tests look for a Chromium, in order, after HEXWATCH_CHROMIUM: the names Debian, Ubuntu, Fedora and
# Google's packages install on PATH, then the macOS applications (Homebrew's cask puts Chromium.app there, off PATH).
CHROMIUM_ENV = "HEXWATCH_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_APPS = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
CHROMIUM_HOW = (
    "No Chromium found for the browser tests (looked for $HEXWATCH_CHROMIUM, then chromium, chromium-browser, "
    "google-chrome and google-chrome-stable on PATH, then /Applications). Install one:\n"
    "  Debian/Ubuntu: sudo apt-get install chromium   (what `make chromium` does where apt-get exists)\n"
    "  Fedora:        sudo dnf install chromium\n"
    "  macOS:         brew install --cask chromium\n"
    "or point at one you have: export HEXWATCH_CHROMIUM=/path/to/chromium"
)


def find_chromium(environ: dict[str, str] | None = None) -> str | None:
    """The Chromium (or Chrome) to drive: $HEXWATCH_CHROMIUM if set, else the first found; None if there is none.

    A HEXWATCH_CHROMIUM that is not an executable file raises ValueError: a typo should not fall back silently.
    """
    environ = dict(os.environ) if environ is None else environ
    chosen = environ.get(CHROMIUM_ENV, "").strip()
    if chosen:
        if os.path.isfile(chosen) and os.access(chosen, os.X_OK):
            return chosen
        raise ValueError(f"{CHROMIUM_ENV}={chosen} is not an executable file")
    for name in CHROMIUM_NAMES:
        found = shutil.which(name, path=environ.get("PATH", os.defpath))
        if found:
            return found
    for app in CHROMIUM_APPS:
        if os.access(app, os.X_OK):
            return app
    return None


def pinned_version(path: Path) -> tuple[int, int]:
    """major.minor from a .python-version file (its first non-comment line, for example `3.11` or `3.11.7`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from error
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            parts = line.split(".")
            if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
                return int(parts[0]), int(parts[1])
            raise ValueError(f"{path} says {line!r}; expected a version such as 3.11")
    raise ValueError(f"{path} is empty; expected a version such as 3.11")


def check_python(version_file: Path, running: tuple[int, int]) -> list[str]:
    try:
        wanted = pinned_version(version_file)
    except ValueError as error:
        return [str(error)]
    if running == wanted:
        return []
    have, want = ".".join(map(str, running)), ".".join(map(str, wanted))
    return [
        f"Python {have} is running this ({sys.executable}), but {version_file.name} pins Python {want}: the Lambda "
        f"runtime is python{want} and Chalice packages for the Python it runs on. Install Python {want} and run "
        f"`make run PYTHON=python{want}` (or `make test PYTHON=python{want}`); pyenv and uv pick it up from "
        f"{version_file.name} by themselves."
    ]


def module_works(name: str) -> bool:
    """venv: importable. ensurepip: importable and with its pip wheel (Debian's python3.11-venv brings the module, and
    python3-pip-whl, which it needs, the wheel; a Python built without them fails `python -m venv` halfway)."""
    if importlib.util.find_spec(name) is None:
        return False
    if name == "ensurepip":
        try:
            import ensurepip

            ensurepip.version()  # reads the bundled wheel's name: cheap, and fails where there is no wheel
        except Exception:
            return False
    return True


def check_venv_modules(version: tuple[int, int]) -> list[str]:
    """`python -m venv` needs both modules; Debian and Ubuntu ship them in a separate package."""
    missing = [name for name in ("venv", "ensurepip") if not module_works(name)]
    if not missing:
        return []
    minor = f"{version[0]}.{version[1]}"
    if Path("/etc/debian_version").exists():
        how = (
            f"install Debian's package for it: `sudo apt-get install python{minor}-venv` (for the system's default "
            f"python3 the package python3-venv pulls in the same)"
        )
    else:
        how = "install a Python that includes them (python.org's installers, Homebrew's python@3.11, pyenv or uv do)"
    return [f"this Python lacks a working {' and '.join(missing)} module, so it cannot make the project's venv: {how}."]


def check_existing_venv(venv: Path, wanted: tuple[int, int]) -> list[str]:
    """A venv made earlier by another Python keeps that Python; say so rather than fail later on odd imports."""
    config = venv / "pyvenv.cfg"
    if not config.is_file():
        return []
    for line in config.read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            parts = value.strip().split(".")
            if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
                found = (int(parts[0]), int(parts[1]))
                if found != wanted:
                    want = ".".join(map(str, wanted))
                    return [
                        f"{venv} was made by Python {value.strip()}, not the pinned {want}: remove it "
                        f"(`rm -rf {venv}`) and run make again with Python {want}."
                    ]
            break
    return []


def _bind(family: socket.AddressFamily, host: str, port: int) -> OSError | None:
    """None if `port` can be bound on `host`; the error otherwise (an address this machine lacks counts as free)."""
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        return None  # no such address family here (an IPv4-only machine): nothing can listen on it either
    with contextlib.closing(sock):
        if os.name != "nt":
            # As the servers do (http.server, werkzeug): lets a port in TIME_WAIT after a previous run count as free,
            # while a socket that is listening still makes bind fail. (On Windows the flag means steal the port.)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                return None  # ::1 is not configured (IPv6 disabled): nothing can listen there either
            return error
    return None


def port_problem(port: int) -> str | None:
    """Why `port` cannot be used on localhost, or None if it is free on both loopback addresses."""
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        if family == socket.AF_INET6 and not socket.has_ipv6:
            continue
        error = _bind(family, host, port)
        if error is None:
            continue
        if error.errno == errno.EADDRINUSE:
            return f"in use on {host}"
        if error.errno == errno.EACCES:
            return f"not allowed on {host} (ports under 1024 need root)"
        return f"cannot be bound on {host} ({error.strerror or error})"
    return None


def suggest(port: int, taken: set[int]) -> int:
    """A nearby free port to offer in the message (the same last digit, ten or more above)."""
    for candidate in range(port + 10, min(port + 1000, 65536), 10):
        if candidate not in taken and port_problem(candidate) is None:
            return candidate
    return port + 10


def check_ports(ports: list[tuple[int, str, str]], command: str) -> list[str]:
    """ports: (port, what it is, the setting that picks another). Port 0 means any free port and is not checked."""
    problems = []
    chosen = {port for port, _, _ in ports if port}
    seen: dict[int, str] = {}
    for port, what, setting in ports:
        if port == 0:
            continue
        if not 0 < port < 65536:
            problems.append(f"port {port} ({what}) is not a port number; run `{command} {setting}=<1-65535>`")
            continue
        if port in seen:
            other = suggest(port, chosen)
            problems.append(
                f"port {port} is chosen for both {seen[port]} and {what}; run `{command} {setting}={other}`"
            )
            continue
        seen[port] = what
        problem = port_problem(port)
        if problem:
            other = suggest(port, chosen)
            problems.append(
                f"port {port} ({what}) is {problem}; stop what uses it or run `{command} {setting}={other}`"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python-version-file", type=Path, default=PYTHON_VERSION_FILE)
    parser.add_argument("--venv", type=Path, help="the project's venv: if it is missing, check that one can be made")
    parser.add_argument("--moto-port", type=int, help="the emulator's port (checked only if given)")
    parser.add_argument("--api-port", type=int, help="the API's port (checked only if given)")
    parser.add_argument("--site-port", type=int, help="the site's port (checked only if given)")
    parser.add_argument("--command", default="make run", help="the command to repeat with another port in messages")
    parser.add_argument("--find-chromium", action="store_true",
                        help="print the Chromium the browser tests use; exit 1, saying how to get one, if none")
    args = parser.parse_args(argv)

    if args.find_chromium:
        try:
            found = find_chromium()
        except ValueError as error:
            print(error, file=sys.stderr)
            return 1
        if found is None:
            print(CHROMIUM_HOW, file=sys.stderr)
            return 1
        print(found)
        return 0

    running = (sys.version_info.major, sys.version_info.minor)
    problems = check_python(args.python_version_file, running)
    if args.venv is not None:
        if (args.venv / "pyvenv.cfg").is_file():
            with contextlib.suppress(ValueError):
                problems += check_existing_venv(args.venv, pinned_version(args.python_version_file))
        else:
            problems += check_venv_modules(running)
    ports = [(getattr(args, name), what, setting) for name, what, setting in PORTS if getattr(args, name) is not None]
    problems += check_ports(ports, args.command)

    if problems:
        print(f"Hexwatch cannot start on this machine yet ({platform.system()}, Python {platform.python_version()}):",
              file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
