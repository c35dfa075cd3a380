"""Schemathesis generates requests from /openapi.json — valid ones and ones that break the schema — for
every operation, anonymously and with a token of each staff role; none may get a 5xx, every error is
problem+json, and every answer's status and media type are the ones the document lists for the operation."""

from __future__ import annotations

import asyncio

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

EXAMPLES = 6  # per operation, mode and caller; derandomized, so CI runs the same requests every time


def _run(operation, mode: GenerationMode, base_url: str, caller: str, headers: dict[str, str],  # type: ignore[no-untyped-def]
         failures: list[str]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        documented = operation.definition.raw.get("responses", {})
        kind = response.headers.get("content-type", [""])
        kind = (kind[0] if isinstance(kind, list) else kind).split(";")[0]
        answer = documented.get(str(response.status_code))
        if answer is None:
            failures.append(f"{case.method} {case.formatted_path} ({caller}, {mode.value}): "
                            f"undocumented status {response.status_code}")
        elif answer.get("content") and kind not in answer["content"]:
            failures.append(f"{case.method} {case.formatted_path} ({caller}, {mode.value}): "
                            f"{response.status_code} as undocumented {kind}")
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} ({caller}, {mode.value}): "
                            f"{response.status_code} {response.text[:200]}")
        elif response.status_code >= 400 and case.path.startswith("/api/"):
            if kind != "application/problem+json":
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} as {kind}")

    try:
        run()
    except Unsatisfiable:  # nothing to break: an operation without parameters or body
        pass


def fuzz(base_url: str, callers: dict[str, dict[str, str]]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    # logout revokes the caller's token: fuzz it last, so every other operation runs signed in
    operations = sorted((r.ok() for r in schema.get_all_operations()), key=lambda op: op.path == "/api/auth/logout")
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for caller, headers in callers.items():
                _run(operation, mode, base_url, caller, headers, failures)
    return failures


async def test_no_generated_request_gets_a_server_error(site, tokens) -> None:
    callers = {"public": {}, "credit_office": tokens["xyb"], "department": tokens["fgw"],
               "supervisor": tokens["ducha"], "admin": tokens["admin"]}
    failures = await asyncio.to_thread(fuzz, site, callers)  # the loop keeps serving the app and the worker
    assert not failures, "\n".join(sorted(set(failures))[:40])
