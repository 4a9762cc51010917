"""Named areas through the API with real emulator tokens: who may import, what geometry is refused, who sees what."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import bootstrap
from infra.local import seed
from infra.local.demo import demo_areas
from infra.local.token import id_token

FUNCTIONS_DIR = str(Path(__file__).parents[2] / "functions")


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """An empty areas table and a pool with the four demo officers, all in the demo force."""
    outputs = fresh_stack()
    users = seed.seed_officers(outputs["user_pool_id"], endpoint=emulator.endpoint)
    bootstrap.reset()
    from app import app

    tokens = {user["role"]: id_token(emulator.endpoint, emulator.region, outputs["user_pool_id"],
                                     outputs["user_pool_client_id"], user["username"], user["password"],
                                     totp_secret=user["totp_secret"])
              for user in users}
    with Client(app, stage_name="local", project_dir=FUNCTIONS_DIR) as client:
        yield {"client": client, "tokens": tokens}
    bootstrap.reset()


def post(stack: dict[str, Any], role: str, body: Any) -> Any:
    return stack["client"].http.post("/v1/areas", body=json.dumps(body).encode(), headers={
        "Authorization": f"Bearer {stack['tokens'][role]}", "Content-Type": "application/json"})


def errors(response: Any) -> dict[str, str]:
    return {e["pointer"]: e["message"] for e in json.loads(response.body)["errors"]}


def set_boundary(stack: dict[str, Any], role: str = "operator") -> Any:
    boundary = demo_areas()["features"][0]["geometry"]
    return stack["client"].http.put("/v1/organisations/staffordshire/boundary",
                                    body=json.dumps({"geometry": boundary}).encode(),
                                    headers={"Authorization": f"Bearer {stack['tokens'][role]}",
                                             "Content-Type": "application/json"})


def towns() -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": demo_areas()["features"][1:]}


def test_the_operator_sets_the_boundary_an_admin_imports_towns_and_everyone_lists_them(
        stack: dict[str, Any]) -> None:
    assert set_boundary(stack).status_code == 200
    response = post(stack, "admin", towns())
    assert response.status_code == 201, response.body
    assert json.loads(response.body)["imported"][:1] == ["stafford"]
    listed = stack["client"].http.get("/v1/areas", headers={"Authorization": f"Bearer {stack['tokens']['volunteer']}"})
    areas = {a["id"]: a for a in json.loads(listed.body)["areas"]}
    assert set(areas) == {"boundary", "stafford", "stoke-on-trent", "newcastle-under-lyme", "burton-upon-trent",
                          "tamworth", "lichfield", "cannock", "leek"}
    assert areas["stafford"]["permitted"] and not areas["boundary"]["permitted"]
    assert areas["leek"]["geometry"]["type"] == "Polygon"


def test_only_supervisors_import_and_only_a_platform_operator_sets_the_boundary(stack: dict[str, Any]) -> None:
    assert post(stack, "volunteer", demo_areas()).status_code == 403
    assert post(stack, "officer", demo_areas()).status_code == 403
    for role in ("supervisor", "admin"):
        refused = post(stack, role, demo_areas())
        assert refused.status_code == 403 and "/features/0/id" in errors(refused)
        assert set_boundary(stack, role).status_code == 403  # a force cannot widen where it may send
    assert set_boundary(stack).status_code == 200
    assert post(stack, "supervisor", towns()).status_code == 201


def test_bad_geometry_is_refused_naming_the_place_and_nothing_is_written(stack: dict[str, Any]) -> None:
    set_boundary(stack)
    square = [[-2.2, 52.7], [-2.0, 52.7], [-2.0, 52.9], [-2.2, 52.9], [-2.2, 52.7]]
    features = [
        {"type": "Feature", "id": "fine", "properties": {"name": "Fine"},
         "geometry": {"type": "Polygon", "coordinates": [square]}},
        {"type": "Feature", "id": "open", "properties": {"name": "Open ring"},
         "geometry": {"type": "Polygon", "coordinates": [[*square[:-1], [-2.2, 52.8]]]}},
        {"type": "Feature", "id": "clockwise", "properties": {"name": "Wrong way round"},
         "geometry": {"type": "Polygon", "coordinates": [list(reversed(square))]}},
        {"type": "Feature", "id": "bow-tie", "properties": {"name": "Crosses itself"},
         "geometry": {"type": "Polygon", "coordinates": [[[-2.2, 52.7], [-2.0, 52.9], [-2.0, 52.7], [-2.2, 52.9],
                                                          [-2.2, 52.7]]]}},
        {"type": "Feature", "id": "wales", "properties": {"name": "Outside the force"},
         "geometry": {"type": "Polygon", "coordinates": [[[x - 1.5, y] for x, y in square]]}},
    ]
    refused = post(stack, "admin", {"type": "FeatureCollection", "features": features})
    assert refused.status_code == 400
    found = errors(refused)
    assert "not closed" in found["/features/1/geometry/coordinates/0"]
    assert not any(pointer.startswith("/features/2/") for pointer in found)  # direction is normalised (RFC 7946)
    assert "crosses" in found["/features/3/geometry/coordinates/0"]
    assert "outside" in found["/features/4/geometry"]
    listed = stack["client"].http.get("/v1/areas", headers={"Authorization": f"Bearer {stack['tokens']['admin']}"})
    assert [a["id"] for a in json.loads(listed.body)["areas"]] == ["boundary"]  # all or nothing


def test_areas_need_a_boundary_first_and_a_valid_document(stack: dict[str, Any]) -> None:
    towns = {"type": "FeatureCollection", "features": demo_areas()["features"][1:2]}
    assert "boundary first" in errors(post(stack, "admin", towns))["/features/0"]
    not_geojson = post(stack, "admin", {"type": "FeatureCollection", "features": [{"type": "Feature"}]})
    assert not_geojson.status_code == 400 and "/features/0/id" in errors(not_geojson)
    no_token = stack["client"].http.post("/v1/areas", body=b"{}", headers={"Content-Type": "application/json"})
    assert no_token.status_code == 401
