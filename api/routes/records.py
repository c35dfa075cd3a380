"""Dishonesty record endpoints (../shared/spec/api.md): the credit office records; the subject department explains,
rectifies and applies for repair; the credit office verifies and decides. Actions are Updates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from activities.jurisdiction import department_profile
from activities.record import insert_record
from api.auth import CurrentActor, OptionalActor
from api.authorize import authorize, authorize_create
from api.deps import ClientDep, SessionDep, list_rows
from api.idempotency import idempotent
from api.problems import Problem, field_error
from api.queries import department_names, record_detail, record_list, record_tombstone
from api.schemas.attachments import AttachmentIds
from api.schemas.common import Page
from api.schemas.records import RecordCreated, RecordDetail, RecordSummary, RecordTombstone, summary_fields
from api.scope import reads_in_full
from api.services.attachments import claim, listed
from api.services.record import record_workflow_id, start_record
from api.temporal_errors import send_update
from api.validation import CaseId, DecisionDate, FutureDate, LongText, Name, Reason, Title
from domain.messages import (
    Actor,
    ExplanationIn,
    MitigationIn,
    RecordView,
    RectificationDueIn,
    RectificationIn,
    RectificationVerdict,
    RepairDecision,
    RepairRequest,
    SeverityIn,
)
from domain.record import CATEGORIES, RULES, RecordAction
from store.models import Department, Record
from workflows.record import RecordWorkflow

router = APIRouter(prefix="/api/records", tags=["records"])
Category = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]
Severity = Literal["minor", "general", "serious"]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


class RecordCreate(BaseModel):
    subject_department: str = Field(max_length=32)
    subject_official: Name | None = None  # type: ignore[valid-type]
    category: Category  # type: ignore[valid-type]
    severity: Severity = "general"
    facts: LongText  # type: ignore[valid-type]
    decision_date: DecisionDate
    rectification_due: FutureDate | None = None
    shared_with: list[str] | None = Field(default=None, max_length=200,
                                          description="接收该记录的单位代码；默认全部单位")


class ExplanationBody(BaseModel):
    explanation: LongText  # type: ignore[valid-type]
    attachments: AttachmentIds = []


class RectificationBody(BaseModel):
    description: LongText  # type: ignore[valid-type]
    evidence: list[Title] = Field(default_factory=list, max_length=20)  # type: ignore[valid-type]
    attachments: AttachmentIds = []


class RepairBody(BaseModel):
    commitment_letter: LongText  # type: ignore[valid-type]
    evidence: list[Title] = Field(default_factory=list, max_length=20)  # type: ignore[valid-type]
    attachments: AttachmentIds = Field(default_factory=list, max_length=50,
                                       description="须含签署的信用承诺书扫描件等（POST /api/attachments 返回的 id）")


class DecisionBody(BaseModel):
    accepted: bool | None = None
    approved: bool | None = None
    reason: Reason = ""  # type: ignore[valid-type]

    @property
    def yes(self) -> bool | None:
        return self.approved if self.approved is not None else self.accepted


class MitigationBody(BaseModel):
    effect: Literal["mitigated", "exempted"]
    reason: Reason  # type: ignore[valid-type]


class SeverityBody(BaseModel):
    severity: Severity
    reason: Reason  # type: ignore[valid-type]


class DueBody(BaseModel):
    due_date: FutureDate
    reason: Reason  # type: ignore[valid-type]


def _record(session: Session, record_id: CaseId) -> Record:
    row = session.get(Record, record_id)
    if row is None:
        raise Problem(404, f"失信记录 {record_id} 不存在")
    return row


def _authorized(session: Session, record_id: CaseId, actor: Actor, action: RecordAction) -> Record:
    """The record (404 if there is none), if the caller may take `action` on it (403 otherwise)."""
    row = _record(session, record_id)
    authorize(RULES, action, actor, row.department_code)
    return row


async def _update(session: Session, client: ClientDep, row: Record, update: Any, arg: Any,
                  key: str | None) -> RecordView:
    assert row.id is not None
    return RecordView.model_validate(await send_update(
        session, row, client.get_workflow_handle(record_workflow_id(row.id)), update, arg, key, arg.actor.username))


@router.post("", status_code=201, response_model=RecordCreated)
async def create_record(body: RecordCreate, actor: CurrentActor, session: SessionDep, client: ClientDep,
                        idempotency_key: IdemKey = None) -> Any:
    authorize_create(RULES, actor, body.subject_department)
    if session.get(Department, body.subject_department) is None:
        raise field_error("subject_department", f"单位 {body.subject_department} 不存在")
    if body.shared_with is not None:
        known = set(session.exec(select(Department.code)).all())
        unknown = [c for c in body.shared_with if c not in known]
        if unknown:
            raise field_error("shared_with", f"单位不存在：{'、'.join(unknown)}")

    def insert() -> tuple[Record, Any]:
        row, start = insert_record(
            session, department=body.subject_department, official=body.subject_official, category=body.category,
            severity=body.severity, facts=body.facts, decision_date=body.decision_date,
            rectification_due=body.rectification_due, shared_with=body.shared_with, actor=actor,
            now=datetime.now(UTC), profile=department_profile(session, body.subject_department))
        session.commit()
        return row, start

    async def create() -> tuple[int, Any]:
        # In a thread: on SQLite the INSERT waits for the write lock, which in the event loop stalls every request
        row, start = await run_in_threadpool(insert)
        try:
            await start_record(client, start)
        except Exception:
            session.delete(row)
            session.commit()
            raise Problem(503, "流程引擎暂不可用，记录未保存，请稍后重试") from None
        return 201, RecordCreated(**summary_fields(row, department_names(session)), url=f"/api/records/{row.id}")

    return await idempotent(idempotency_key, actor.username, body.model_dump(mode="json"), create)


# Async on purpose: the page query and the (briefly cached) count take about a millisecond, less than the
# thread hop a sync endpoint costs under load; on PostgreSQL they run on the async read engine (api/deps.py).
@router.get("", response_model=Page[RecordSummary])
async def get_records(request: Request, actor: OptionalActor, department: str | None = None,
                      state: str | None = None, severity: str | None = None,
                      q: Annotated[str | None, Query(max_length=100)] = None,
                      page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                      page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> Response:
    query = record_list(actor, department=department, state=state, severity=severity, q=q, page=page,
                        page_size=page_size)
    rows, total = await list_rows(request, query)
    return Page[RecordSummary](items=[RecordSummary.of(r) for r in rows], total=total, page=page,
                               page_size=page_size).json_response()


# A dict for the staff pages, which read this endpoint (api/pages/staff_actions.py); FastAPI checks it
# against the model.
@router.get("/{record_id}", response_model=RecordDetail | RecordTombstone)
def get_record(record_id: CaseId, session: SessionDep, actor: OptionalActor) -> dict[str, Any]:
    row = _record(session, record_id)
    staff = reads_in_full(actor, row.department_code)
    if not staff and not row.public:
        if row.state in ("repaired", "expired") and row.published_at is not None:
            return record_tombstone(row, department_names(session))
        raise Problem(404, f"失信记录 {record_id} 不存在")
    return {**record_detail(session, row, staff=staff), "attachments": listed(session, "record", record_id, actor)}


@router.post("/{record_id}/explanation", response_model=RecordView)
async def explain(record_id: CaseId, body: ExplanationBody, actor: CurrentActor, session: SessionDep,
                  client: ClientDep, idempotency_key: IdemKey = None) -> RecordView:
    row = _authorized(session, record_id, actor, RecordAction.explain)
    files = claim(session, body.attachments, actor, case_type="record", case_id=record_id, step="explained")
    return await _update(session, client, row, RecordWorkflow.explain,
                         ExplanationIn(actor=actor, explanation=body.explanation, attachments=files), idempotency_key)


@router.post("/{record_id}/rectification", response_model=RecordView)
async def rectification(record_id: CaseId, body: RectificationBody, actor: CurrentActor, session: SessionDep,
                        client: ClientDep, idempotency_key: IdemKey = None) -> RecordView:
    row = _authorized(session, record_id, actor, RecordAction.submit_rectification)
    files = claim(session, body.attachments, actor, case_type="record", case_id=record_id,
                  step="rectification_submitted")
    return await _update(session, client, row, RecordWorkflow.submit_rectification,
                         RectificationIn(actor=actor, description=body.description, evidence=body.evidence,
                                         attachments=files), idempotency_key)


@router.post("/{record_id}/repair", response_model=RecordView)
async def repair(record_id: CaseId, body: RepairBody, actor: CurrentActor, session: SessionDep, client: ClientDep,
                 idempotency_key: IdemKey = None) -> RecordView:
    row = _authorized(session, record_id, actor, RecordAction.request_repair)
    files = claim(session, body.attachments, actor, case_type="record", case_id=record_id, step="repair_requested")
    return await _update(session, client, row, RecordWorkflow.request_repair,
                         RepairRequest(actor=actor, commitment_letter=body.commitment_letter, evidence=body.evidence,
                                       attachments=files), idempotency_key)


def _yes(body: DecisionBody, name: str) -> bool:
    if body.yes is None:
        raise field_error(name, "必填（true/false）")
    if not body.yes and not body.reason:
        raise field_error("reason", "不通过须说明理由")
    return body.yes


@router.post("/{record_id}/rectification-verification", response_model=RecordView)
async def verify_rectification(record_id: CaseId, body: DecisionBody, actor: CurrentActor, session: SessionDep,
                               client: ClientDep, idempotency_key: IdemKey = None) -> RecordView:
    row = _authorized(session, record_id, actor, RecordAction.verify_rectification)
    return await _update(session, client, row, RecordWorkflow.verify_rectification,
                         RectificationVerdict(actor=actor, accepted=_yes(body, "accepted"), reason=body.reason),
                         idempotency_key)


@router.post("/{record_id}/repair-decision", response_model=RecordView)
async def decide_repair(record_id: CaseId, body: DecisionBody, actor: CurrentActor, session: SessionDep,
                        client: ClientDep, idempotency_key: IdemKey = None) -> RecordView:
    row = _authorized(session, record_id, actor, RecordAction.decide_repair)
    return await _update(session, client, row, RecordWorkflow.decide_repair,
                         RepairDecision(actor=actor, approved=_yes(body, "approved"), reason=body.reason),
                         idempotency_key)


@router.post("/{record_id}/mitigation", response_model=RecordView)
async def mitigation(record_id: CaseId, body: MitigationBody, actor: CurrentActor, session: SessionDep,
                     client: ClientDep, idempotency_key: IdemKey = None) -> RecordView:
    row = _authorized(session, record_id, actor, RecordAction.mitigate)
    return await _update(session, client, row, RecordWorkflow.mitigate,
                         MitigationIn(actor=actor, effect=body.effect, reason=body.reason), idempotency_key)


@router.post("/{record_id}/severity", response_model=RecordView)
async def severity(record_id: CaseId, body: SeverityBody, actor: CurrentActor, session: SessionDep,
                   client: ClientDep, idempotency_key: IdemKey = None) -> RecordView:
    row = _authorized(session, record_id, actor, RecordAction.classify)
    return await _update(session, client, row, RecordWorkflow.classify,
                         SeverityIn(actor=actor, severity=body.severity, reason=body.reason), idempotency_key)


@router.post("/{record_id}/rectification-deadline", response_model=RecordView)
async def rectification_deadline(record_id: CaseId, body: DueBody, actor: CurrentActor, session: SessionDep,
                                 client: ClientDep, idempotency_key: IdemKey = None) -> RecordView:
    row = _authorized(session, record_id, actor, RecordAction.set_rectification_due)
    return await _update(session, client, row, RecordWorkflow.set_rectification_due,
                         RectificationDueIn(actor=actor, due_date=body.due_date, reason=body.reason), idempotency_key)
