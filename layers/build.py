"""Builds the dependency layer: the runtime lock (requirements/runtime.txt, made from functions/requirements.txt by
`make lock`) for Lambda (Linux x86_64, CPython 3.11) as a zip that is byte-for-byte the same on every machine, so that a
deploy changes the layer only when a pin changes.

    python -m layers.build [--out build/layer/dependencies.zip]
    python -m layers.build --check     # only ask the index whether every pin has a wheel Lambda can load

Exactly the locked files (every version pinned, every file's hash checked, nothing resolved at build time), wheels
only (no sdist builds, which would depend on the building machine), no .pyc files (they embed timestamps), entries
sorted, every timestamp 1980-01-01 and every mode normalised.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "runtime.txt"
# The python3.11 runtime runs on Amazon Linux 2, whose glibc is 2.26. pip does not widen a manylinux_2_x platform to the
# older ones, so every tag that glibc 2.26 can load is named: manylinux_2_26 down to manylinux_2_17, and
# manylinux2014 (which pip widens to manylinux2010 and manylinux1). Shapely 2.2, for one, ships manylinux_2_24 only.
LAMBDA_GLIBC_MINOR = 26
PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(LAMBDA_GLIBC_MINOR, 16, -1)] + ["manylinux2014_x86_64"]
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def deterministic_zip(source: Path, target: Path, prefix: str = "python") -> str:
    """Zips `source` under `prefix/` reproducibly; returns the SHA-256 of the zip."""
    target.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(source).as_posix()}", date_time=FIXED_TIME)
            executable = path.stat().st_mode & 0o111
            info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return hashlib.sha256(target.read_bytes()).hexdigest()


def pip_install_args(lock: Path = LOCK) -> list[str]:
    """`pip install` for the Lambda platform from the lock. Hashes are required and dependencies are still followed
    (no --no-deps), so a dependency missing from the lock fails the build instead of leaving the layer short."""
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    return [sys.executable, "-m", "pip", "install", "--no-compile", "--require-hashes",
            "--only-binary=:all:", *platforms, "--implementation", "cp", "--python-version", "3.11",
            "-r", str(lock)]


def build(out: Path, lock: Path = LOCK) -> str:
    with tempfile.TemporaryDirectory() as staging:
        site = Path(staging) / "python"
        subprocess.run([*pip_install_args(lock), "--quiet", "--target", str(site)], check=True)
        # Installer metadata records where and when pip ran; it is not needed at run time.
        for record in site.glob("*.dist-info/RECORD"):
            record.unlink()
        for installer in site.glob("*.dist-info/INSTALLER"):
            installer.unlink()
        shutil.rmtree(site / "bin", ignore_errors=True)
        return deterministic_zip(site, out)


def check(lock: Path = LOCK) -> None:
    """Fails (CalledProcessError) unless every pin of the lock has a wheel for the Lambda platform."""
    with tempfile.TemporaryDirectory() as staging:
        subprocess.run([*pip_install_args(lock), "--quiet", "--dry-run", "--target", str(Path(staging) / "dry")],
                       check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "layer" / "dependencies.zip")
    parser.add_argument("--lock", type=Path, default=LOCK, help="a hashed lock (default: requirements/runtime.txt)")
    parser.add_argument("--check", action="store_true", help="only check that every pin has a wheel for Lambda")
    args = parser.parse_args()
    if args.check:
        check(args.lock)
        print(f"{args.lock}: every pin has a wheel for Lambda (CPython 3.11, x86_64, glibc 2.{LAMBDA_GLIBC_MINOR})")
        return
    digest = build(args.out, args.lock)
    print(f"{args.out}  sha256 {digest}")


if __name__ == "__main__":
    main()
