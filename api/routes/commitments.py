"""Commitment endpoints (../shared/spec/api.md): create over SQL + idempotent workflow start; actions as Updates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import bindparam, select
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from api.auth import CurrentActor, OptionalActor
from api.authorize import authorize, authorize_create
from api.deps import ClientDep, SessionDep, list_rows
from api.idempotency import idempotent
from api.problems import Problem, field_error
from api.queries import commitment_detail, commitment_list
from api.schemas.attachments import AttachmentIds
from api.schemas.commitments import CommitmentCreated, CommitmentDetail, CommitmentSummary
from api.schemas.common import Page
from api.scope import reads_in_full
from api.services.attachments import claim, listed
from api.services.commitment import discard_unstarted, insert_commitment, start_commitment, workflow_id
from api.temporal_errors import send_update
from api.validation import CaseId, FutureDate, LongText, Name, Note, Reason, Title
from domain.commitment import KINDS, RULES, Action
from domain.messages import (
    Actor,
    AmendmentDecision,
    AmendmentRequest,
    CommitmentStart,
    CommitmentView,
    ExtensionRequest,
    FulfilmentReport,
    MilestoneDone,
    PauseRequest,
    ProgressUpdate,
    PublishRequest,
    ResumeRequest,
    VerificationDecision,
)
from store.models import Commitment, Department
from workflows.commitment import CommitmentWorkflow

router = APIRouter(prefix="/api/commitments", tags=["commitments"])

Kind = Literal[tuple(KINDS)]  # type: ignore[valid-type]


class MilestoneIn(BaseModel):
    title: Title  # type: ignore[valid-type]
    due_date: FutureDate


class CommitmentCreate(BaseModel):
    department: str | None = Field(default=None, max_length=32, description="责任单位代码（部门用户默认本单位）")
    kind: Kind  # type: ignore[valid-type]
    title: Title  # type: ignore[valid-type]
    content: LongText  # type: ignore[valid-type]
    due_date: FutureDate
    official: Name | None = None  # type: ignore[valid-type]
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=20)
    publish: bool = False

    @model_validator(mode="after")
    def _milestones_before_due(self) -> CommitmentCreate:
        for m in self.milestones:
            if m.due_date > self.due_date:
                raise ValueError("节点期限不能晚于承诺履行期限")
        return self


class FulfilmentIn(BaseModel):
    report: LongText  # type: ignore[valid-type]
    evidence: list[Title] = Field(default_factory=list, max_length=20)  # type: ignore[valid-type]
    attachments: AttachmentIds = []


class VerificationIn(BaseModel):
    accepted: bool
    reason: Reason = ""  # type: ignore[valid-type]


class AmendmentIn(BaseModel):
    """Department: request (`reason_code`, `reason`, changes or `withdraw`). Credit office: `approved`."""

    withdraw: bool = False
    reason_code: str | None = Field(default=None, max_length=40,
                                    description="national_interest | public_interest | legal_cause")
    reason: Reason = ""  # type: ignore[valid-type]
    title: Title | None = None  # type: ignore[valid-type]
    content: LongText | None = None  # type: ignore[valid-type]
    due_date: FutureDate | None = None
    approved: bool | None = None


class PauseIn(BaseModel):
    reason_code: Literal["awaiting_supplement", "inspection", "force_majeure"]
    reason: Reason  # type: ignore[valid-type]


class ExtensionIn(BaseModel):
    working_days: int = Field(ge=1, le=30)
    reason: Reason  # type: ignore[valid-type]


class MilestoneDoneIn(BaseModel):
    note: Reason = ""  # type: ignore[valid-type]
    attachments: AttachmentIds = []


class ProgressIn(BaseModel):
    """A progress note while the commitment runs: what was done, optionally how far (the department's estimate),
    and files uploaded before with POST /api/attachments."""

    text: Note  # type: ignore[valid-type]
    percent: int | None = Field(default=None, ge=0, le=100, description="自报进度（0–100，选填）")
    attachments: AttachmentIds = []


def _visible(session: Session, commitment_id: CaseId, actor: Actor | None) -> Commitment:
    row = session.get(Commitment, commitment_id)
    if row is None or (row.state == "draft" and not reads_in_full(actor, row.department_code)):
        raise Problem(404, f"承诺 {commitment_id} 不存在")
    return row


def _authorized(session: Session, commitment_id: CaseId, actor: Actor, action: Action) -> Commitment:
    """The case, if the caller may see it (404 otherwise) and take `action` on it (403 otherwise)."""
    row = _visible(session, commitment_id, actor)
    authorize(RULES, action, actor, row.department_code)
    return row


async def _update(session: Session, client: ClientDep, row: Commitment, update: Any, arg: Any,
                  key: str | None) -> CommitmentView:
    assert row.id is not None
    return CommitmentView.model_validate(await send_update(
        session, row, client.get_workflow_handle(workflow_id(row.id)), update, arg, key, arg.actor.username))


# The department's name and rule profile in one Core round trip, read afresh: a case pins the profile its
# department has at the moment it is filed.
_DEPARTMENT = select(col(Department.name), col(Department.profile)).where(
    col(Department.code) == bindparam("code"))


IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


@router.post("", status_code=201, response_model=CommitmentCreated)
async def create_commitment(body: CommitmentCreate, actor: CurrentActor, session: SessionDep, client: ClientDep,
                            idempotency_key: IdemKey = None) -> Any:
    department = body.department or actor.department
    authorize_create(RULES, actor, department)
    if not department:
        raise field_error("department", "必填")
    found = session.connection().execute(_DEPARTMENT, {"code": department}).first()
    if found is None:
        raise field_error("department", f"单位 {department} 不存在")
    dept_name, profile_name = found

    def insert() -> tuple[Commitment, CommitmentStart]:
        row, start = insert_commitment(
            session, department=department, kind=body.kind, title=body.title, content=body.content,
            due_date=body.due_date, official=body.official,
            milestones=[(m.title, m.due_date) for m in body.milestones], actor=actor, now=datetime.now(UTC),
            profile_name=profile_name)
        session.commit()
        return row, start

    async def create() -> tuple[int, Any]:
        # In a thread: on SQLite the INSERT waits for the write lock while the worker commits, and waiting in the
        # event loop froze every other request (bench/transition_shape.py, py-spy --idle: most of the API's time)
        row, start = await run_in_threadpool(insert)
        try:
            await start_commitment(client, start, body.publish)
        except Exception:
            await run_in_threadpool(discard_unstarted, session, start.commitment_id)
            raise Problem(503, "流程引擎暂不可用，承诺未登记，请稍后重试") from None
        summary = CommitmentSummary.of(row, {department: dept_name}).model_dump()
        return 201, CommitmentCreated(**{**summary, "state": "draft"}, publishing=body.publish,
                                      url=f"/api/commitments/{row.id}")

    return await idempotent(idempotency_key, actor.username, body.model_dump(mode="json"), create)


# Async on purpose: the page query and the (briefly cached) count take about a millisecond, less than the
# thread hop a sync endpoint costs under load; on PostgreSQL they run on the async read engine (api/deps.py).
@router.get("", response_model=Page[CommitmentSummary])
async def get_commitments(request: Request, actor: OptionalActor, department: str | None = None,
                          state: str | None = None, q: Annotated[str | None, Query(max_length=100)] = None,
                          page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                          page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> Response:
    rows, total = await list_rows(request, commitment_list(actor, department=department, state=state, q=q,
                                                           page=page, page_size=page_size))
    return Page[CommitmentSummary](items=[CommitmentSummary.of(r) for r in rows], total=total, page=page,
                                   page_size=page_size).json_response()


# A dict for the staff pages, which read this endpoint (api/pages/staff_actions.py); FastAPI checks it
# against the model.
@router.get("/{commitment_id}", response_model=CommitmentDetail)
def get_commitment(commitment_id: CaseId, session: SessionDep, actor: OptionalActor) -> dict[str, Any]:
    row = _visible(session, commitment_id, actor)
    detail = commitment_detail(session, row, staff=reads_in_full(actor, row.department_code))
    return {**detail, "attachments": listed(session, "commitment", commitment_id, actor)}


@router.post("/{commitment_id}/publish", response_model=CommitmentView)
async def publish(commitment_id: CaseId, actor: CurrentActor, session: SessionDep, client: ClientDep,
                  idempotency_key: IdemKey = None) -> CommitmentView:
    row = _authorized(session, commitment_id, actor, Action.publish)
    return await _update(session, client, row, CommitmentWorkflow.publish, PublishRequest(actor=actor),
                         idempotency_key)


@router.post("/{commitment_id}/fulfilment", response_model=CommitmentView)
async def report_fulfilment(commitment_id: CaseId, body: FulfilmentIn, actor: CurrentActor, session: SessionDep,
                            client: ClientDep, idempotency_key: IdemKey = None) -> CommitmentView:
    row = _authorized(session, commitment_id, actor, Action.report_fulfilment)
    files = claim(session, body.attachments, actor, case_type="commitment", case_id=commitment_id,
                  step="fulfilment_reported")
    return await _update(session, client, row, CommitmentWorkflow.report_fulfilment,
                         FulfilmentReport(actor=actor, report=body.report, evidence=body.evidence, attachments=files),
                         idempotency_key)


@router.post("/{commitment_id}/verification", response_model=CommitmentView)
async def verify(commitment_id: CaseId, body: VerificationIn, actor: CurrentActor, session: SessionDep,
                 client: ClientDep, idempotency_key: IdemKey = None) -> CommitmentView:
    row = _authorized(session, commitment_id, actor, Action.verify)
    if not body.accepted and not body.reason:
        raise field_error("reason", "核验不通过须说明理由")
    return await _update(session, client, row, CommitmentWorkflow.verify,
                         VerificationDecision(actor=actor, accepted=body.accepted, reason=body.reason),
                         idempotency_key)


@router.post("/{commitment_id}/amendment", response_model=CommitmentView)
async def amendment(commitment_id: CaseId, body: AmendmentIn, actor: CurrentActor, session: SessionDep,
                    client: ClientDep, idempotency_key: IdemKey = None) -> CommitmentView:
    if actor.role == "credit_office" and body.approved is None:
        raise field_error("approved", "信用办审批须给出 approved（true/false）")
    if body.approved is not None:
        row = _authorized(session, commitment_id, actor, Action.decide_amendment)
        return await _update(session, client, row, CommitmentWorkflow.decide_amendment,
                             AmendmentDecision(actor=actor, approved=body.approved, reason=body.reason),
                             idempotency_key)
    row = _authorized(session, commitment_id, actor, Action.request_amendment)
    if not body.reason_code:
        raise field_error("reason_code", "须选择法定事由：national_interest、public_interest 或 legal_cause")
    if not body.reason:
        raise field_error("reason", "须说明变更或撤回的理由")
    return await _update(session, client, row, CommitmentWorkflow.request_amendment, AmendmentRequest(
        actor=actor, withdraw=body.withdraw, reason_code=body.reason_code, reason=body.reason, title=body.title,
        content=body.content, due_date=body.due_date), idempotency_key)


@router.post("/{commitment_id}/pause", response_model=CommitmentView)
async def pause(commitment_id: CaseId, body: PauseIn, actor: CurrentActor, session: SessionDep, client: ClientDep,
                idempotency_key: IdemKey = None) -> CommitmentView:
    row = _authorized(session, commitment_id, actor, Action.pause)
    return await _update(session, client, row, CommitmentWorkflow.pause,
                         PauseRequest(actor=actor, reason_code=body.reason_code, reason=body.reason), idempotency_key)


@router.post("/{commitment_id}/resume", response_model=CommitmentView)
async def resume(commitment_id: CaseId, actor: CurrentActor, session: SessionDep, client: ClientDep,
                 idempotency_key: IdemKey = None) -> CommitmentView:
    row = _authorized(session, commitment_id, actor, Action.resume)
    return await _update(session, client, row, CommitmentWorkflow.resume, ResumeRequest(actor=actor),
                         idempotency_key)


@router.post("/{commitment_id}/extension", response_model=CommitmentView)
async def extend(commitment_id: CaseId, body: ExtensionIn, actor: CurrentActor, session: SessionDep, client: ClientDep,
                 idempotency_key: IdemKey = None) -> CommitmentView:
    row = _authorized(session, commitment_id, actor, Action.extend)
    return await _update(session, client, row, CommitmentWorkflow.extend,
                         ExtensionRequest(actor=actor, working_days=body.working_days, reason=body.reason),
                         idempotency_key)


@router.post("/{commitment_id}/milestones/{seq}/completion", response_model=CommitmentView)
async def complete_milestone(commitment_id: CaseId, seq: int, body: MilestoneDoneIn, actor: CurrentActor,
                             session: SessionDep, client: ClientDep,
                             idempotency_key: IdemKey = None) -> CommitmentView:
    row = _authorized(session, commitment_id, actor, Action.complete_milestone)
    files = claim(session, body.attachments, actor, case_type="commitment", case_id=commitment_id,
                  step="milestone_done")
    return await _update(session, client, row, CommitmentWorkflow.complete_milestone,
                         MilestoneDone(actor=actor, seq=seq, note=body.note, attachments=files), idempotency_key)


@router.post("/{commitment_id}/progress", response_model=CommitmentView)
async def post_progress(commitment_id: CaseId, body: ProgressIn, actor: CurrentActor, session: SessionDep,
                        client: ClientDep, idempotency_key: IdemKey = None) -> CommitmentView:
    row = _authorized(session, commitment_id, actor, Action.post_progress)
    refs = claim(session, body.attachments, actor, case_type="commitment", case_id=commitment_id,
                 step="progress_posted")
    return await _update(session, client, row, CommitmentWorkflow.post_progress,
                         ProgressUpdate(actor=actor, text=body.text, percent=body.percent, attachments=refs),
                         idempotency_key)
