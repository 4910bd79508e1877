"""The API's own description as a script's author reads it: the OpenAPI schema says the error
shape the API really answers with, and the reference page (``/api/v1/docs``) lists every
operation without loading anything from elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rekap.adapters.keys import load_or_create
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.capture.access import Role
from rekap.web.app import create_app
from rekap.web.context import AppContext, utc_now

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    """The app over an empty database, and a verifier's token."""
    root = tmp_path_factory.mktemp("api-description")
    engine = open_engine(f"sqlite:///{root / 'rekap.db'}")
    upgrade(engine)
    context = AppContext(engine, load_or_create(root / "k.pem"), LocalPhotoStore(root))
    token = context.accounts.enrol("v", Role.VERIFIER, "74", utc_now(), "test")[1]
    with TestClient(create_app(context)) as client:
        yield client, token


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/components/schemas/")
        node = schema["components"]["schemas"][name]
    return node


def _error_schema(schema: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    return _resolve(schema, answer["content"]["application/json"]["schema"])


def test_the_schema_gives_every_error_the_shape_the_api_answers_with(
    api: tuple[TestClient, str],
) -> None:
    """FastAPI described a 422 as ``{"detail": [...]}`` (``HTTPValidationError``), which the
    API never sends: a client generated from the schema read its refusals wrongly."""
    client, token = api
    schema = client.get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            answers = item[method]["responses"]
            assert "default" in answers, (method, path)
            for status in ("422", "default"):
                if status in answers:
                    error = _error_schema(schema, answers[status])
                    assert error["required"] == ["error"], (method, path, status)
    shape = _error_schema(schema, schema["paths"]["/api/v1/log"]["get"]["responses"]["422"])
    inner = _resolve(schema, shape["properties"]["error"])
    codes = set(_resolve(schema, inner["properties"]["code"])["enum"])
    refusals = [
        client.get("/api/v1/log", params={"limit": 0}),
        client.get("/api/v1/verification/statistics"),
        client.get("/api/v1/verification/statistics", headers={"Authorization": f"Bearer {token}"}),
        client.get("/api/v1/photos/2147483647"),
        client.delete("/api/v1/log"),
    ]
    assert [r.status_code for r in refusals] == [422, 401, 403, 404, 405]
    for refused in refusals:
        body = refused.json()
        assert set(body) == set(shape["required"])
        assert set(body["error"]) == set(inner["required"])
        assert body["error"]["code"] in codes


def test_the_reference_page_lists_every_operation_and_loads_nothing_from_elsewhere(
    api: tuple[TestClient, str],
) -> None:
    """The Swagger UI page fetched its script and style from a CDN, on the origin whose login
    cookie the API accepts (and showed nothing offline)."""
    client, _ = api
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for attribute in re.findall(r'(?:src|href|action)="([^"]*)"', page.text):
        assert not attribute.startswith(("http:", "https:", "//")), attribute
    schema = client.get("/api/v1/openapi.json").json()
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                shown = f'id="{method}-{path}"'
                assert shown in page.text.replace("&#34;", '"'), (method, path)
    assert 'href="/api/v1/openapi.json"' in page.text
    assert "{&#34;error&#34;: {&#34;code&#34;" in page.text or '{"error": {"code"' in page.text
