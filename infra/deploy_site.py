"""`make deploy-site`: upload the built site (`make site` -> build/site) to the site bucket and invalidate CloudFront.

    python -m infra.deploy_site --site-dir build/site [--stack NAME] [--bucket NAME] [--distribution-id ID]

The bucket and the distribution come from the deployed stack's outputs (`SiteBucketName`, `SiteDistributionId`)
unless given. Every file is uploaded with its Content-Type and a Cache-Control: files whose names carry a content hash
(`app.3f2a9c1e.js`) may be cached for a year; everything else, pages, scripts, config.js and schemas alike, is
`no-cache` (kept, but revalidated by its ETag on every use), so a deploy is seen at once and a page never runs with
another deploy's script. Pages go up last, so no new page points at a file not yet uploaded; objects no longer in
the build are deleted afterwards, and then `/*` is invalidated at the edge.

Before uploading it writes the deployed stack's user pool, app client and map key into config.js (configure_console).

Needs: cloudformation:DescribeStacks, geo:DescribeKey (when the stack has a map key), s3:ListBucket, s3:PutObject
and s3:DeleteObject on the site bucket, cloudfront:CreateInvalidation on the distribution.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.site_paths import CONTENT_TYPES

DEFAULT_STACK = "hexwatch"
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
_HASHED_NAME = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")
DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys


class DeployError(Exception):
    """Something the person deploying must fix (a missing build, a stack without the outputs)."""


@dataclass
class DeployReport:
    bucket: str
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    invalidation_id: str | None = None


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def cache_control(key: str) -> str:
    return IMMUTABLE if _HASHED_NAME.search(Path(key).name) else NO_CACHE


def site_files(site_dir: Path) -> dict[str, Path]:
    """Object key -> file, pages last (see the module's docstring)."""
    if not (site_dir / "index.html").is_file():
        # Deleting what is not in the build would then empty the live site.
        raise DeployError(f"{site_dir} has no index.html: run `make site` first")
    files = {path.relative_to(site_dir).as_posix(): path for path in site_dir.rglob("*") if path.is_file()}
    return dict(sorted(files.items(), key=lambda item: (item[0].endswith(".html"), item[0])))


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        raise DeployError(f"cannot read stack {stack}: {error}") from error
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])} if stacks else {}


def targets_from_stack(cloudformation: Any, stack: str) -> tuple[str | None, str | None]:
    """(SiteBucketName, SiteDistributionId) from the stack's outputs; None for either it lacks."""
    outputs = stack_outputs(cloudformation, stack)
    return outputs.get("SiteBucketName"), outputs.get("SiteDistributionId")


MAP_TILES = "https://maps.geo.{region}.amazonaws.com/v2/tiles/raster.satellite/{{z}}/{{x}}/{{y}}?key={key}"
MAP_ATTRIBUTION = "Imagery: Amazon Location Service"


def configure_console(site_dir: Path, outputs: dict[str, str], region: str, location: Any | None) -> dict[str, Any]:
    """Rewrites the build's config.js with what the deployed stack says: the officers' user pool and app client
    (the console signs in against Cognito's own endpoint) and, when the stack made a map key (MapKeyName), the tile
    source for the maps. Needs geo:DescribeKey for the key's value. Returns the new configuration."""
    from infra.local.site_build import config_script, console_config

    config_file = site_dir / "config.js"
    config: dict[str, Any] = {"apiBase": "", "stage": "prod", "schemasBase": "/schemas/"}
    if config_file.is_file():  # as `make site` wrote it: window.HEXWATCH_CONFIG = Object.freeze({...});
        text = config_file.read_text(encoding="utf-8")
        config = json.loads(text[text.index("(") + 1:text.rindex(")")])
    if not outputs.get("UserPoolId") or not outputs.get("UserPoolClientId"):
        raise DeployError("the stack has no UserPoolId or UserPoolClientId output: the console could not sign in")
    tiles = None
    if outputs.get("MapKeyName") and location is not None:
        key = location.describe_key(KeyName=outputs["MapKeyName"])["Key"]
        tiles = {"url": MAP_TILES.format(region=region, key=key), "attribution": MAP_ATTRIBUTION}
    config.update(console_config(region, outputs["UserPoolId"], outputs["UserPoolClientId"], map_tiles=tiles))
    config_file.write_text(config_script(config), encoding="utf-8")
    return dict(config)


class SiteDeployer:
    """Uploads a built site to a bucket and invalidates the distribution; takes its boto3 clients."""

    def __init__(self, s3: Any, cloudfront: Any | None = None) -> None:
        self._s3 = s3
        self._cloudfront = cloudfront

    def deploy(self, site_dir: Path, bucket: str, distribution_id: str | None = None) -> DeployReport:
        files = site_files(site_dir)
        report = DeployReport(bucket=bucket)
        for key, path in files.items():
            self._s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(key),
                                CacheControl=cache_control(key))
            report.uploaded.append(key)
        stale = sorted(set(self._keys(bucket)) - set(files))
        for start in range(0, len(stale), DELETE_BATCH):
            batch = stale[start:start + DELETE_BATCH]
            answer = self._s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch],
                                                                    "Quiet": True})
            if answer.get("Errors"):
                raise DeployError(f"could not delete {[e['Key'] for e in answer['Errors']]}")
            report.deleted.extend(batch)
        if distribution_id:
            report.invalidation_id = self.invalidate(distribution_id)
        return report

    def invalidate(self, distribution_id: str, paths: Iterable[str] = ("/*",)) -> str:
        if self._cloudfront is None:
            raise DeployError("no CloudFront client to invalidate with")
        items = list(paths)
        answer = self._cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={"Paths": {"Quantity": len(items), "Items": items}, "CallerReference": uuid.uuid4().hex})
        return str(answer["Invalidation"]["Id"])

    def _keys(self, bucket: str) -> Iterable[str]:
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                yield str(item["Key"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site-dir", type=Path, required=True, help="the built site (make site)")
    parser.add_argument("--stack", default=DEFAULT_STACK, help=f"the deployed stack (default {DEFAULT_STACK})")
    parser.add_argument("--bucket", help="the site bucket (default: the stack's SiteBucketName output)")
    parser.add_argument("--distribution-id", help="the distribution (default: the stack's SiteDistributionId output)")
    parser.add_argument("--no-invalidate", action="store_true", help="upload only")
    parser.add_argument("--user-pool-id", help="the officers' pool (default: the stack's UserPoolId output)")
    parser.add_argument("--user-pool-client-id", help="its app client (default: the UserPoolClientId output)")
    args = parser.parse_args(argv)
    bucket, distribution_id = args.bucket, args.distribution_id
    try:
        cloudformation = boto3.client("cloudformation")
        outputs = stack_outputs(cloudformation, args.stack)
        bucket = bucket or outputs.get("SiteBucketName")
        distribution_id = distribution_id or outputs.get("SiteDistributionId")
        if args.user_pool_id:
            outputs["UserPoolId"] = args.user_pool_id
        if args.user_pool_client_id:
            outputs["UserPoolClientId"] = args.user_pool_client_id
        configure_console(args.site_dir, outputs, cloudformation.meta.region_name, boto3.client("location"))
        if not bucket:
            raise DeployError(f"stack {args.stack} has no SiteBucketName output; pass --bucket")
        if not distribution_id and not args.no_invalidate:
            raise DeployError(f"stack {args.stack} has no SiteDistributionId output; pass --distribution-id")
        deployer = SiteDeployer(boto3.client("s3"), boto3.client("cloudfront"))
        report = deployer.deploy(args.site_dir, bucket, None if args.no_invalidate else distribution_id)
    except DeployError as error:
        parser.exit(2, f"deploy_site: {error}\n")
    print(f"s3://{report.bucket}: {len(report.uploaded)} uploaded, {len(report.deleted)} deleted"
          + (f"; invalidation {report.invalidation_id} of /* on {distribution_id}" if report.invalidation_id else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
