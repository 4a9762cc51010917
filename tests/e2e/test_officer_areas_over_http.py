"""An officer over real HTTP: a demo officer's token from the running stack reads the seeded force's areas."""

from __future__ import annotations

from typing import Any

import requests

from infra.local.token import id_token

TIMEOUT = 10


def token_for(stack: dict[str, Any], role: str) -> str:
    user = next(u for u in stack["users"] if u["role"] == role)
    return id_token(stack["endpoint"], stack["region"], stack["user_pool_id"], stack["user_pool_client_id"],
                    user["username"], user["password"], totp_secret=user["totp_secret"])


def test_a_demo_officer_sees_the_seeded_force_and_its_areas(local_stack: dict[str, Any]) -> None:
    site = local_stack["site_url"]
    headers = {"Authorization": f"Bearer {token_for(local_stack, 'officer')}"}
    me = requests.get(f"{site}/v1/officer/me", headers=headers, timeout=TIMEOUT)
    assert me.status_code == 200 and me.json()["role"] == "officer" and me.json()["organisation"] == "staffordshire"
    areas = requests.get(f"{site}/v1/areas", headers=headers, timeout=TIMEOUT)
    assert areas.status_code == 200
    names = {area["name"] for area in areas.json()["areas"]}
    assert {"Stafford", "Leek", "Burton upon Trent"} <= names


def test_officer_routes_refuse_a_missing_or_forged_token(local_stack: dict[str, Any]) -> None:
    site = local_stack["site_url"]
    assert requests.get(f"{site}/v1/areas", timeout=TIMEOUT).status_code == 401
    forged = token_for(local_stack, "admin")[:-4] + "AAAA"
    assert requests.get(f"{site}/v1/areas", headers={"Authorization": f"Bearer {forged}"},
                        timeout=TIMEOUT).status_code == 401
