"""`make deploy-site` (infra/deploy_site.py): the built site into the emulator's S3, CloudFront invalidation stubbed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from infra.deploy_site import IMMUTABLE, NO_CACHE, DeployError, SiteDeployer, main, targets_from_stack
from infra.local.site_build import build_site
from infra.local.testing import EmulatorStack


@pytest.fixture
def s3(emulator: EmulatorStack) -> Any:
    return boto3.client("s3", endpoint_url=emulator.endpoint, region_name=emulator.region)


@pytest.fixture
def bucket(s3: Any, emulator: EmulatorStack) -> str:
    name = f"site-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    return name


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return build_site(tmp_path / "site", api_base="", stage="dev")


def stubbed_cloudfront(distribution_id: str) -> tuple[Any, Stubber]:
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    stubber = Stubber(cloudfront)
    stubber.add_response(
        "create_invalidation",
        {"Location": "https://cloudfront.amazonaws.com/x", "Invalidation": {
            "Id": "I2J0I21PCUYOIK", "Status": "InProgress", "CreateTime": "2026-12-02T10:00:00Z",
            "InvalidationBatch": {"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": "x"}}},
        {"DistributionId": distribution_id,
         "InvalidationBatch": {"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": ANY}})
    stubber.activate()
    return cloudfront, stubber


def test_the_build_is_uploaded_with_its_types_and_caching_and_the_edge_invalidated(s3: Any, bucket: str,
                                                                                  site: Path) -> None:
    cloudfront, stubber = stubbed_cloudfront("E2EXAMPLE")
    report = SiteDeployer(s3, cloudfront).deploy(site, bucket, "E2EXAMPLE")
    stubber.assert_no_pending_responses()
    assert report.invalidation_id == "I2J0I21PCUYOIK"

    expected = {path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file()}
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert stored == expected == set(report.uploaded)
    assert {"index.html", "config.js", "style.css", "schemas/signup.json"} <= stored
    pages = [key for key in report.uploaded if key.endswith(".html")]
    assert report.uploaded[-len(pages):] == pages, "pages go up last"

    for key, content_type in [("index.html", "text/html; charset=utf-8"), ("style.css", "text/css; charset=utf-8"),
                              ("config.js", "text/javascript; charset=utf-8"),
                              ("schemas/signup.json", "application/json")]:
        head = s3.head_object(Bucket=bucket, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (content_type, NO_CACHE), key
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == (site / "index.html").read_bytes()


def test_objects_no_longer_in_the_build_are_deleted_and_hashed_files_cached_for_a_year(s3: Any, bucket: str,
                                                                                        site: Path) -> None:
    s3.put_object(Bucket=bucket, Key="old-page.html", Body=b"gone")
    s3.put_object(Bucket=bucket, Key="old/nested.js", Body=b"gone")
    (site / "app.3f2a9c1e.js").write_text("// a content-hashed asset")
    report = SiteDeployer(s3).deploy(site, bucket)
    assert sorted(report.deleted) == ["old-page.html", "old/nested.js"]
    assert report.invalidation_id is None
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert "old-page.html" not in stored and "old/nested.js" not in stored
    assert s3.head_object(Bucket=bucket, Key="app.3f2a9c1e.js")["CacheControl"] == IMMUTABLE


def test_a_directory_without_index_html_deletes_nothing(s3: Any, bucket: str, tmp_path: Path) -> None:
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"live")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DeployError, match=r"index\.html"):
        SiteDeployer(s3).deploy(tmp_path / "empty", bucket)
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"live"


def test_the_bucket_is_found_from_the_stack_outputs(emulator: EmulatorStack) -> None:
    cloudformation = boto3.client("cloudformation", endpoint_url=emulator.endpoint, region_name=emulator.region)
    bucket, distribution = targets_from_stack(cloudformation, emulator.outputs["stack_name"])
    assert bucket == emulator.outputs["site_bucket"]
    assert distribution is None  # the local stack has no CloudFront: hosting.patch.yaml is deployed only to AWS
    with pytest.raises(DeployError, match="cannot read stack"):
        targets_from_stack(cloudformation, "no-such-stack")


def test_the_command_line_uploads_to_the_stacks_bucket(emulator: EmulatorStack, site: Path, s3: Any,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # The emulator's CloudFormation makes no app client (so no UserPoolClientId output): given on the command line.
    pool = ["--user-pool-id", emulator.outputs["user_pool_id"],
            "--user-pool-client-id", emulator.outputs["user_pool_client_id"]]
    assert main(["--site-dir", str(site), "--stack", emulator.outputs["stack_name"], "--no-invalidate", *pool]) == 0
    config = s3.get_object(Bucket=emulator.outputs["site_bucket"], Key="config.js")["Body"].read().decode()
    assert emulator.outputs["user_pool_id"] in config
    assert "uploaded" in capsys.readouterr().out
    bucket = emulator.outputs["site_bucket"]
    assert s3.head_object(Bucket=bucket, Key="index.html")["ContentType"] == "text/html; charset=utf-8"
    with pytest.raises(SystemExit) as exit_info:
        main(["--site-dir", str(site), "--stack", emulator.outputs["stack_name"], *pool])  # no distribution
    assert exit_info.value.code == 2


def test_config_js_gets_the_stacks_user_pool_and_a_restricted_map_key(tmp_path: Path) -> None:
    from botocore.stub import Stubber

    from infra.deploy_site import configure_console
    from infra.local.site_build import build_site

    site = build_site(tmp_path / "site", stage="prod")
    location = boto3.client("location", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    outputs = {"UserPoolId": "eu-west-2_Pool", "UserPoolClientId": "client123", "MapKeyName": "hexwatch-site-map-x"}
    with Stubber(location) as stub:
        stub.add_response("describe_key", {"Key": "v1.public.abc", "KeyArn": "arn:aws:geo:eu-west-2:1:api-key/k",
                                           "KeyName": "hexwatch-site-map-x", "Restrictions": {
                                               "AllowActions": ["geo-maps:GetTile"], "AllowResources": ["*"]},
                                           "CreateTime": "2026-12-01T00:00:00Z", "ExpireTime": "2027-06-01T00:00:00Z",
                                           "UpdateTime": "2026-12-01T00:00:00Z"},
                          {"KeyName": "hexwatch-site-map-x"})
        config = configure_console(site, outputs, "eu-west-2", location)
    assert config["cognito"] == {"region": "eu-west-2", "userPoolId": "eu-west-2_Pool", "clientId": "client123"}
    assert config["mapTiles"]["url"] == ("https://maps.geo.eu-west-2.amazonaws.com/v2/tiles/raster.satellite/"
                                         "{z}/{x}/{y}?key=v1.public.abc")
    written = (site / "config.js").read_text()
    assert '"userPoolId": "eu-west-2_Pool"' in written and written.startswith("window.HEXWATCH_CONFIG")
    assert config["stage"] == "prod"
    # Without a key output the maps keep to the shipped basemap; without a pool the console could not sign in.
    assert configure_console(site, {**outputs, "MapKeyName": ""}, "eu-west-2", location)["mapTiles"] is None
    with pytest.raises(DeployError):
        configure_console(site, {"MapKeyName": ""}, "eu-west-2", location)
