"""The OpenAPI document lists exactly the routes the app serves, with the schemas the routes validate against."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).parents[2]
DOCUMENT = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
METHODS = {"get", "post", "put", "patch", "delete"}


def app_routes() -> set[tuple[str, str]]:
    from app import app

    return {(path, method.lower()) for path, methods in app.routes.items() for method in methods}


def documented_routes() -> set[tuple[str, str]]:
    return {(path, method) for path, item in DOCUMENT["paths"].items() for method in item if method in METHODS}


def test_the_document_is_valid_openapi_3_1() -> None:
    validate(DOCUMENT, base_uri=(ROOT / "docs" / "openapi.yaml").as_uri())


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    assert app_routes() == documented_routes()


def test_each_documented_request_schema_is_the_one_its_route_validates_with() -> None:
    """Read the route modules: each view's `validated_json(..., "name")` must match the document's $ref."""
    used: dict[tuple[str, str], str] = {}
    for module in (ROOT / "functions" / "chalicelib" / "api").glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            route = next((d for d in node.decorator_list if isinstance(d, ast.Call)
                          and getattr(d.func, "attr", "") == "route"), None)
            if route is None:
                continue
            path = ast.literal_eval(route.args[0])
            methods = next(ast.literal_eval(k.value) for k in route.keywords if k.arg == "methods")
            source = ast.get_source_segment(module.read_text(), node) or ""
            for name in re.findall(r'validated_(?:json|form)\([^,]+, "([\w-]+)"[,)]', source):
                for method in methods:
                    used[(path, method.lower())] = name
            if path in ("/v1/verify", "/v1/session") and "POST" in methods:
                used[(path, "post")] = "verify"  # through the shared _redeem helper (DELETE /v1/session has no body)
    for (path, method), schema in used.items():
        body = DOCUMENT["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"] == f"../schemas/{schema}.json", (path, method)
