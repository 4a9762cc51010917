"""The hosting fragment (infra/hosting.patch.yaml) merged into the template, and the WAF template (infra/edge.yaml).

Read from `infra.package.merge_template()`, without Chalice; cfn-lint runs over the packaged template in
tests/integration/test_package.py. The CloudFront Function's JavaScript is run with node (when installed) on a table
of paths and must agree with infra/site_paths.py, which the local site server applies.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib import config
from chalicelib.api import origin_verify
from infra import site_paths
from infra.package import load_yaml, merge_template
from infra.security_headers import LOCAL_REGION, REGION_PLACEHOLDER, SECURITY_HEADERS, security_headers

ROOT = Path(__file__).resolve().parents[2]
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# Made for API Gateway origins: every viewer header but Host (Authorization included) and CloudFront's own headers,
# CloudFront-Viewer-Address among them.
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ONE_YEAR = 31_536_000


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return merge_template()


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"])


@pytest.fixture(scope="module")
def distribution(resources: dict[str, Any]) -> dict[str, Any]:
    return dict(resources["SiteDistribution"]["Properties"]["DistributionConfig"])


def origin(distribution: dict[str, Any], origin_id: str) -> dict[str, Any]:
    return next(o for o in distribution["Origins"] if o["Id"] == origin_id)


def api_behaviour(distribution: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in distribution["CacheBehaviors"] if b["PathPattern"] == "/v1/*")


def test_the_site_is_read_through_origin_access_control_and_never_publicly(resources: dict[str, Any],
                                                                           distribution: dict[str, Any]) -> None:
    site = origin(distribution, "site")
    assert site["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}  # REST endpoint, not website
    assert site["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert site["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = resources["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == \
        ("s3", "always", "sigv4")
    assert not [r for r in resources.values() if r.get("Type") == "AWS::CloudFront::CloudFrontOriginAccessIdentity"]
    bucket = resources["SiteBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert "WebsiteConfiguration" not in bucket


def test_only_this_distribution_may_read_the_bucket(resources: dict[str, Any]) -> None:
    policy = resources["SiteBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "SiteBucket"}
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source_arn = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source_arn.endswith(":distribution/${SiteDistribution}")
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert denies and denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_v1_goes_to_the_api_uncached_with_the_secret_origin_header(distribution: dict[str, Any]) -> None:
    behaviour = api_behaviour(distribution)
    api = origin(distribution, behaviour["TargetOriginId"])
    assert api["DomainName"] == {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.amazonaws.com"}
    assert api["OriginPath"] == "/api" == "/" + json.loads((ROOT / "chalice.json").read_text())["stages"]["dev"][
        "api_gateway_stage"]
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert set(behaviour["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    assert behaviour["ViewerProtocolPolicy"] in {"https-only", "redirect-to-https"}
    headers = {h["HeaderName"]: h["HeaderValue"] for h in api["OriginCustomHeaders"]}
    assert headers == {origin_verify.HEADER: {
        "Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString:value}}"}}


def test_the_secret_is_the_one_the_api_reads(resources: dict[str, Any]) -> None:
    secret = resources["OriginVerifySecret"]["Properties"]
    assert secret["Name"] == {"Fn::Sub": "${Prefix}-" + config.ORIGIN_VERIFY_SECRET}
    assert secret["GenerateSecretString"]["GenerateStringKey"] == "value"


def test_the_api_gets_authorization_origin_fetch_metadata_and_the_viewer_address(distribution: dict[str, Any]) -> None:
    # A custom origin request policy may not forward Authorization, and CachingDisabled cannot put it in the cache
    # key: the managed AllViewerExceptHostHeader is the policy that forwards it (and CloudFront-Viewer-Address).
    assert api_behaviour(distribution)["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert origin_verify.VIEWER_ADDRESS_HEADER == "CloudFront-Viewer-Address"


def test_the_deployed_api_enforces_the_origin_header(resources: dict[str, Any]) -> None:
    variables = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables[config.ORIGIN_VERIFY_ENV] == origin_verify.REQUIRED


def test_the_site_paths_function_runs_on_every_viewer_request_for_the_site(resources: dict[str, Any],
                                                                          distribution: dict[str, Any]) -> None:
    default = distribution["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "site"
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["SitePathsFunction", "FunctionARN"]}}]
    function = resources["SitePathsFunction"]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["AutoPublish"] is True
    assert distribution["DefaultRootObject"] == "index.html"
    # Error responses apply to every origin: a 403 mapping would swallow the API's JSON 403s.
    assert "CustomErrorResponses" not in distribution


def test_viewer_requests_are_logged_to_the_private_access_log_bucket(resources: dict[str, Any],
                                                                     distribution: dict[str, Any]) -> None:
    assert distribution["Logging"] == {"Bucket": {"Fn::GetAtt": ["AccessLogsBucket", "DomainName"]},
                                       "Prefix": "cloudfront/", "IncludeCookies": False}
    logs = resources["AccessLogsBucket"]["Properties"]
    assert all(logs["PublicAccessBlockConfiguration"].values())
    # CloudFront's standard logging writes with an ACL for its log-delivery account.
    assert logs["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]


def template_headers(policy: dict[str, Any]) -> dict[str, str]:
    """The headers a response headers policy adds, as name -> value."""
    security = policy["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    headers = {
        "Content-Security-Policy": security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
                                     + ("; includeSubDomains" if hsts["IncludeSubdomains"] else "")
                                     + ("; preload" if hsts.get("Preload") else ""),
        "X-Frame-Options": security["FrameOptions"]["FrameOption"],
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
    }
    for item in policy.get("CustomHeadersConfig", {}).get("Items", []):
        headers[item["Header"]] = item["Value"]
    overrides = [c["Override"] for c in security.values()] + [
        i["Override"] for i in policy.get("CustomHeadersConfig", {}).get("Items", [])]
    assert all(overrides), "the policy's headers must replace whatever an origin sends"
    return headers


def test_cloudfront_sends_exactly_the_headers_the_local_server_sends(resources: dict[str, Any],
                                                                     distribution: dict[str, Any]) -> None:
    policy = resources["SiteResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    assert template_headers(policy) == security_headers(REGION_PLACEHOLDER)
    assert security_headers(LOCAL_REGION) == SECURITY_HEADERS
    for behaviour in [distribution["DefaultCacheBehavior"], *distribution["CacheBehaviors"]]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "SiteResponseHeadersPolicy"}


def test_the_headers_forbid_inline_code_framing_and_plain_http() -> None:
    csp = dict(d.strip().split(" ", 1) for d in SECURITY_HEADERS["Content-Security-Policy"].split(";"))
    assert "'unsafe-inline'" not in SECURITY_HEADERS["Content-Security-Policy"]
    assert "'unsafe-eval'" not in SECURITY_HEADERS["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'" and csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert SECURITY_HEADERS["X-Frame-Options"] == "DENY"
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"
    hsts = SECURITY_HEADERS["Strict-Transport-Security"]
    assert int(re.match(r"max-age=(\d+)", hsts).group(1)) >= ONE_YEAR  # type: ignore[union-attr]
    assert "includeSubDomains" in hsts
    # Tokens travel in resident links' query strings; only the origin may leave in a Referer.
    assert SECURITY_HEADERS["Referrer-Policy"] == "strict-origin"
    assert "geolocation=(self)" in SECURITY_HEADERS["Permissions-Policy"]


def test_the_web_acl_is_a_parameter_and_tls_is_modern_with_a_certificate(template: dict[str, Any],
                                                                         distribution: dict[str, Any]) -> None:
    assert distribution["WebACLId"] == {"Ref": "WebAclArn"}
    assert "Default" not in template["Parameters"]["WebAclArn"]  # no way to deploy without the WAF
    assert template["Parameters"]["SiteCertificateArn"]["Default"] == ""
    with_certificate, without = distribution["ViewerCertificate"]["Fn::If"][1:]
    assert with_certificate["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert with_certificate["SslSupportMethod"] == "sni-only"
    assert without == {"CloudFrontDefaultCertificate": True}
    assert set(template["Outputs"]) >= {"SiteDistributionId", "SiteDomainName", "SiteBucketName"}


def test_the_edge_template_limits_each_ip_on_the_api_in_front_of_cloudfront() -> None:
    edge = load_yaml(ROOT / "infra" / "edge.yaml")
    acl = edge["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    rate = next(r["Statement"]["RateBasedStatement"] for r in rules.values() if "RateBasedStatement" in r["Statement"])
    assert rate["AggregateKeyType"] == "IP" and rate["EvaluationWindowSec"] == 300
    assert edge["Parameters"][rate["Limit"]["Ref"]]["Default"] == 2000
    scope = rate["ScopeDownStatement"]["ByteMatchStatement"]
    assert (scope["FieldToMatch"], scope["PositionalConstraint"], scope["SearchString"]) == \
        ({"UriPath": {}}, "STARTS_WITH", "/v1/")
    managed = {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in rules.values()
               if "ManagedRuleGroupStatement" in r["Statement"]}
    assert managed == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    assert all(r["VisibilityConfig"]["CloudWatchMetricsEnabled"] for r in rules.values())
    logging = edge["Resources"]["WebAclLogging"]["Properties"]
    assert {"QueryString": {}} in logging["RedactedFields"]  # resident links carry tokens there
    assert edge["Outputs"]["WebAclArn"]["Value"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}


def test_the_edge_template_passes_cfn_lint() -> None:
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(ROOT / "infra" / "edge.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the CloudFront Function and the local server's rule

PATHS = [
    ("/", ""), ("/index.html", ""), ("/signin.html", "token=abc.def"), ("/console", ""), ("/console/", ""),
    ("/console", "a=1&b=two%20words"), ("/console", "q=a b&r=<x>"), ("/console", "a=1&a=2"), ("/a/b", ""),
    ("/a/b/", ""), ("/schemas", ""), ("/schemas/signup.json", ""),
    ("/config.js", ""), ("/v1", ""), ("//evil", ""), ("//evil.example", ""), ("/\\evil", ""), ("/%2Fevil", ""),
    ("/a//b", ""), ("/a.b/c", ""), ("/.well-known", ""), ("/with space", ""),
]


def js_event(path: str, query: str) -> dict[str, Any]:
    querystring: dict[str, Any] = {}
    for pair in [p for p in query.split("&") if p]:
        name, _, value = pair.partition("=")
        if name in querystring:
            item = querystring[name]
            item.setdefault("multiValue", [{"value": item["value"]}]).append({"value": value})
        else:
            querystring[name] = {"value": value}
    return {"version": "1.0", "request": {"method": "GET", "uri": path, "querystring": querystring, "headers": {},
                                          "cookies": {}}}


def run_function(code: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the Python rule is still tested through the local server")
    script = code + "\nconsole.log(JSON.stringify(JSON.parse(process.argv[1]).map(handler)));\n"
    result = subprocess.run([node, "-e", script, json.dumps(events)], capture_output=True, text=True, check=True)
    return list(json.loads(result.stdout))


def test_the_cloudfront_function_maps_paths_as_the_local_server_does(resources: dict[str, Any]) -> None:
    code = resources["SitePathsFunction"]["Properties"]["FunctionCode"]
    answers = run_function(code, [js_event(path, query) for path, query in PATHS])
    for (path, query), answer in zip(PATHS, answers, strict=True):
        if "statusCode" in answer:
            assert answer["statusCode"] == 301
            got = ("redirect", answer["headers"]["location"]["value"])
        else:
            got = ("rewrite", answer["uri"])
        assert got == site_paths.route(path, query), (path, query)


def test_the_rule_rewrites_directories_and_redirects_only_plain_paths() -> None:
    assert site_paths.route("/") == ("rewrite", "/index.html")
    assert site_paths.route("/console/") == ("rewrite", "/console/index.html")
    assert site_paths.route("/console", "x=1") == ("redirect", "/console/?x=1")
    assert site_paths.route("/style.css") == ("rewrite", "/style.css")
    for hostile in ("//evil", "/\\evil", "/%2F%2Fevil", "//evil/"):
        action, target = site_paths.route(hostile)
        assert action == "rewrite" or not target.startswith(("//", "/\\")), hostile


def test_the_function_code_is_valid_yaml_block_text() -> None:
    # FunctionCode is a literal block: a tab or a stray indent would change the JavaScript CloudFront receives.
    fragment = yaml.safe_load((ROOT / "infra" / "hosting.patch.yaml").read_text())
    code = fragment["Resources"]["SitePathsFunction"]["Properties"]["FunctionCode"]
    assert code.startswith("// Only plain paths") and "function handler(event)" in code and "\t" not in code


def test_the_public_map_key_can_only_fetch_tiles_from_the_sites_own_pages_and_expires(
        template: dict[str, Any], resources: dict[str, Any]) -> None:
    key = resources["ConsoleMapKey"]
    assert key["Condition"] == "HasMapKey"
    restrictions = key["Properties"]["Restrictions"]
    assert restrictions["AllowActions"] == ["geo-maps:GetTile"]
    assert restrictions["AllowResources"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:geo-maps:${AWS::Region}::provider/default"}]
    referers = str(restrictions["AllowReferers"])
    assert "${SiteDistribution.DomainName}" in referers and "SiteAliases" in referers and "*" not in referers.replace(
        "/*", "")
    assert key["Properties"]["ExpireTime"] == {"Ref": "MapKeyExpiry"}
    expiry = template["Parameters"]["MapKeyExpiry"]
    assert expiry["Default"] == "" and "NoExpiry" not in str(key)
    # A new expiry names a new key, so CloudFormation makes it before it deletes the old one (docs/operations.md).
    assert "${MapKeyExpiry}" in key["Properties"]["KeyName"]["Fn::Sub"]
    assert template["Outputs"]["MapKeyName"]["Condition"] == "HasMapKey"
