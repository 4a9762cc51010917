"""Build the static resident site: site/ + schemas/*.json + config.js, into one directory ready to serve or upload.

`python -m infra.local.site_build --out build/site [--api-base URL] [--stage local]`. The same step feeds the local
site server and, later, the production upload; only config.js differs. An empty `apiBase` means "same origin": the
local server and CloudFront both route /v1/* to the API, so the pages never need the API's own address.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import shutil
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "build" / "site"

_PLACEHOLDER = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Hexwatch (site not written yet)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Hexwatch</h1><p>site/index.html does not exist yet. See the <a href="/outbox/">outbox</a>.</p></main>
</body></html>
"""


def config_script(config: dict[str, Any]) -> str:
    # json.dumps output is valid JavaScript; "</" is escaped so that the value can never close a script element.
    payload = json.dumps(config, indent=2, sort_keys=True).replace("</", "<\\/")
    return f"window.HEXWATCH_CONFIG = Object.freeze({payload});\n"


OUTCODES = REPO_ROOT / "functions" / "chalicelib" / "data" / "uk-outcodes.csv"


def basemap(outcodes: Path = OUTCODES) -> dict[str, Any]:
    """The map's offline basemap (site/map.js), from the project's outcode data: each town at the mean of its
    outcodes' centroids (about 1,600), and each postcode district's centroid (about 2,800), as compact
    [name, longitude, latitude] rows. No streets: no registry package ships them; deployed, Amazon Location's tiles
    lie underneath."""
    places: dict[tuple[str, str], list[tuple[float, float]]] = {}
    districts: list[list[Any]] = []
    with outcodes.open(encoding="utf-8", newline="") as source:
        for row in csv.DictReader(source):
            lat, lng = float(row["latitude"]), float(row["longitude"])
            districts.append([row["outcode"], round(lng, 4), round(lat, 4)])
            if row["town"]:
                places.setdefault((row["town"], row["county"]), []).append((lat, lng))
    towns = [[town, round(sum(p[1] for p in points) / len(points), 4),
              round(sum(p[0] for p in points) / len(points), 4)] for (town, _county), points in sorted(places.items())]
    return {"towns": towns, "districts": sorted(districts)}


def console_config(region: str, user_pool_id: str | None, client_id: str | None, *, endpoint: str | None = None,
                   map_tiles: dict[str, str] | None = None) -> dict[str, Any]:
    """config.js's part for the officer console: the user pool it signs in to, the Cognito endpoint (None: AWS's own,
    https://cognito-idp.<region>.amazonaws.com/) and, deployed, the basemap's tile source (None: the shipped
    GeoJSON only)."""
    cognito = {"region": region, "userPoolId": user_pool_id, "clientId": client_id}
    if endpoint:
        cognito["endpoint"] = endpoint
    return {"cognito": cognito, "mapTiles": map_tiles}


def build_site(
    out_dir: Path = DEFAULT_OUT,
    *,
    api_base: str = "",
    stage: str = "local",
    extra_config: dict[str, Any] | None = None,
    site_dir: Path = REPO_ROOT / "site",
    schemas_dir: Path = REPO_ROOT / "schemas",
) -> Path:
    """Recreate `out_dir` from site/ and schemas/ and write config.js; return `out_dir`."""
    out_dir = out_dir.resolve()
    if out_dir in {REPO_ROOT, site_dir.resolve(), schemas_dir.resolve()} or out_dir in REPO_ROOT.parents:
        raise ValueError(f"refusing to replace {out_dir}")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    if site_dir.is_dir():
        shutil.copytree(site_dir, out_dir)
    else:
        out_dir.mkdir(parents=True)
    if not (out_dir / "index.html").exists():
        LOG.warning("site/index.html is missing; the build serves a placeholder page")
        (out_dir / "index.html").write_text(_PLACEHOLDER, encoding="utf-8")
    schemas_out = out_dir / "schemas"
    schemas_out.mkdir(exist_ok=True)
    for schema in sorted(schemas_dir.glob("*.json")) if schemas_dir.is_dir() else []:
        shutil.copy2(schema, schemas_out / schema.name)
    (out_dir / "basemap.json").write_text(json.dumps(basemap(), separators=(",", ":")), encoding="utf-8")
    config = {"apiBase": api_base, "stage": stage, "schemasBase": "/schemas/", **(extra_config or {})}
    (out_dir / "config.js").write_text(config_script(config), encoding="utf-8")
    return out_dir


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (replaced)")
    parser.add_argument("--api-base", default="", help="API origin; empty = same origin as the site")
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out = build_site(args.out, api_base=args.api_base, stage=args.stage)
    print(f"site built in {out}")


if __name__ == "__main__":
    main()
