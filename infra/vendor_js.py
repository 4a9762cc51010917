"""The site's third-party JavaScript: fetched from the npm registry, checked and copied into site/vendor/.

    python -m infra.vendor_js            # fetch every package below and rewrite site/vendor/ (needs npm)
    python -m infra.vendor_js --check    # compare site/vendor/ with site/vendor/MANIFEST.json (no network)

The files are committed, so neither `make run` nor `make test` needs Node.js or the network: a fresh machine has only
Python 3. This script is how they got there, and how they are upgraded: change a version and its integrity below, run
it, and commit the result. Each tarball's SHA-512 must equal the registry's published `dist.integrity`, so a tampered
download fails here, and MANIFEST.json records each copied file's SHA-256, which tests/unit/test_vendored_js.py checks.

Why these packages:
- Leaflet: draws the map and the shapes without WebGL (MapLibre GL needs WebGL, which headless Chromium gives only
  through SwiftShader) and renders GeoJSON we ship, so the map works offline. BSD-2-Clause.
- amazon-cognito-identity-js: AWS's own browser client for Cognito user pools; it does the SRP sign-in, the MFA_SETUP
  and SOFTWARE_TOKEN_MFA challenges and token refresh, which must not be hand-written. Apache-2.0.
- qrcode-generator: the QR code of the otpauth:// URI when an officer enrols their authenticator app. MIT.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
VENDOR_DIR = REPO_ROOT / "site" / "vendor"
MANIFEST = VENDOR_DIR / "MANIFEST.json"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity (npm view <name>@<version> dist.integrity)
    files: dict[str, str]  # path in the tarball's package/ -> path under site/vendor/<name>/
    licence_text: str = ""  # where the tarball has no licence file, the licence as its source states it


QRCODE_LICENCE = """qrcode-generator: QR Code Generator for JavaScript
Copyright (c) 2009 Kazuhiko Arase (http://www.d-project.com/)
Licensed under the MIT license (http://www.opensource.org/licenses/mit-license.php), as stated at the head of
dist/qrcode.js and in the package's package.json ("license": "MIT").
The word 'QR Code' is a registered trademark of DENSO WAVE INCORPORATED.
"""

PACKAGES = (
    Package(
        "leaflet", "1.9.4",
        "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
        {"dist/leaflet.js": "leaflet.js", "dist/leaflet.css": "leaflet.css", "LICENSE": "LICENSE",
         "dist/images/marker-icon.png": "images/marker-icon.png",
         "dist/images/marker-icon-2x.png": "images/marker-icon-2x.png",
         "dist/images/marker-shadow.png": "images/marker-shadow.png",
         "dist/images/layers.png": "images/layers.png", "dist/images/layers-2x.png": "images/layers-2x.png"},
    ),
    Package(
        "amazon-cognito-identity-js", "6.3.21",
        "sha512-2a0gDHWPZlzFGY5ZG/h7w4+81ouTVVjIiBRKkMOjJlaomItG9LGqyp1RXHrL/1OKElmepWyJGW0/mUTmsL22ig==",
        {"dist/amazon-cognito-identity.min.js": "amazon-cognito-identity.min.js", "LICENSE.txt": "LICENSE",
         "NOTICE.txt": "NOTICE"},
    ),
    Package(
        "qrcode-generator", "2.0.4",
        "sha512-mZSiP6RnbHl4xL2Ap5HfkjLnmxfKcPWpWe/c+5XxCuetEenqmNFf1FH/ftXPCtFG5/TDobjsjz6sSNL0Sr8Z9g==",
        {"dist/qrcode.js": "qrcode.js"},
        licence_text=QRCODE_LICENCE,
    ),
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_integrity(tarball: Path, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{tarball.name}: {algorithm} is {actual}, the registry published {expected}")


def fetch(packages: tuple[Package, ...] = PACKAGES) -> dict[str, dict[str, str]]:
    manifest: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for package in packages:
            spec = f"{package.name}@{package.version}"
            subprocess.run(["npm", "pack", "--silent", spec], cwd=work, check=True, stdout=subprocess.DEVNULL)
            tarball = work / f"{package.name}-{package.version}.tgz"
            _check_integrity(tarball, package.integrity)
            unpacked = work / package.name
            with tarfile.open(tarball) as archive:
                archive.extractall(unpacked, filter="data")
            target = VENDOR_DIR / package.name
            shutil.rmtree(target, ignore_errors=True)
            for source, destination in package.files.items():
                (target / destination).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(unpacked / "package" / source, target / destination)
            if package.licence_text:
                (target / "LICENSE").write_text(package.licence_text, encoding="utf-8")
            manifest[spec] = {f"{package.name}/{path.relative_to(target)}": _sha256(path)
                              for path in sorted(target.rglob("*")) if path.is_file()}
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def check() -> list[str]:
    """What differs between site/vendor/ and MANIFEST.json (empty when they agree)."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    expected = {path: digest for files in manifest.values() for path, digest in files.items()}
    problems = [f"{path}: changed or missing" for path, digest in sorted(expected.items())
                if not (VENDOR_DIR / path).is_file() or _sha256(VENDOR_DIR / path) != digest]
    present = {str(path.relative_to(VENDOR_DIR)) for path in VENDOR_DIR.rglob("*")
               if path.is_file() and path != MANIFEST}
    problems += [f"{path}: not in MANIFEST.json" for path in sorted(present - set(expected))]
    wanted = {f"{p.name}@{p.version}" for p in PACKAGES}
    if set(manifest) != wanted:
        problems.append(f"MANIFEST.json lists {sorted(manifest)}, this script pins {sorted(wanted)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare site/vendor/ with MANIFEST.json")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or "site/vendor/ matches MANIFEST.json")
        return 1 if problems else 0
    for spec, files in fetch().items():
        print(f"{spec}: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
