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
from api.problems import Problem, message_zh
from api.routes.citizens import FeedbackBody, SupplementBody
from api.temporal_errors import send_update
from domain.messages import FeedbackIn, SupplementIn, WithdrawalIn
from domain.objection import COMPLAINT_TOPICS
from workflows.complaint import ComplaintWorkflow
from workflows.objection import ObjectionWorkflow

router = APIRouter(include_in_schema=False)


def _clean(form: dict[str, Any]) -> dict[str, Any]:
    """Empty optional fields mean 'not given'."""
    return {k: v for k, v in form.items() if isinstance(v, str) and v.strip() != ""}


def field_messages(exc: ValidationError) -> dict[str, str]:
    """Chinese messages keyed by the form field (the first part of the error's location)."""
    out: dict[str, str] = {}
    for e in exc.errors():
        loc = e.get("loc", ())
        out.setdefault(str(loc[0]) if loc else "form", message_zh(dict(e)))
    return out


def form_errors(err: ValidationError | Problem, names: set[str] | None = None) -> dict[str, str]:
    """A refusal as messages by form field. With `names`, anything not about one of them goes to "form"
    (shown at the top of the form)."""
    if isinstance(err, ValidationError):
        found = field_messages(err)
    else:
        found = {str(e["field"]).split(".")[0]: e["message"] for e in (err.errors or [])} or {"form": err.detail}
    if names is None:
        return found
    out = {k: v for k, v in found.items() if k in names}
    general = [v for k, v in found.items() if k not in names]
    if general:
        out["form"] = "；".join(general)
    return out


async def _submit(request: Request, model: type[BaseModel], template: str, ctx: dict[str, Any],
                  file: Any) -> HTMLResponse:
    form = dict(await request.form())
    try:
        body = model.model_validate(_clean(form))
        ratelimit.take(request, ratelimit.SUBMISSION)
        result = await file(body)
    except (ValidationError, Problem) as err:
        status = err.status if isinstance(err, Problem) else 422
        return templates.TemplateResponse(request, template, {**ctx, "form": form, "errors": form_errors(err)},
                                          status_code=status)
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
    """The case of a valid code (always answered); a wrong code counts against the client's limit."""
    objection = find_by_code(session, Objection, code)
    if objection is not None:
        return objection_status(session, objection)  # type: ignore[arg-type]
    complaint = find_by_code(session, Complaint, code)
    if complaint is not None:
        return complaint_status(session, complaint)  # type: ignore[arg-type]
    ratelimit.check(request, ratelimit.TRACKING_MISS)
    ratelimit.hit(request, ratelimit.TRACKING_MISS)
    return None


async def _track_action(session: SessionDep, client: ClientDep, status: dict[str, Any], action: str,
                        form: Any) -> None:
    """The applicant's own steps, by code: rate a complaint, withdraw or supplement an objection."""
    row = session.get(Complaint if status["kind"] == "complaint" else Objection, status["id"])
    handle = client.get_workflow_handle(f"{status['kind']}-{status['id']}")
    if action in ("satisfied", "dissatisfied") and status["kind"] == "complaint":
        rating = FeedbackBody(satisfied=action == "satisfied", comment=str(form.get("comment", "")).strip())
        await send_update(session, row, handle, ComplaintWorkflow.feedback,
                          FeedbackIn(satisfied=rating.satisfied, comment=rating.comment), None, "complainant")
    elif action == "withdraw" and status["kind"] == "objection":
        await send_update(session, row, handle, ObjectionWorkflow.withdraw, WithdrawalIn(), None, "applicant")
    elif action == "supplement" and status["kind"] == "objection":
        material = SupplementBody(material=str(form.get("material", "")).strip())
        await send_update(session, row, handle, ObjectionWorkflow.supplement,
                          SupplementIn(material=material.material), None, "applicant")


TRACK_FIELDS = {"comment": "评价意见", "material": "补正材料"}


@router.post("/track", response_class=HTMLResponse)
async def track(request: Request, session: SessionDep, client: ClientDep) -> HTMLResponse:
    form = await request.form()
    code = str(form.get("code", "")).strip()
    action = str(form.get("action", ""))
    try:
        status = _lookup(request, session, code)
        if status is not None and action:
            try:
                await _track_action(session, client, status, action, form)
            except ValidationError as exc:
                field, message = next(iter(field_messages(exc).items()))
                raise Problem(422, f"{TRACK_FIELDS.get(field, field)}：{message}") from None
            status = _lookup(request, session, code)
    except Problem as p:
        status = _lookup(request, session, code) if p.status not in (404, 429) else None  # a refused step
        return templates.TemplateResponse(request, "pages/track.html.j2",
                                          {"status": status, "error": p.detail, "code": code if status else ""},
                                          status_code=p.status)
    if status is None:
        return templates.TemplateResponse(request, "pages/track.html.j2",
                                          {"status": None, "error": "查询码无效，请核对后重试", "code": ""},
                                          status_code=404)
    return templates.TemplateResponse(request, "pages/track.html.j2", {"status": status, "error": None, "code": code})
