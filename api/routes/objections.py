"""Objection endpoints (../shared/spec/api.md; the process: ../shared/spec/processes.md §4): citizens file and
track with a code; staff act through the workflow's Updates."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlmodel import Session
from temporalio.client import Client

from api.auth import CurrentActor
from api.authorize import authorize
from api.deps import ClientDep, SessionDep
from api.problems import field_error
from api.routes.citizen_cases import IdemKey, act, by_code, file_publicly, for_staff, staff_rows
from api.schemas.attachments import AttachmentIds
from api.schemas.citizens import (
    ObjectionFiled,
    ObjectionListItem,
    ObjectionStaffView,
    ObjectionStatus,
)
from api.schemas.common import Page
from api.services.attachments import claim, listed
from api.services.citizen import ObjectionIn, file_objection
from api.validation import CaseId, LongText, Reason
from domain.messages import (
    AcceptanceIn,
    Actor,
    FindingIn,
    ObjectionDecisionIn,
    ObjectionView,
    SupplementIn,
    WithdrawalIn,
)
from domain.objection import OBJECTION_RULES, ObjectionAction
from store.models import Objection
from workflows.objection import ObjectionWorkflow

router = APIRouter(tags=["objections & complaints"])


class SupplementBody(BaseModel):
    material: LongText  # type: ignore[valid-type]
    attachments: AttachmentIds = []


class WithdrawalBody(BaseModel):
    reason: Reason = ""  # type: ignore[valid-type]


class AcceptanceBody(BaseModel):
    accepted: bool
    needs_supplement: bool = False
    reason: Reason = ""  # type: ignore[valid-type]


class FindingBody(BaseModel):
    finding: LongText  # type: ignore[valid-type]


class DecisionBody(BaseModel):
    outcome: Literal["corrected", "revoked", "upheld"]
    reason: Reason  # type: ignore[valid-type]
    correction: Reason = ""  # type: ignore[valid-type]




async def _objection_act(session: Session, client: Client, row: Objection, update: Any, arg: Any, key: str | None,
                         caller: str) -> ObjectionView:
    return ObjectionView.model_validate(await act(session, client, row, update, arg, key, caller))



def _objection_for_staff(session: Session, objection_id: int, actor: Actor) -> Objection:
    return for_staff(session, Objection, objection_id, actor, "异议")



@router.post("/api/objections", status_code=201, response_model=ObjectionFiled)
async def create_objection(request: Request, body: ObjectionIn, session: SessionDep, client: ClientDep,
                           idempotency_key: IdemKey = None) -> Any:
    return await file_publicly(request, body, idempotency_key, lambda: file_objection(session, client, body))


@router.get("/api/objections/track/{tracking_code}", response_model=ObjectionStatus)
def track_objection(request: Request, tracking_code: str, session: SessionDep) -> ObjectionStatus:
    return ObjectionStatus.build(session, by_code(request, session, Objection, tracking_code))


@router.post("/api/objections/track/{tracking_code}/supplement", response_model=ObjectionView)
async def supplement(request: Request, tracking_code: str, body: SupplementBody, session: SessionDep,
                     client: ClientDep, idempotency_key: IdemKey = None) -> ObjectionView:
    row = by_code(request, session, Objection, tracking_code)
    files = claim(session, body.attachments, None, case_type="objection", case_id=row.id, step="supplemented")
    return await _objection_act(session, client, row, ObjectionWorkflow.supplement,
                             SupplementIn(material=body.material, attachments=files), idempotency_key, "applicant")


@router.post("/api/objections/track/{tracking_code}/withdrawal", response_model=ObjectionView)
async def withdraw(request: Request, tracking_code: str, body: WithdrawalBody, session: SessionDep,
                   client: ClientDep, idempotency_key: IdemKey = None) -> ObjectionView:
    row = by_code(request, session, Objection, tracking_code)
    return await _objection_act(session, client, row, ObjectionWorkflow.withdraw,
                             WithdrawalIn(reason=body.reason), idempotency_key, "applicant")



@router.get("/api/objections", response_model=Page[ObjectionListItem])
def list_objections(session: SessionDep, actor: CurrentActor, state: str | None = None,
                    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                    page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> Page[ObjectionListItem]:
    rows = staff_rows(session, actor, Objection, state)
    return Page[ObjectionListItem].of([ObjectionListItem.of(r) for r in rows], page, page_size)


# A dict for the staff pages, which read this endpoint (api/pages/staff_actions.py); FastAPI checks it
# against the model.
@router.get("/api/objections/{objection_id}", response_model=ObjectionStaffView)
def get_objection(objection_id: CaseId, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    row = _objection_for_staff(session, objection_id, actor)
    return {**ObjectionStaffView.build(session, row, actor.role).model_dump(mode="json"),
            "attachments": listed(session, "objection", objection_id, actor)}


@router.post("/api/objections/{objection_id}/acceptance", response_model=ObjectionView)
async def accept(objection_id: CaseId, body: AcceptanceBody, session: SessionDep, client: ClientDep,
                 actor: CurrentActor, idempotency_key: IdemKey = None) -> ObjectionView:
    row = _objection_for_staff(session, objection_id, actor)
    authorize(OBJECTION_RULES, ObjectionAction.accept, actor, row.department_code)
    return await _objection_act(session, client, row, ObjectionWorkflow.accept,
                             AcceptanceIn(actor=actor, accepted=body.accepted, needs_supplement=body.needs_supplement,
                                          reason=body.reason), idempotency_key, actor.username)


@router.post("/api/objections/{objection_id}/verification", response_model=ObjectionView)
async def verify(objection_id: CaseId, body: FindingBody, session: SessionDep, client: ClientDep,
                 actor: CurrentActor, idempotency_key: IdemKey = None) -> ObjectionView:
    row = _objection_for_staff(session, objection_id, actor)
    authorize(OBJECTION_RULES, ObjectionAction.verify, actor, row.department_code)
    return await _objection_act(session, client, row, ObjectionWorkflow.verify,
                             FindingIn(actor=actor, finding=body.finding), idempotency_key, actor.username)


@router.post("/api/objections/{objection_id}/decision", response_model=ObjectionView)
async def decide(objection_id: CaseId, body: DecisionBody, session: SessionDep, client: ClientDep,
                 actor: CurrentActor, idempotency_key: IdemKey = None) -> ObjectionView:
    row = _objection_for_staff(session, objection_id, actor)
    authorize(OBJECTION_RULES, ObjectionAction.decide, actor, row.department_code)
    if body.outcome == "corrected" and not body.correction:
        raise field_error("correction", "更正决定须写明更正内容")
    return await _objection_act(session, client, row, ObjectionWorkflow.decide,
                             ObjectionDecisionIn(actor=actor, outcome=body.outcome, reason=body.reason,
                                                 correction=body.correction),
                             idempotency_key, actor.username)
