"""Complaint endpoints (../shared/spec/api.md; the process: ../shared/spec/processes.md §5): citizens file
(named or anonymous), track and rate with a code; staff act through the workflow's Updates."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session
from temporalio.client import Client

from api.auth import CurrentActor
from api.authorize import authorize
from api.deps import ClientDep, SessionDep
from api.problems import field_error
from api.routes.citizen_cases import IdemKey, act, by_code, file_publicly, for_staff, staff_rows
from api.schemas.attachments import AttachmentIds
from api.schemas.citizens import (
    ComplaintFiled,
    ComplaintListItem,
    ComplaintStaffView,
    ComplaintStatus,
)
from api.schemas.common import Page
from api.services.attachments import claim, listed
from api.services.citizen import ComplaintIn, file_complaint
from api.validation import CaseId, LongText, Reason, Title
from domain.complaint import COMPLAINT_RULES, ComplaintAction
from domain.messages import (
    Actor,
    ComplaintView,
    FeedbackIn,
    ResponseIn,
    ReviewIn,
    TriageIn,
)
from store.models import Complaint, Department
from workflows.complaint import ComplaintWorkflow

router = APIRouter(tags=["objections & complaints"])


class FeedbackBody(BaseModel):
    satisfied: bool
    comment: Reason = ""  # type: ignore[valid-type]


class TriageBody(BaseModel):
    dismiss: bool = False
    department: str | None = Field(default=None, max_length=32)
    reason: Reason = ""  # type: ignore[valid-type]


class ResponseBody(BaseModel):
    response: LongText  # type: ignore[valid-type]
    evidence: list[Title] = Field(default_factory=list, max_length=20)  # type: ignore[valid-type]
    attachments: AttachmentIds = []


class ReviewBody(BaseModel):
    substantiated: bool
    reason: Reason  # type: ignore[valid-type]
    severity: Literal["minor", "general", "serious"] = "general"




async def _complaint_act(session: Session, client: Client, row: Complaint, update: Any, arg: Any, key: str | None,
                         caller: str) -> ComplaintView:
    return ComplaintView.model_validate(await act(session, client, row, update, arg, key, caller))





@router.post("/api/complaints", status_code=201, response_model=ComplaintFiled)
async def create_complaint(request: Request, body: ComplaintIn, session: SessionDep, client: ClientDep,
                           idempotency_key: IdemKey = None) -> Any:
    return await file_publicly(request, body, idempotency_key, lambda: file_complaint(session, client, body))


@router.get("/api/complaints/track/{tracking_code}", response_model=ComplaintStatus)
def track_complaint(request: Request, tracking_code: str, session: SessionDep) -> ComplaintStatus:
    return ComplaintStatus.build(session, by_code(request, session, Complaint, tracking_code))


@router.post("/api/complaints/track/{tracking_code}/feedback", response_model=ComplaintView)
async def feedback(request: Request, tracking_code: str, body: FeedbackBody, session: SessionDep,
                   client: ClientDep, idempotency_key: IdemKey = None) -> ComplaintView:
    row = by_code(request, session, Complaint, tracking_code)
    return await _complaint_act(session, client, row, ComplaintWorkflow.feedback,
                             FeedbackIn(satisfied=body.satisfied, comment=body.comment), idempotency_key,
                             "complainant")


def _complaint_for_staff(session: Session, complaint_id: int, actor: Actor) -> Complaint:
    return for_staff(session, Complaint, complaint_id, actor, "投诉")


@router.get("/api/complaints", response_model=Page[ComplaintListItem])
def list_complaints(session: SessionDep, actor: CurrentActor, state: str | None = None,
                    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                    page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> Page[ComplaintListItem]:
    rows = staff_rows(session, actor, Complaint, state)
    return Page[ComplaintListItem].of([ComplaintListItem.of(r) for r in rows], page, page_size)


# A dict for the staff pages, which read this endpoint (api/pages/staff_actions.py); FastAPI checks it
# against the model.
@router.get("/api/complaints/{complaint_id}", response_model=ComplaintStaffView)
def get_complaint(complaint_id: CaseId, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    row = _complaint_for_staff(session, complaint_id, actor)
    return {**ComplaintStaffView.build(session, row, actor.role).model_dump(mode="json"),
            "attachments": listed(session, "complaint", complaint_id, actor)}


@router.post("/api/complaints/{complaint_id}/triage", response_model=ComplaintView)
async def triage(complaint_id: CaseId, body: TriageBody, session: SessionDep, client: ClientDep,
                 actor: CurrentActor, idempotency_key: IdemKey = None) -> ComplaintView:
    row = _complaint_for_staff(session, complaint_id, actor)
    authorize(COMPLAINT_RULES, ComplaintAction.triage, actor, row.department_code)
    if body.department and session.get(Department, body.department) is None:
        raise field_error("department", f"单位 {body.department} 不存在")
    return await _complaint_act(session, client, row, ComplaintWorkflow.triage,
                             TriageIn(actor=actor, dismiss=body.dismiss, department=body.department,
                                      reason=body.reason),
                             idempotency_key, actor.username)


@router.post("/api/complaints/{complaint_id}/response", response_model=ComplaintView)
async def respond(complaint_id: CaseId, body: ResponseBody, session: SessionDep, client: ClientDep,
                  actor: CurrentActor, idempotency_key: IdemKey = None) -> ComplaintView:
    row = _complaint_for_staff(session, complaint_id, actor)
    authorize(COMPLAINT_RULES, ComplaintAction.respond, actor, row.department_code)
    files = claim(session, body.attachments, actor, case_type="complaint", case_id=complaint_id, step="responded")
    return await _complaint_act(session, client, row, ComplaintWorkflow.respond,
                             ResponseIn(actor=actor, response=body.response, evidence=body.evidence,
                                        attachments=files),
                             idempotency_key, actor.username)


@router.post("/api/complaints/{complaint_id}/review", response_model=ComplaintView)
async def review(complaint_id: CaseId, body: ReviewBody, session: SessionDep, client: ClientDep,
                 actor: CurrentActor, idempotency_key: IdemKey = None) -> ComplaintView:
    row = _complaint_for_staff(session, complaint_id, actor)
    authorize(COMPLAINT_RULES, ComplaintAction.review, actor, row.department_code)
    return await _complaint_act(session, client, row, ComplaintWorkflow.review,
                             ReviewIn(actor=actor, substantiated=body.substantiated, reason=body.reason,
                                      severity=body.severity), idempotency_key, actor.username)
