"""Suggestion and proposal endpoints (建议提案办理, domain/motion.py): the coordinator registers, the lead unit
and co-units act through the Updates of `motion-{id}`, each asked first of `MOTION_RULES` (403 without a round
trip); the public reads only the replies the coordinator made public, never a deputy's contact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from temporalio.client import Client

from api.auth import CurrentActor, OptionalActor
from api.authorize import authorize_create
from api.deps import ClientDep, SessionDep
from api.idempotency import idempotent
from api.problems import Problem, field_error
from api.queries import department_names
from api.routes.citizen_cases import IdemKey
from api.schemas.common import Page
from api.schemas.motions import MotionCreated, MotionListItem, MotionPublicReply, MotionStaffView
from api.services.motion import insert_motion, start_motion, workflow_id
from api.temporal_errors import send_update
from api.validation import CaseId, LongText, Name, Reason, Title
from domain.capabilities import Capability, may
from domain.messages import (
    Actor,
    ApprovalIn,
    DraftIn,
    MotionExtensionIn,
    MotionFeedbackIn,
    MotionPublishIn,
    MotionView,
    OpinionIn,
    ReassignIn,
    ReassignmentRequestIn,
)
from domain.motion import MOTION_RULES, MotionAction, MotionState, authorize
from store.models import Department, Motion
from workflows.motion import MotionWorkflow

router = APIRouter(tags=["suggestions & proposals"])

Code = Annotated[str, Field(min_length=1, max_length=32)]


class MotionCreate(BaseModel):
    kind: Literal["deputy_session", "deputy_interim", "member_proposal"]  # domain.motion.MOTION_KINDS
    number: Annotated[str, Field(min_length=1, max_length=64)]
    title: Title  # type: ignore[valid-type]
    content: LongText  # type: ignore[valid-type]
    deputy_name: Name  # type: ignore[valid-type]
    deputy_contact: Annotated[str | None, Field(max_length=254)] = None
    lead_department: Code
    co_departments: list[Code] = Field(default_factory=list, max_length=20)


class ReasonBody(BaseModel):
    reason: Reason  # type: ignore[valid-type]


class ReassignBody(BaseModel):
    department: Code | None = None  # None declines the request
    reason: Reason = ""  # type: ignore[valid-type]


class OpinionBody(BaseModel):
    opinion: LongText  # type: ignore[valid-type]


class DraftBody(BaseModel):
    reply: LongText  # type: ignore[valid-type]
    result_class: Literal["A", "B", "C", "D"]
    promise: Reason | None = None  # type: ignore[valid-type]
    promise_due: date | None = None


class ApprovalBody(BaseModel):
    leader: Name  # type: ignore[valid-type]


class FeedbackBody(BaseModel):
    feedback: Literal["satisfied", "basically_satisfied", "dissatisfied"]
    comment: Reason = ""  # type: ignore[valid-type]


def may_read(actor: Actor, row: Motion) -> bool:
    """The offices read every motion; a unit only the motions it leads or co-handles."""
    if may(actor.role, Capability.read_all_motions):
        return True
    return actor.role == "department" and actor.department is not None and (
        actor.department == row.department_code or actor.department in (row.co_departments or []))


def _for_staff(session: Session, motion_id: int, actor: Actor) -> Motion:
    row = session.get(Motion, motion_id)
    if row is None:
        raise Problem(404, f"建议提案 {motion_id} 不存在")
    if not may_read(actor, row):
        raise Problem(403, "不能查看或办理其他单位的建议提案")
    return row


def _department_name(session: Session, code: str | None) -> str | None:
    dept = session.get(Department, code) if code else None
    return dept.name if dept else None


def _check_department(session: Session, field: str, code: str) -> None:
    if session.get(Department, code) is None:
        raise field_error(field, f"单位 {code} 不存在")


@router.post("/api/motions", status_code=201, response_model=MotionCreated)
async def create_motion(body: MotionCreate, actor: CurrentActor, session: SessionDep, client: ClientDep,
                        idempotency_key: IdemKey = None) -> Any:
    authorize_create(MOTION_RULES, actor, body.lead_department)
    _check_department(session, "lead_department", body.lead_department)
    for code in body.co_departments:
        _check_department(session, "co_departments", code)
    if body.lead_department in body.co_departments or len(set(body.co_departments)) < len(body.co_departments):
        raise field_error("co_departments", "会办单位不能重复，也不能是主办单位")

    async def create() -> tuple[int, Any]:
        row, start = insert_motion(
            session, kind=body.kind, number=body.number, title=body.title, content=body.content,
            deputy_name=body.deputy_name, deputy_contact=body.deputy_contact, department=body.lead_department,
            co_departments=body.co_departments, actor=actor, now=datetime.now(UTC))
        session.commit()
        try:
            await start_motion(client, start)
        except Exception:
            session.delete(row)
            session.commit()
            raise Problem(503, "流程引擎暂不可用，建议提案未登记，请稍后重试") from None
        return 201, MotionCreated(id=start.motion_id, number=body.number, title=body.title, kind=body.kind,
                                  state=MotionState.assigned, department=body.lead_department,
                                  co_departments=body.co_departments, url=f"/api/motions/{start.motion_id}")

    return await idempotent(idempotency_key, actor.username, body.model_dump(mode="json"), create)


@router.get("/api/motions", response_model=Page[MotionListItem] | Page[MotionPublicReply])
def list_motions(session: SessionDep, actor: OptionalActor, state: str | None = None,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                 page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> Any:
    """Anonymous: the public replies (建议提案复文). With a token: the motions this staff member may read."""
    names = department_names(session)
    if actor is None:
        public = select(Motion).where(col(Motion.reply_public).is_(True)).order_by(col(Motion.id).desc())
        return Page[MotionPublicReply].of([MotionPublicReply.of(r, names) for r in session.exec(public)],
                                          page, page_size)
    query = select(Motion)
    if state:
        query = query.where(Motion.state == state)
    rows = [r for r in session.exec(query.order_by(col(Motion.id).desc())) if may_read(actor, r)]
    return Page[MotionListItem].of([MotionListItem.of(r, names) for r in rows], page, page_size)


# A dict for the staff pages, which read this endpoint (api/pages/staff_actions.py); FastAPI checks it
# against the model.
@router.get("/api/motions/{motion_id}", response_model=MotionStaffView)
def get_motion(motion_id: CaseId, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    row = _for_staff(session, motion_id, actor)
    view = MotionStaffView.build(session, row, department_names(session),
                                 may(actor.role, Capability.read_deputy_contact))
    return view.model_dump(mode="json")


async def _act(session: Session, client: Client, motion_id: int, actor: Actor, action: MotionAction, update: Any,
               arg: Any, key: str | None) -> MotionView:
    row = _for_staff(session, motion_id, actor)
    refused = authorize(action, actor.role, actor.department, row.department_code, list(row.co_departments or []))
    if refused is not None:
        raise Problem(403, refused.message)
    handle = client.get_workflow_handle(workflow_id(motion_id))
    return MotionView.model_validate(await send_update(session, row, handle, update, arg, key, actor.username))


@router.post("/api/motions/{motion_id}/request_reassignment", response_model=MotionView)
async def request_reassignment(motion_id: CaseId, body: ReasonBody, session: SessionDep, client: ClientDep,
                               actor: CurrentActor, idempotency_key: IdemKey = None) -> MotionView:
    return await _act(session, client, motion_id, actor, MotionAction.request_reassignment,
                      MotionWorkflow.request_reassignment, ReassignmentRequestIn(actor=actor, reason=body.reason),
                      idempotency_key)


@router.post("/api/motions/{motion_id}/reassign", response_model=MotionView)
async def reassign(motion_id: CaseId, body: ReassignBody, session: SessionDep, client: ClientDep,
                   actor: CurrentActor, idempotency_key: IdemKey = None) -> MotionView:
    if body.department:
        _check_department(session, "department", body.department)
    return await _act(session, client, motion_id, actor, MotionAction.reassign, MotionWorkflow.reassign,
                      ReassignIn(actor=actor, department=body.department or None, reason=body.reason,
                                 department_name=_department_name(session, body.department)),
                      idempotency_key)


@router.post("/api/motions/{motion_id}/send_opinion", response_model=MotionView)
async def send_opinion(motion_id: CaseId, body: OpinionBody, session: SessionDep, client: ClientDep,
                       actor: CurrentActor, idempotency_key: IdemKey = None) -> MotionView:
    return await _act(session, client, motion_id, actor, MotionAction.send_opinion, MotionWorkflow.send_opinion,
                      OpinionIn(actor=actor, opinion=body.opinion), idempotency_key)


@router.post("/api/motions/{motion_id}/draft_reply", response_model=MotionView)
async def draft_reply(motion_id: CaseId, body: DraftBody, session: SessionDep, client: ClientDep,
                      actor: CurrentActor, idempotency_key: IdemKey = None) -> MotionView:
    return await _act(session, client, motion_id, actor, MotionAction.draft_reply, MotionWorkflow.draft_reply,
                      DraftIn(actor=actor, reply=body.reply, result_class=body.result_class,
                              promise=body.promise or None, promise_due=body.promise_due),
                      idempotency_key)


@router.post("/api/motions/{motion_id}/approve_reply", response_model=MotionView)
async def approve_reply(motion_id: CaseId, body: ApprovalBody, session: SessionDep, client: ClientDep,
                        actor: CurrentActor, idempotency_key: IdemKey = None) -> MotionView:
    return await _act(session, client, motion_id, actor, MotionAction.approve_reply, MotionWorkflow.approve_reply,
                      ApprovalIn(actor=actor, leader=body.leader), idempotency_key)


@router.post("/api/motions/{motion_id}/extend", response_model=MotionView)
async def extend(motion_id: CaseId, body: ReasonBody, session: SessionDep, client: ClientDep,
                 actor: CurrentActor, idempotency_key: IdemKey = None) -> MotionView:
    return await _act(session, client, motion_id, actor, MotionAction.extend, MotionWorkflow.extend,
                      MotionExtensionIn(actor=actor, reason=body.reason), idempotency_key)


@router.post("/api/motions/{motion_id}/record_feedback", response_model=MotionView)
async def record_feedback(motion_id: CaseId, body: FeedbackBody, session: SessionDep, client: ClientDep,
                          actor: CurrentActor, idempotency_key: IdemKey = None) -> MotionView:
    return await _act(session, client, motion_id, actor, MotionAction.record_feedback,
                      MotionWorkflow.record_feedback,
                      MotionFeedbackIn(actor=actor, feedback=body.feedback, comment=body.comment), idempotency_key)


@router.post("/api/motions/{motion_id}/publish_reply", response_model=MotionView)
async def publish_reply(motion_id: CaseId, session: SessionDep, client: ClientDep, actor: CurrentActor,
                        idempotency_key: IdemKey = None) -> MotionView:
    return await _act(session, client, motion_id, actor, MotionAction.publish_reply, MotionWorkflow.publish_reply,
                      MotionPublishIn(actor=actor), idempotency_key)
