"""The API's reference as a page of rekap's own (``/api/v1/docs``), read from its OpenAPI
schema: every operation with its parameters, body and answers, readable without a script.

FastAPI's Swagger UI fetched its script and style from a CDN: a blank page offline, and a
third party's script on the origin whose login cookie the API accepts. This page, like the
portal's, loads nothing from elsewhere; ``/api/v1/openapi.json`` is there for any viewer.
Like the schema itself it declares no access rule and looks at no token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from rekap.web.portal.rendering import render

PATH = "/api/v1/docs"
METHODS = ("get", "put", "post", "delete", "patch")
RULES = (
    ("minimum", "≥ {}"),
    ("maximum", "≤ {}"),
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("minItems", "at least {} items"),
    ("maxItems", "at most {} items"),
    ("pattern", "matches {}"),
)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    where: str
    type: str
    required: bool
    rules: str
    description: str


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    fields: tuple[Field, ...]
    body: str
    answers: tuple[tuple[str, str], ...]

    @property
    def anchor(self) -> str:
        return f"{self.method}-{self.path}"


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while "$ref" in node and seen < 10:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        node = schema.get("components", {}).get("schemas", {}).get(name, {})
        seen += 1
    return node


def _type(schema: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    node = _resolve(schema, node)
    if "enum" in node:
        return " | ".join(str(v) for v in node["enum"])
    if "anyOf" in node:
        return " | ".join(_type(schema, n) for n in node["anyOf"])
    kind = str(node.get("type", "object"))
    if kind == "array":
        return f"array of {_type(schema, node.get('items', {}))}"
    if kind == "string" and "format" in node:
        return f"string ({node['format']})"
    return kind


def _rules(node: Mapping[str, Any]) -> str:
    said = [text.format(node[key]) for key, text in RULES if key in node]
    if "default" in node:
        said.append(f"default {json.dumps(node['default'], ensure_ascii=False)}")
    return ", ".join(said)


def _parameters(schema: Mapping[str, Any], operation: Mapping[str, Any]) -> list[Field]:
    found = []
    for parameter in operation.get("parameters", ()):
        node = _resolve(schema, parameter.get("schema", {}))
        found.append(
            Field(
                parameter["name"],
                parameter.get("in", ""),
                _type(schema, node),
                bool(parameter.get("required", False)),
                _rules(node),
                str(parameter.get("description") or node.get("description") or ""),
            )
        )
    return found


def _body(schema: Mapping[str, Any], operation: Mapping[str, Any]) -> tuple[str, list[Field]]:
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return "", []
    media, described = next(iter(content.items()))
    node = _resolve(schema, described.get("schema", {}))
    required = set(node.get("required", ()))
    fields = [
        Field(
            name,
            "body",
            _type(schema, prop),
            name in required,
            _rules(_resolve(schema, prop)),
            str(_resolve(schema, prop).get("description", "")),
        )
        for name, prop in node.get("properties", {}).items()
    ]
    return str(media), fields


def operations(schema: Mapping[str, Any]) -> list[Operation]:
    """Every operation of an OpenAPI schema, in its order."""
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            media, body = _body(schema, operation)
            answers = tuple(
                (status, str(answer.get("description", "")))
                for status, answer in operation.get("responses", {}).items()
            )
            found.append(
                Operation(
                    method,
                    path,
                    str(operation.get("summary", "")),
                    str(operation.get("description", "")),
                    (*_parameters(schema, operation), *body),
                    media,
                    answers,
                )
            )
    return found


def install(app: FastAPI) -> None:
    async def reference(request: Request) -> Response:
        context = {"title": "API", "operations": operations(app.openapi())}
        return render(request, "api_reference.html", context, cache="no-cache")

    app.add_route(PATH, reference, methods=["GET"], include_in_schema=False)
