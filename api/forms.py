"""Citizens' forms (no account, no JavaScript): file an objection or a complaint, track by code.

They call the same services as the JSON API; errors come back on the form in Chinese."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError
from sqlmodel import select

from activities.models import Complaint, Department, Objection
from api import ratelimit
from api.citizen_service import (
    ComplaintIn,
    ObjectionIn,
    complaint_status,
    file_complaint,
    file_objection,
    find_by_code,
    objection_status,
)
from api.deps import ClientDep, SessionDep
from api.pages import templates
from api.problems import Problem, _message
from api.temporal_errors import run_update
from domain.messages import FeedbackIn, WithdrawalIn
from domain.objection import COMPLAINT_TOPICS
from workflows.complaint import ComplaintWorkflow
from workflows.objection import ObjectionWorkflow

router = APIRouter(include_in_schema=False)


def _clean(form: dict[str, Any]) -> dict[str, Any]:
    """Empty optional fields mean 'not given'."""
    return {k: v for k, v in form.items() if isinstance(v, str) and v.strip() != ""}


def _errors(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors():
        field = ".".join(str(p) for p in e.get("loc", ())) or "form"
        out.setdefault(field, _message(dict(e)))
    return out


async def _submit(request: Request, model: type[BaseModel], template: str, ctx: dict[str, Any],
                  file: Any) -> HTMLResponse:
    form = dict(await request.form())
    try:
        body = model.model_validate(_clean(form))
        ratelimit.take(request, "submission")
        result = await file(body)
    except ValidationError as exc:
        return templates.TemplateResponse(request, template, {**ctx, "form": form, "errors": _errors(exc)},
                                          status_code=422)
    except Problem as p:
        errors = {e["field"]: e["message"] for e in (p.errors or [])} or {"form": p.detail}
        return templates.TemplateResponse(request, template, {**ctx, "form": form, "errors": errors},
                                          status_code=p.status)
    return templates.TemplateResponse(request, "pages/filed.html.j2", {"result": result, "kind": ctx["kind"]},
                                      status_code=201)


@router.get("/objections/new", response_class=HTMLResponse)
def objection_form(request: Request, target_type: str = "record", target_id: str = "") -> HTMLResponse:
    return templates.TemplateResponse(request, "pages/objection_form.html.j2", {
        "kind": "objection", "form": {"target_type": target_type, "target_id": target_id}, "errors": {}})


@router.post("/objections/new", response_class=HTMLResponse)
async def objection_submit(request: Request, session: SessionDep, client: ClientDep) -> HTMLResponse:
    return await _submit(request, ObjectionIn, "pages/objection_form.html.j2", {"kind": "objection"},
                         lambda body: file_objection(session, client, body))


@router.get("/complaints/new", response_class=HTMLResponse)
def complaint_form(request: Request, session: SessionDep, department: str = "",
                   commitment_id: str = "") -> HTMLResponse:
    return templates.TemplateResponse(request, "pages/complaint_form.html.j2", {
        "kind": "complaint", "form": {"department": department, "commitment_id": commitment_id}, "errors": {},
        "departments": {d.code: d.name for d in session.exec(select(Department))}, "topics": COMPLAINT_TOPICS})


@router.post("/complaints/new", response_class=HTMLResponse)
async def complaint_submit(request: Request, session: SessionDep, client: ClientDep) -> HTMLResponse:
    ctx = {"kind": "complaint", "departments": {d.code: d.name for d in session.exec(select(Department))},
           "topics": COMPLAINT_TOPICS}
    return await _submit(request, ComplaintIn, "pages/complaint_form.html.j2", ctx,
                         lambda body: file_complaint(session, client, body))


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "pages/track.html.j2", {"status": None, "error": None, "code": ""})


def _lookup(request: Request, session: SessionDep, code: str) -> dict[str, Any] | None:
    ratelimit.check(request, "tracking_miss")
    objection = find_by_code(session, Objection, code)
    if objection is not None:
        return objection_status(session, objection)  # type: ignore[arg-type]
    complaint = find_by_code(session, Complaint, code)
    if complaint is not None:
        return complaint_status(session, complaint)  # type: ignore[arg-type]
    ratelimit.hit(request, "tracking_miss")
    return None


@router.post("/track", response_class=HTMLResponse)
async def track(request: Request, session: SessionDep, client: ClientDep) -> HTMLResponse:
    form = await request.form()
    code = str(form.get("code", "")).strip()
    action = str(form.get("action", ""))
    try:
        status = _lookup(request, session, code)
        if status is not None and action:
            handle = client.get_workflow_handle(f"{status['kind']}-{status['id']}")
            if action in ("satisfied", "dissatisfied") and status["kind"] == "complaint":
                await run_update(handle.execute_update(ComplaintWorkflow.feedback, FeedbackIn(
                    satisfied=action == "satisfied", comment=str(form.get("comment", ""))[:2000])), status["state"])
            elif action == "withdraw" and status["kind"] == "objection":
                await run_update(handle.execute_update(ObjectionWorkflow.withdraw, WithdrawalIn()), status["state"])
            status = _lookup(request, session, code)
    except Problem as p:
        return templates.TemplateResponse(request, "pages/track.html.j2",
                                          {"status": None, "error": p.detail, "code": code}, status_code=p.status)
    if status is None:
        return templates.TemplateResponse(request, "pages/track.html.j2",
                                          {"status": None, "error": "查询码无效，请核对后重试", "code": ""},
                                          status_code=404)
    return templates.TemplateResponse(request, "pages/track.html.j2", {"status": status, "error": None, "code": code})
