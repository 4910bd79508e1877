"""The OpenAPI schema says the errors as the API sends them.

FastAPI describes a refused request as ``{"detail": [...]}`` (``HTTPValidationError``), a
shape this API never answers with: every error is ``{"error": {"code", "message",
"details"}}`` (``rekap.web.errors``). Here each operation's 422 is given that shape, and a
``default`` answer says that every other refusal or failure has it too.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI

from rekap.web.errors import STATUS_OF_CODE

ERROR_SCHEMA = "Error"
OTHER_CODES = ("method_not_allowed", "http_error")
"""Codes answered besides those of ``STATUS_OF_CODE``: a method the route does not take,
another refusal by the HTTP layer."""
FASTAPI_SHAPES = ("HTTPValidationError", "ValidationError")


def error_schema() -> dict[str, Any]:
    return {
        "title": ERROR_SCHEMA,
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": sorted({*STATUS_OF_CODE, *OTHER_CODES}),
                        "description": "Stable; the HTTP status follows from it.",
                    },
                    "message": {"type": "string", "description": "In words, for people."},
                    "details": {
                        "type": "object",
                        "additionalProperties": True,
                        "description": "What the code needs said: `problems` (each `where` "
                        "and `problem`) of invalid input, `retry_after_s` of a limit or of a "
                        "store away, `reason` of a refused photo.",
                    },
                },
            }
        },
    }


def _answer(description: str) -> dict[str, Any]:
    reference = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    return {"description": description, "content": {"application/json": {"schema": reference}}}


def with_error_shape(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` whose operations describe their errors as they are sent."""
    described = copy.deepcopy(schema)
    for item in described.get("paths", {}).values():
        for operation in item.values():
            answers = operation.setdefault("responses", {})
            if "422" in answers:
                answers["422"] = _answer("Invalid input: `invalid_input`, `details.problems`.")
            answers["default"] = _answer(
                "Any other refusal or failure (401, 403, 404, 409, 413, 429, 503, …), "
                "in the same shape."
            )
    schemas = described.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_SHAPES:
        schemas.pop(name, None)
    schemas[ERROR_SCHEMA] = error_schema()
    return described


def describe_errors(app: FastAPI) -> None:
    """Serve ``with_error_shape`` of the schema FastAPI builds (built once, on first ask)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_error_shape(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
