"""Builds the dependency layer: functions/requirements.txt for Lambda (Linux x86_64, CPython 3.11) as a zip that is
byte-for-byte the same on every machine, so that a deploy changes the layer only when a pin changes.

    python -m layers.build [--out build/layer/dependencies.zip]

Wheels only (no sdist builds, which would depend on the building machine), no .pyc files (they embed timestamps),
entries sorted, every timestamp 1980-01-01 and every mode normalised.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "functions" / "requirements.txt"
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


def build(out: Path) -> str:
    with tempfile.TemporaryDirectory() as staging:
        site = Path(staging) / "python"
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps",
                        "--only-binary=:all:", "--platform", "manylinux2014_x86_64", "--implementation", "cp",
                        "--python-version", "3.11", "--target", str(site), "-r", str(_locked_requirements(staging))],
                       check=True)
        # Installer metadata records where and when pip ran; it is not needed at run time.
        for record in site.glob("*.dist-info/RECORD"):
            record.unlink()
        for installer in site.glob("*.dist-info/INSTALLER"):
            installer.unlink()
        shutil.rmtree(site / "bin", ignore_errors=True)
        return deterministic_zip(site, out)


def _locked_requirements(staging: str) -> Path:
    """The pins plus every transitive dependency, resolved for the Lambda platform, so --no-deps installs them all."""
    report = Path(staging) / "resolved.txt"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
                             "--only-binary=:all:", "--platform", "manylinux2014_x86_64", "--implementation", "cp",
                             "--python-version", "3.11", "--target", str(Path(staging) / "dry"),
                             "--report", "-", "-r", str(REQUIREMENTS)], check=True, capture_output=True, text=True)
    installs = json.loads(result.stdout)["install"]
    pins = sorted(f"{item['metadata']['name']}=={item['metadata']['version']}" for item in installs)
    report.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "layer" / "dependencies.zip")
    args = parser.parse_args()
    digest = build(args.out)
    print(f"{args.out}  sha256 {digest}")


if __name__ == "__main__":
    main()
