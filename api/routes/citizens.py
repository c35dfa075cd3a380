"""Objection and complaint endpoints (../shared/spec/api.md): citizens file and track with a code; staff act through
workflow Updates."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from temporalio.client import Client

from api import ratelimit
from api.auth import CurrentActor
from api.authorize import authorize
from api.deps import ClientDep, SessionDep
from api.idempotency import idempotent
from api.problems import Problem, field_error
from api.schemas.citizens import (
    ComplaintFiled,
    ComplaintListItem,
    ComplaintStaffView,
    ComplaintStatus,
    ObjectionFiled,
    ObjectionListItem,
    ObjectionStaffView,
    ObjectionStatus,
    TrackedCase,
)
from api.schemas.common import Page
from api.services.citizen import ComplaintIn, ObjectionIn, code_mail_task, file_complaint, file_objection, find_by_code
from api.temporal_errors import send_update
from api.validation import CaseId, LongText, Reason, Title
from domain.complaint import COMPLAINT_RULES, ComplaintAction
from domain.messages import (
    AcceptanceIn,
    Actor,
    ComplaintView,
    FeedbackIn,
    FindingIn,
    ObjectionDecisionIn,
    ObjectionView,
    ResponseIn,
    ReviewIn,
    SupplementIn,
    TriageIn,
    WithdrawalIn,
)
from domain.objection import OBJECTION_RULES, ObjectionAction
from store.models import Complaint, Department, Objection
from workflows.complaint import ComplaintWorkflow
from workflows.objection import ObjectionWorkflow

router = APIRouter(tags=["objections & complaints"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


class SupplementBody(BaseModel):
    material: LongText  # type: ignore[valid-type]


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


class ReviewBody(BaseModel):
    substantiated: bool
    reason: Reason  # type: ignore[valid-type]
    severity: Literal["minor", "general", "serious"] = "general"


def _by_code(request: Request, session: Session, model: type[Objection] | type[Complaint], code: str):  # type: ignore[no-untyped-def]
    """404 for a wrong code (never revealing existence); too many wrong codes from one client → 429.
    Only wrong codes count, and a valid code is always answered: a citizen behind the same address as a
    guesser still reads their own case (guessing stays hopeless: 120-bit codes)."""
    row = find_by_code(session, model, code)
    if row is None:
        ratelimit.check(request, ratelimit.TRACKING_MISS)
        ratelimit.hit(request, ratelimit.TRACKING_MISS)
        raise Problem(404, "查询码无效")
    return row


class TrackBody(BaseModel):
    code: str = Field(min_length=1, max_length=100, description="查询码，大小写和短横线、空格均可")


@router.post("/api/track", response_model=TrackedCase)
def track_by_body(request: Request, body: TrackBody, session: SessionDep) -> ObjectionStatus | ComplaintStatus:
    """Status of the objection or complaint of a tracking code sent in the body, so that it never appears in a
    URL (access logs, Referer). Same answer as the GET …/track/{tracking_code} endpoints, with `kind`."""
    objection = find_by_code(session, Objection, body.code)
    if objection is not None:
        return ObjectionStatus.build(session, objection)  # type: ignore[arg-type]
    return ComplaintStatus.build(session, _by_code(request, session, Complaint, body.code))


# --- objections ----------------------------------------------------------------------------------------


async def _file_publicly(request: Request, body: Any, key: str | None, file: Any) -> Any:
    """A public filing: one rate-limit slot, idempotent per client and key — a replay of a stored answer
    takes no slot. A filing with an e-mail address mails the code once, after the answer (api/services/code_mail.py)."""
    filed: dict[str, Any] = {}

    async def create() -> tuple[int, Any]:
        filed.update(await file())
        return 201, filed

    response = await idempotent(key, f"public:{ratelimit.client_key(request)}", body.model_dump(), create,
                                admit=lambda: ratelimit.take(request, ratelimit.SUBMISSION))
    if (task := code_mail_task(body, filed)) is not None:
        response.background = task
    return response


def _for_staff(session: Session, model: type[Objection] | type[Complaint], case_id: int, actor: Actor,
               what: str) -> Any:
    """The case, if this staff member may see it: a department only its own department's."""
    row = cast(Objection | Complaint | None, session.get(model, case_id))
    if row is None:
        raise Problem(404, f"{what} {case_id} 不存在")
    if actor.role == "department" and actor.department != row.department_code:
        raise Problem(403, f"不能查看或办理其他单位的{what}")
    return row


def _staff_rows(session: Session, actor: Actor, model: type[Objection] | type[Complaint], state: str | None) -> list:
    query = select(model)
    if actor.role == "department":
        query = query.where(model.department_code == actor.department)
    if state:
        query = query.where(model.state == state)
    return list(session.exec(query.order_by(col(model.id).desc())))


@router.post("/api/objections", status_code=201, response_model=ObjectionFiled)
async def create_objection(request: Request, body: ObjectionIn, session: SessionDep, client: ClientDep,
                           idempotency_key: IdemKey = None) -> Any:
    return await _file_publicly(request, body, idempotency_key, lambda: file_objection(session, client, body))


@router.get("/api/objections/track/{tracking_code}", response_model=ObjectionStatus)
def track_objection(request: Request, tracking_code: str, session: SessionDep) -> ObjectionStatus:
    return ObjectionStatus.build(session, _by_code(request, session, Objection, tracking_code))


@router.post("/api/objections/track/{tracking_code}/supplement", response_model=ObjectionView)
async def supplement(request: Request, tracking_code: str, body: SupplementBody, session: SessionDep,
                     client: ClientDep, idempotency_key: IdemKey = None) -> ObjectionView:
    row = _by_code(request, session, Objection, tracking_code)
    return await _objection_act(session, client, row, ObjectionWorkflow.supplement,
                             SupplementIn(material=body.material), idempotency_key, "applicant")


@router.post("/api/objections/track/{tracking_code}/withdrawal", response_model=ObjectionView)
async def withdraw(request: Request, tracking_code: str, body: WithdrawalBody, session: SessionDep,
                   client: ClientDep, idempotency_key: IdemKey = None) -> ObjectionView:
    row = _by_code(request, session, Objection, tracking_code)
    return await _objection_act(session, client, row, ObjectionWorkflow.withdraw,
                             WithdrawalIn(reason=body.reason), idempotency_key, "applicant")


async def _act(session: Session, client: Client, row: Objection | Complaint, update: Any, arg: Any,
               key: str | None, caller: str) -> BaseModel:
    """An action on an objection or complaint: the Update of its workflow (`objection-{id}`, `complaint-{id}`)."""
    kind = "objection" if isinstance(row, Objection) else "complaint"
    return await send_update(session, row, client.get_workflow_handle(f"{kind}-{row.id}"), update, arg, key, caller)


async def _objection_act(session: Session, client: Client, row: Objection, update: Any, arg: Any, key: str | None,
                         caller: str) -> ObjectionView:
    return ObjectionView.model_validate(await _act(session, client, row, update, arg, key, caller))


async def _complaint_act(session: Session, client: Client, row: Complaint, update: Any, arg: Any, key: str | None,
                         caller: str) -> ComplaintView:
    return ComplaintView.model_validate(await _act(session, client, row, update, arg, key, caller))


def _objection_for_staff(session: Session, objection_id: int, actor: Actor) -> Objection:
    return _for_staff(session, Objection, objection_id, actor, "异议")


@router.get("/api/objections", response_model=Page[ObjectionListItem])
def list_objections(session: SessionDep, actor: CurrentActor, state: str | None = None,
                    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                    page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> Page[ObjectionListItem]:
    rows = _staff_rows(session, actor, Objection, state)
    return Page[ObjectionListItem].of([ObjectionListItem.of(r) for r in rows], page, page_size)


# A dict for the staff pages, which read this endpoint (api/pages/staff_actions.py); FastAPI checks it
# against the model.
@router.get("/api/objections/{objection_id}", response_model=ObjectionStaffView)
def get_objection(objection_id: CaseId, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    row = _objection_for_staff(session, objection_id, actor)
    return ObjectionStaffView.build(session, row, actor.role).model_dump(mode="json")


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


# --- complaints ----------------------------------------------------------------------------------------


@router.post("/api/complaints", status_code=201, response_model=ComplaintFiled)
async def create_complaint(request: Request, body: ComplaintIn, session: SessionDep, client: ClientDep,
                           idempotency_key: IdemKey = None) -> Any:
    return await _file_publicly(request, body, idempotency_key, lambda: file_complaint(session, client, body))


@router.get("/api/complaints/track/{tracking_code}", response_model=ComplaintStatus)
def track_complaint(request: Request, tracking_code: str, session: SessionDep) -> ComplaintStatus:
    return ComplaintStatus.build(session, _by_code(request, session, Complaint, tracking_code))


@router.post("/api/complaints/track/{tracking_code}/feedback", response_model=ComplaintView)
async def feedback(request: Request, tracking_code: str, body: FeedbackBody, session: SessionDep,
                   client: ClientDep, idempotency_key: IdemKey = None) -> ComplaintView:
    row = _by_code(request, session, Complaint, tracking_code)
    return await _complaint_act(session, client, row, ComplaintWorkflow.feedback,
                             FeedbackIn(satisfied=body.satisfied, comment=body.comment), idempotency_key,
                             "complainant")


def _complaint_for_staff(session: Session, complaint_id: int, actor: Actor) -> Complaint:
    return _for_staff(session, Complaint, complaint_id, actor, "投诉")


@router.get("/api/complaints", response_model=Page[ComplaintListItem])
def list_complaints(session: SessionDep, actor: CurrentActor, state: str | None = None,
                    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                    page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> Page[ComplaintListItem]:
    rows = _staff_rows(session, actor, Complaint, state)
    return Page[ComplaintListItem].of([ComplaintListItem.of(r) for r in rows], page, page_size)


# A dict for the staff pages, which read this endpoint (api/pages/staff_actions.py); FastAPI checks it
# against the model.
@router.get("/api/complaints/{complaint_id}", response_model=ComplaintStaffView)
def get_complaint(complaint_id: CaseId, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    row = _complaint_for_staff(session, complaint_id, actor)
    return ComplaintStaffView.build(session, row, actor.role).model_dump(mode="json")


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
    return await _complaint_act(session, client, row, ComplaintWorkflow.respond,
                             ResponseIn(actor=actor, response=body.response, evidence=body.evidence),
                             idempotency_key, actor.username)


@router.post("/api/complaints/{complaint_id}/review", response_model=ComplaintView)
async def review(complaint_id: CaseId, body: ReviewBody, session: SessionDep, client: ClientDep,
                 actor: CurrentActor, idempotency_key: IdemKey = None) -> ComplaintView:
    row = _complaint_for_staff(session, complaint_id, actor)
    authorize(COMPLAINT_RULES, ComplaintAction.review, actor, row.department_code)
    return await _complaint_act(session, client, row, ComplaintWorkflow.review,
                             ReviewIn(actor=actor, substantiated=body.substantiated, reason=body.reason,
                                      severity=body.severity), idempotency_key, actor.username)
