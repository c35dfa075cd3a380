"""The OpenAPI document names every status and media type a route answers with, so that integrators (and the
schema fuzz test) can rely on it. FastAPI only knows the success and its own 422; the errors follow from
what the generated document says a route takes, not from a list kept by hand per route.

- 400 malformed JSON / over-long Idempotency-Key, 413 body too large: routes with a body or that key
- 401 a missing, invalid or revoked token, 403 not this role or department: routes that read the caller;
  401 also a failed login
- 404 unknown case or wrong tracking code: routes with a path parameter
- 409 the case's state does not allow the action, or the same Idempotency-Key is still running: actions
- 422 invalid field, 503 database or process engine unavailable: every route
- 429 too many filings, wrong tracking codes or failed logins: the public filing, tracking and login routes
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.problems import PROBLEM, TITLES

# The success bodies that are not JSON, by the path's ending.
MEDIA_TYPES = {".csv": "text/csv", ".atom": "application/atom+xml", ".ics": "text/calendar"}
LOGIN_PATH = "/api/auth/token"
THROTTLED_POSTS = frozenset({"/api/objections", "/api/complaints", LOGIN_PATH})  # filings and logins

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem", "type": "object", "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
        "state": {"type": "string", "description": "409/503: the case's state"},
        "state_label": {"type": "string"},
        "retry_after": {"type": "integer", "description": "429/503: seconds until a retry may succeed"},
    },
}


UPLOAD_PATH = "/api/attachments"
TRACK_PATH = "/api/track"  # POST: a tracking code in the body (404 wrong code, 429 too many wrong codes)


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer with, read off what the generated document says it takes
    (body, headers, path parameters, a bearer token), so nothing is listed by hand per route."""
    params = operation.get("parameters", [])
    headers = {p["name"] for p in params if p.get("in") == "header"}
    statuses = {422, 503}
    if "requestBody" in operation or "Idempotency-Key" in headers:
        statuses |= {400, 413}
    if operation.get("security"):  # a token is read: missing/invalid/revoked → 401, wrong role or department → 403
        statuses |= {401, 403}
    if path == LOGIN_PATH:  # a wrong user name or password
        statuses.add(401)
    if any(p.get("in") == "path" for p in params) or path == TRACK_PATH:  # the code in the body
        statuses.add(404)
    if "Idempotency-Key" in headers:
        statuses.add(409)
    if (method == "post" and path in THROTTLED_POSTS) or "/track/" in path or path == TRACK_PATH:
        statuses.add(429)
    if method == "post" and path == UPLOAD_PATH:  # a file of a refused type; the public's hourly limit
        statuses |= {415, 429}
    if method == "post" and path.endswith("/publicity"):  # a citizen's file is never made public
        statuses.add(409)
    return statuses


def _success_media_type(path: str) -> str:
    return next((kind for ending, kind in MEDIA_TYPES.items() if path.endswith(ending)), "application/json")


def install(app: FastAPI) -> None:
    """Replace app.openapi with one that adds the problem responses and the real media types."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status, response in responses.items():
                    if status.startswith("2") and status != "204":
                        declared = response.get("content", {})
                        binary = {k: v for k, v in declared.items() if not k.endswith("json")}
                        kind = _success_media_type(path)
                        response["content"] = binary or {kind: declared.get(kind, {"schema": {}})}
                for status in sorted(error_statuses(path, method, operation)):
                    responses[str(status)] = {"description": TITLES.get(status, "错误"), "content": problem}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
