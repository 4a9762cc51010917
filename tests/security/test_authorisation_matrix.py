"""The authorisation matrix: every officer endpoint, tried by every kind of principal, with the geometry an attacker
would choose. In-process (chalice.test.Client) against the emulator, with real Cognito tokens (password and TOTP)
and the real authorizer, which reads the officer registry.

Each case asserts the status, the error's pointer, and that nothing changed when the request was refused (the alerts,
the areas, the registry and the organisations are compared before and after). The table of cases is printed in
docs/security.md by `python -m tests.security.test_authorisation_matrix`, and a test checks the two agree.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import bootstrap, config
from chalicelib.adapters.officer_registry import OfficerRegistry
from chalicelib.domain.officers import RegistryEntry
from infra.local import seed, stack
from infra.local.demo import DEMO_TOWNS, seed_demo_areas
from infra.local.testing import EmulatorStack
from infra.local.token import id_token

FUNCTIONS_DIR = str(Path(__file__).parents[2] / "functions")
DOCS = Path(__file__).parents[2] / "docs" / "security.md"
MARK_START, MARK_END = "<!-- matrix:start -->", "<!-- matrix:end -->"

STAFFORD = DEMO_TOWNS["Stafford"][:2]
LEEK = DEMO_TOWNS["Leek"][:2]
CANNOCK = DEMO_TOWNS["Cannock"][:2]
# A U-shaped area in the demo force, away from the towns: two arms with a gap between them (lng, lat).
U_SHAPE = [[-1.97, 52.93], [-1.93, 52.93], [-1.93, 52.97], [-1.94, 52.97], [-1.94, 52.945], [-1.96, 52.945],
           [-1.96, 52.97], [-1.97, 52.97], [-1.97, 52.93]]
WEST_MERCIA_BOUNDARY = [[-2.6, 52.0], [-2.0, 52.0], [-2.0, 52.35], [-2.6, 52.35], [-2.6, 52.0]]


def offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / 111_320, lng + east_m / (111_320 * math.cos(math.radians(lat)))


def circle(centre: tuple[float, float], radius_m: float) -> dict[str, Any]:
    return {"type": "circle", "center": {"lat": centre[0], "lng": centre[1]}, "radius_m": radius_m}


def polygon(*points: tuple[float, float]) -> dict[str, Any]:
    """A drawn polygon from (lat, lng) points."""
    ring = [[lng, lat] for lat, lng in points]
    return {"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}


def alert(target: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"title": "Burglaries nearby", "category": "crime", "priority": "high",
                            "body": "Several homes were broken into overnight. Please lock doors and windows.",
                            "incident_ref": "SP-2026-1234", "contact": {"phone": "101"}, "channels": ["email"],
                            "target": target}
    body.update(overrides)
    return body


# --- the world the cases run in ------------------------------------------------------------------------------------


@dataclass
class World:
    client: Client
    tokens: dict[str, str]
    registry: OfficerRegistry
    prefix: str
    alerts: dict[str, str] = field(default_factory=dict)  # name -> alert id, made by the setup

    def call(self, principal: str | None, method: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if principal is not None:
            headers["Authorization"] = f"Bearer {self.tokens[principal]}"
        data = json.dumps(body).encode() if body is not None else b""
        if method == "GET":
            return self.client.http.get(path, headers=headers)
        return getattr(self.client.http, method.lower())(path, body=data, headers=headers)

    def state(self) -> dict[str, Any]:
        """Everything a refused request must leave as it was."""
        dynamodb = boto3.client("dynamodb")

        def table(suffix: str) -> list[Any]:
            items = dynamodb.scan(TableName=config.resource_name(suffix, self.prefix))["Items"]
            return sorted(json.dumps(item, sort_keys=True, default=repr) for item in items)

        return {suffix: table(suffix) for suffix in (config.ALERTS_TABLE, config.AREAS_TABLE, config.OFFICERS_TABLE,
                                                      config.ORGANISATIONS_TABLE)}


def _create(world: World, principal: str, body: dict[str, Any]) -> str:
    response = world.call(principal, "POST", "/v1/alerts", body)
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["id"])


@pytest.fixture(scope="module")
def world(emulator: EmulatorStack) -> Iterator[World]:
    import os

    saved = {name: value for name, value in os.environ.items() if name.startswith("HEXWATCH_")}
    outputs = stack.deploy(emulator.endpoint, "matrix", "alerts@hexwatch.example")
    os.environ.update(stack.app_env(outputs, "http://localhost:8080"))
    os.environ[config.PREVIEW_BUDGET_ENV] = "120"
    pool = outputs["user_pool_id"]
    users = seed.seed_officers(pool, endpoint=emulator.endpoint)
    users += seed.seed_officers(pool, endpoint=emulator.endpoint, roles={
        "stafford-officer": ["officer"], "two-towns": ["officer"], "u-officer": ["officer"],
        "stafford-volunteer": ["volunteer"], "stafford-admin": ["admin"], "promoted": ["volunteer"]},
        areas={"stafford-officer": ["stafford"], "two-towns": ["stafford", "cannock"], "u-officer": ["u-shape"],
               "stafford-volunteer": ["stafford"], "stafford-admin": ["stafford"]})
    users += seed.seed_officers(pool, endpoint=emulator.endpoint, org="west-mercia",
                                roles={"wm-admin": ["admin"], "wm-officer": ["officer"]})
    users += seed.seed_officers(pool, endpoint=emulator.endpoint, roles={"no-scope": ["officer"],
                                                                         "unknown-force": ["officer"], "nogroup": []})
    registry = OfficerRegistry(boto3.client("dynamodb"), f"{outputs['prefix']}-officers",
                               f"{outputs['prefix']}-organisations")
    by_label = {user["role"]: user for user in users}
    for label, organisation in (("no-scope", "staffordshire"), ("unknown-force", "atlantis")):
        registry.put_entry(RegistryEntry(sub=by_label[label]["sub"], username=by_label[label]["username"],
                                         organisation=organisation, role="officer", areas=(),
                                         whole_organisation=label == "unknown-force"))
    bootstrap.reset()
    seed_demo_areas()
    from app import app

    tokens = {user["role"]: id_token(emulator.endpoint, emulator.region, pool, outputs["user_pool_client_id"],
                                     user["username"], user["password"], totp_secret=user["totp_secret"])
              for user in users}
    with Client(app, stage_name="local", project_dir=FUNCTIONS_DIR) as client:
        built = World(client, tokens, registry, str(outputs["prefix"]))
        u_area = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": "u-shape", "properties": {"name": "U-shaped parish"},
             "geometry": {"type": "Polygon", "coordinates": [U_SHAPE]}}]}
        assert built.call("admin", "POST", "/v1/areas", u_area).status_code == 201
        assert built.call("operator", "PUT", "/v1/organisations/west-mercia/boundary",
                          {"geometry": {"type": "Polygon", "coordinates": [WEST_MERCIA_BOUNDARY]}}).status_code == 200
        # Alerts the cases act on: a draft in Leek, one in Stafford, and a volunteer's waiting for approval in each.
        built.alerts["leek-draft"] = _create(built, "officer", alert(circle(LEEK, 500)))
        built.alerts["stafford-draft"] = _create(built, "officer", alert(circle(STAFFORD, 500)))
        for name, centre in (("leek-pending", LEEK), ("stafford-pending", STAFFORD)):
            built.alerts[name] = _create(built, "volunteer", alert(circle(centre, 500)))
            assert built.call("volunteer", "POST", f"/v1/alerts/{built.alerts[name]}/send", {}).status_code == 200
        # A volunteer sends an alert, is then promoted to officer, and tries to approve their own alert.
        built.alerts["promoted-pending"] = _create(built, "promoted", alert(circle(STAFFORD, 500)))
        assert built.call("promoted", "POST", f"/v1/alerts/{built.alerts['promoted-pending']}/send",
                          {}).status_code == 200
        promoted = bootstrap.officer_registry().fresh_entry(by_label["promoted"]["sub"])
        assert promoted is not None
        bootstrap.officer_registry().put_entry(RegistryEntry(**{**promoted.__dict__, "role": "officer"}))
        yield built
    bootstrap.reset()
    for name in [name for name in os.environ if name.startswith("HEXWATCH_")]:
        del os.environ[name]
    os.environ.update(saved)


# --- the cases -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    principal: str | None
    method: str
    path: str  # "{leek-draft}" and the like are replaced by the setup's alert ids
    body: Any
    status: int
    pointer: str | None  # the first error's pointer; None when the answer is a success
    proves: str


def bridging_triangle() -> dict[str, Any]:
    """One vertex in Stafford and two in Cannock: every vertex is permitted, the land between is not."""
    return polygon(STAFFORD, offset(*CANNOCK, 500, -500), offset(*CANNOCK, -500, 500))


def u_gap_rectangle() -> dict[str, Any]:
    """All four corners in the U's arms; the middle spans the gap between them."""
    return polygon((52.955, -1.965), (52.955, -1.935), (52.965, -1.935), (52.965, -1.965))


def u_arm_rectangle() -> dict[str, Any]:
    return polygon((52.935, -1.968), (52.935, -1.962), (52.965, -1.962), (52.965, -1.968))


NEAR_WEST_BORDER = (52.80, -2.44)  # about 700 m inside the demo boundary's western edge


CASES: list[Case] = [
    # who is let in at all
    # (Without a token at all, the gateway answers before the authorizer runs: locally with its own body.)
    Case("no-token", None, "GET", "/v1/officer/me", None, 401, None, "no token, no entry"),
    Case("not-in-registry", "nogroup", "GET", "/v1/officer/me", None, 401, "", "a valid Cognito user is nobody "
         "until the registry names them"),
    Case("empty-scope", "no-scope", "POST", "/v1/alerts", alert(circle(STAFFORD, 500)), 401, "",
         "an entry with neither areas nor the whole organisation grants nothing (fail closed)"),
    Case("unknown-organisation", "unknown-force", "GET", "/v1/officer/me", None, 401, "",
         "an entry naming an unregistered organisation grants nothing"),
    Case("operator-cannot-send", "operator", "POST", "/v1/alerts", alert(circle(STAFFORD, 500)), 403, None,
         "a platform operator acts for no force"),
    # drawing targets: whole-force officers
    Case("whole-force-circle-inside", "officer", "POST", "/v1/alerts", alert(circle(STAFFORD, 1000)), 201, None,
         "a whole-force officer may alert anywhere inside the boundary"),
    Case("whole-force-circle-over-border", "officer", "POST", "/v1/alerts", alert(circle(NEAR_WEST_BORDER, 2000)), 403,
         "/target/center", "a circle whose centre is inside but whose edge spills over the force border is refused"),
    Case("whole-force-polygon-over-border", "supervisor", "POST", "/v1/alerts/preview",
         alert(polygon(NEAR_WEST_BORDER, offset(*NEAR_WEST_BORDER, 0, -3000), offset(*NEAR_WEST_BORDER, 2000, 0))),
         403, "/target/geometry", "a drawn polygon reaching outside the boundary is refused, preview included"),
    Case("whole-force-organisation", "admin", "POST", "/v1/alerts/preview", alert({"type": "organisation"}), 200,
         None, "a whole-force officer may alert the whole organisation"),
    # drawing targets: area-limited officers
    Case("limited-circle-inside", "stafford-officer", "POST", "/v1/alerts", alert(circle(STAFFORD, 1000)), 201, None,
         "an area-limited officer may alert inside their area"),
    Case("limited-circle-spills", "stafford-officer", "POST", "/v1/alerts",
         alert(circle(offset(*STAFFORD, 3500, 0), 1000)), 403, "/target/center",
         "a circle centred in the area but spilling over its edge is refused"),
    Case("limited-bridging-polygon", "two-towns", "POST", "/v1/alerts", alert(bridging_triangle()), 403,
         "/target/geometry", "a triangle with every vertex in a permitted area still may not cover the land between"),
    Case("limited-u-gap", "u-officer", "POST", "/v1/alerts", alert(u_gap_rectangle()), 403, "/target/geometry",
         "a polygon with its corners in a U's arms may not cover the gap"),
    Case("limited-u-arm", "u-officer", "POST", "/v1/alerts", alert(u_arm_rectangle()), 201, None,
         "inside one arm of the U is fine"),
    Case("limited-organisation", "stafford-officer", "POST", "/v1/alerts", alert({"type": "organisation"}), 403,
         "/target/type", "an area-limited officer may not alert the whole organisation"),
    Case("limited-other-area", "stafford-officer", "POST", "/v1/alerts",
         alert({"type": "areas", "area_ids": ["leek"]}), 403, "/target/area_ids/0",
         "an area-limited officer may not name another area"),
    Case("limited-own-area", "stafford-officer", "POST", "/v1/alerts",
         alert({"type": "areas", "area_ids": ["stafford"]}), 201, None, "but may name their own"),
    Case("other-force-target", "wm-officer", "POST", "/v1/alerts", alert(circle(STAFFORD, 500)), 403,
         "/target/center", "an officer of another force cannot reach into this one"),
    Case("other-force-area-id", "wm-officer", "POST", "/v1/alerts", alert({"type": "areas", "area_ids": ["stafford"]}),
         400, "/target/area_ids/0", "another force's area ids are unknown, not borrowed"),
    # acting on alerts aimed elsewhere
    Case("limited-read-outside", "stafford-officer", "GET", "/v1/alerts/{leek-draft}", None, 403, "/target",
         "an area-limited officer cannot read an alert aimed outside their areas"),
    Case("limited-read-inside", "stafford-officer", "GET", "/v1/alerts/{stafford-draft}", None, 200, None,
         "but can read one inside"),
    Case("limited-approve-outside", "stafford-officer", "POST", "/v1/alerts/{leek-pending}/approve", {}, 403,
         "/target", "nor approve one outside"),
    Case("limited-cancel-outside", "stafford-officer", "POST", "/v1/alerts/{leek-draft}/cancel", {}, 403, "/target",
         "nor cancel one outside"),
    Case("limited-edit-outside", "stafford-officer", "PATCH", "/v1/alerts/{leek-draft}",
         {"title": "Changed from Stafford"}, 403, "/target", "nor change one outside"),
    Case("limited-edit-moves-outside", "stafford-officer", "PATCH", "/v1/alerts/{stafford-draft}",
         {"target": circle(LEEK, 500)}, 403, "/target/center",
         "nor move an alert they may change to a place outside their areas"),
    Case("volunteer-edits-others", "volunteer", "PATCH", "/v1/alerts/{stafford-draft}",
         {"title": "Changed by a volunteer"}, 403, None, "a volunteer changes only alerts they wrote"),
    Case("other-force-edit", "wm-admin", "PATCH", "/v1/alerts/{stafford-draft}", {"title": "Changed elsewhere"},
         404, "/id", "nor can another force change them"),
    Case("limited-send-outside", "stafford-admin", "POST", "/v1/alerts/{leek-draft}/send", {}, 403,
         "/target/center", "nor send one outside, whatever their role"),
    Case("other-force-read", "wm-admin", "GET", "/v1/alerts/{stafford-draft}", None, 404, "/id",
         "another force's alerts do not exist for them"),
    Case("other-force-approve", "wm-admin", "POST", "/v1/alerts/{stafford-pending}/approve", {}, 404, "/id",
         "nor can they approve them"),
    Case("other-force-cancel", "wm-officer", "POST", "/v1/alerts/{stafford-draft}/cancel", {}, 404, "/id",
         "nor cancel them"),
    Case("volunteer-approves", "volunteer", "POST", "/v1/alerts/{stafford-pending}/approve", {}, 403, None,
         "volunteers approve nothing, their own alerts least of all"),
    Case("self-approval", "promoted", "POST", "/v1/alerts/{promoted-pending}/approve", {}, 403, None,
         "promoted to officer, the author still cannot approve their own alert"),
    Case("limited-approve-inside", "stafford-officer", "POST", "/v1/alerts/{stafford-pending}/approve", {}, 200, None,
         "an area-limited officer approves inside their area"),
    # areas and boundaries
    Case("volunteer-imports-areas", "volunteer", "POST", "/v1/areas",
         {"type": "FeatureCollection", "features": [{"type": "Feature", "id": "x", "properties": {"name": "X"},
                                                     "geometry": {"type": "Polygon", "coordinates": [U_SHAPE]}}]},
         403, None, "only supervisors and admins import areas"),
    Case("admin-sets-boundary", "admin", "PUT", "/v1/organisations/staffordshire/boundary",
         {"geometry": {"type": "Polygon", "coordinates": [WEST_MERCIA_BOUNDARY]}}, 403, None,
         "a force's own admin cannot move the force's boundary"),
    Case("admin-imports-boundary", "admin", "POST", "/v1/areas",
         {"type": "FeatureCollection", "features": [{"type": "Feature", "id": "boundary", "properties": {"name": "B"},
                                                     "geometry": {"type": "Polygon", "coordinates": [U_SHAPE]}}]},
         403, "/features/0/id", "nor slip it in as an area called boundary"),
    # the registry
    Case("admin-widens-self", "stafford-admin", "PUT", "/v1/officers/demo-stafford-admin@hexwatch.example",
         {"role": "admin", "whole_organisation": True}, 403, "/username", "nobody widens their own scope"),
    Case("officer-widens-self", "stafford-officer", "PUT", "/v1/officers/demo-stafford-officer@hexwatch.example",
         {"role": "admin", "whole_organisation": True}, 403, None, "an officer cannot touch the registry at all"),
    Case("admin-takes-other-force", "wm-admin", "PUT", "/v1/officers/demo-stafford-officer@hexwatch.example",
         {"organisation": "staffordshire", "role": "officer", "whole_organisation": True}, 403, "/organisation",
         "an admin acts only in their own force"),
    Case("admin-poaches-officer", "wm-admin", "PUT", "/v1/officers/demo-stafford-officer@hexwatch.example",
         {"organisation": "west-mercia", "role": "officer", "whole_organisation": True}, 403, "/username",
         "nor moves another force's officer into theirs"),
    Case("admin-sets-unknown-area", "admin", "PUT", "/v1/officers/demo-stafford-volunteer@hexwatch.example",
         {"role": "volunteer", "areas": ["atlantis"]}, 400, "/areas/0", "areas must be the force's own"),
    Case("admin-sets-empty-scope", "admin", "PUT", "/v1/officers/demo-stafford-volunteer@hexwatch.example",
         {"role": "volunteer"}, 400, "/areas", "scope is explicit: no areas is not the whole force"),
    Case("admin-lists-other-force", "admin", "GET", "/v1/officers?organisation=west-mercia", None, 403,
         "/organisation", "an admin lists only their own force"),
    Case("admin-registers-organisation", "admin", "PUT", "/v1/organisations/new-force", {"name": "New Force"}, 403,
         None, "only platform operators register organisations"),
    Case("operator-appoints-admin", "operator", "PUT", "/v1/officers/demo-stafford-volunteer@hexwatch.example",
         {"organisation": "staffordshire", "role": "volunteer", "areas": ["stafford", "leek"]}, 200, None,
         "the platform operator can set anyone's entry in a registered force"),
    Case("operator-unknown-organisation", "operator", "PUT", "/v1/officers/demo-stafford-volunteer@hexwatch.example",
         {"organisation": "atlantis", "role": "admin", "whole_organisation": True}, 404, "/organisation",
         "but not into an organisation that does not exist"),
]


def _path(world: World, template: str) -> str:
    for name, alert_id in world.alerts.items():
        template = template.replace("{" + name + "}", alert_id)
    return template


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_authorisation_matrix(world: World, case: Case) -> None:
    before = world.state()
    response = world.call(case.principal, case.method, _path(world, case.path), case.body)
    assert response.status_code == case.status, (case.id, response.body)
    if case.status >= 400:
        errors = json.loads(response.body).get("errors") or []
        if case.pointer is not None:
            assert errors and errors[0]["pointer"] == case.pointer, (case.id, response.body)
        assert world.state() == before, f"{case.id}: a refused request changed something"


def markdown_table() -> str:
    rows = ["| case | who | request | answer | what it proves |", "|---|---|---|---|---|"]
    for case in CASES:
        answer = f"{case.status}" + (f" `{case.pointer}`" if case.pointer else "")
        rows.append(f"| `{case.id}` | {case.principal or 'nobody'} | {case.method} `{case.path}` | {answer} | "
                    f"{case.proves} |")
    return "\n".join(rows)


def test_the_table_in_docs_security_is_this_one() -> None:
    text = DOCS.read_text()
    assert MARK_START in text and MARK_END in text, "docs/security.md lacks the matrix markers"
    printed = text.split(MARK_START, 1)[1].split(MARK_END, 1)[0].strip()
    assert printed == markdown_table(), "run: .venv/bin/python -m tests.security.test_authorisation_matrix"


def write_docs() -> None:
    text = DOCS.read_text()
    head, rest = text.split(MARK_START, 1)
    DOCS.write_text(head + MARK_START + "\n" + markdown_table() + "\n" + MARK_END + rest.split(MARK_END, 1)[1])


if __name__ == "__main__":
    write_docs()
    sys.exit(0)

