"""Every JSON answer of the API is described in /openapi.json: a route without a response model (a free-form
`dict[str, Any]`, or nothing) fails here. CSV, Atom and iCal answers and 204s are exempt by their media type."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from api import openapi_doc
from api.schemas.reports import ReportRow
from domain.report import COUNTS, RATES


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _described(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """A `$ref` to an object with typed properties, typed properties inline, or a choice of such."""
    if "$ref" in schema:
        return _described(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    choices = schema.get("anyOf") or schema.get("oneOf")
    if choices:
        return all(_described(c, components) for c in choices)
    properties = schema.get("properties") or {}
    return schema.get("type") == "object" and bool(properties) and all(p for p in properties.values())


def undescribed(doc: dict[str, Any]) -> tuple[list[str], int]:
    """The 2xx JSON answers without a real schema, and how many JSON answers were checked."""
    components = doc.get("components", {}).get("schemas", {})
    missing, checked = [], 0
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                for media_type, content in response.get("content", {}).items():
                    if not _is_json(media_type):
                        continue
                    checked += 1
                    if not _described(content.get("schema", {}), components):
                        missing.append(f"{method.upper()} {path} {status} {media_type}")
    return missing, checked


async def test_every_json_answer_has_a_schema(api: httpx.AsyncClient) -> None:
    doc = (await api.get("/openapi.json")).json()
    missing, checked = undescribed(doc)
    assert not missing, "JSON answers without a response model:\n" + "\n".join(missing)
    assert checked >= 60  # every JSON route of the API was looked at, not none
    track = doc["paths"]["/api/track"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert track["discriminator"]["propertyName"] == "kind"  # objection or complaint, by `kind`
    detail = doc["components"]["schemas"]["CommitmentDetail"]
    assert detail["properties"]["deadlines"]["items"] == {"$ref": "#/components/schemas/Deadline"}
    assert {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}.items() <= \
        detail["properties"]["published_at"].items()  # nullable fields stay nullable


def test_a_route_without_a_response_model_is_reported() -> None:
    """The check above can fail: a free-form body and an untyped one are both caught, a CSV is not."""
    app = FastAPI()

    @app.get("/api/free")
    def free() -> dict[str, Any]:
        return {}

    @app.get("/api/untyped")
    def untyped():  # type: ignore[no-untyped-def]
        return {}

    @app.get("/api/export.csv")
    def export() -> str:
        return ""

    openapi_doc.install(app)
    missing, checked = undescribed(app.openapi())
    assert missing == ["GET /api/free 200 application/json", "GET /api/untyped 200 application/json"]
    assert checked == 2


def test_report_rows_keep_every_figure_in_order() -> None:
    """The league table's model lists every figure domain.report computes, so none is dropped from the answer."""
    assert list(ReportRow.model_fields) == ["rank", "department", "name", *COUNTS, *RATES, "score"]
