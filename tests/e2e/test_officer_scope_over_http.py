"""Over real HTTP against the running stack: an admin limits an officer to Stafford with the registry command; the
officer then rewrites their own Cognito attributes (custom:org, custom:areas), which the emulator accepts, and gains
nothing by it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import requests

from infra.local import seed
from infra.local.token import sign_in

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10
LEEK = {"lat": 53.1050, "lng": -2.0230}
BIRMINGHAM = {"lat": 52.4862, "lng": -1.8904}  # West Midlands: outside the demo force


def alert(target: dict[str, Any]) -> dict[str, Any]:
    return {"title": "Burglaries nearby", "category": "crime", "priority": "high", "incident_ref": "SP-2026-1",
            "body": "Several homes were broken into overnight. Please lock doors and windows.",
            "contact": {"phone": "101"}, "channels": ["email"], "target": target}


def registry_command(state: dict[str, Any], tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state))
    return subprocess.run([sys.executable, "-m", "infra.officers", "--state-file", str(state_file), "--user",
                           "demo-admin@hexwatch.example", *arguments], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


def test_rewriting_ones_own_attributes_widens_nothing(local_stack: dict[str, Any], tmp_path: Path) -> None:
    cognito = boto3.client("cognito-idp", endpoint_url=local_stack["endpoint"], region_name=local_stack["region"],
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    user = seed.seed_officers(local_stack["user_pool_id"], endpoint=local_stack["endpoint"],
                              region=local_stack["region"], roles={"e2e-limited": []}, cognito=cognito)[0]
    limited = registry_command(local_stack, tmp_path, "set", user["username"], "--role", "officer", "--areas",
                               "stafford")
    assert limited.returncode == 0, limited.stderr
    listed = registry_command(local_stack, tmp_path, "list")
    assert user["username"] in listed.stdout

    def tokens() -> dict[str, Any]:
        return sign_in(local_stack["endpoint"], local_stack["region"], local_stack["user_pool_id"],
                       local_stack["user_pool_client_id"], user["username"], user["password"], user["totp_secret"],
                       cognito=cognito)

    cognito.update_user_attributes(AccessToken=tokens()["AccessToken"],
                                   UserAttributes=[{"Name": "custom:org", "Value": "west-midlands"},
                                                   {"Name": "custom:areas", "Value": ""}])
    attributes = {a["Name"]: a["Value"] for a in cognito.admin_get_user(
        UserPoolId=local_stack["user_pool_id"], Username=user["username"])["UserAttributes"]}
    assert attributes["custom:org"] == "west-midlands"  # the emulator accepted it

    site, fresh = local_stack["site_url"], tokens()["IdToken"]
    headers = {"Authorization": f"Bearer {fresh}", "Content-Type": "application/json"}
    me = requests.get(f"{site}/v1/officer/me", headers=headers, timeout=TIMEOUT)
    assert me.status_code == 200 and me.json() == {"username": user["username"], "organisation": "staffordshire",
                                                   "role": "officer", "areas": ["stafford"],
                                                   "whole_organisation": False}
    for target, pointer in (({"type": "circle", "center": BIRMINGHAM, "radius_m": 1000}, "/target/center"),
                            ({"type": "circle", "center": LEEK, "radius_m": 1000}, "/target/center"),
                            ({"type": "organisation"}, "/target/type")):
        refused = requests.post(f"{site}/v1/alerts", json=alert(target), headers=headers, timeout=TIMEOUT)
        assert refused.status_code == 403, refused.text
        assert refused.json()["errors"][0]["pointer"] == pointer
