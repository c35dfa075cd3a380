"""Filing and tracking objections and complaints: one implementation behind the JSON API and the forms.

Applicants' personal data (name, e-mail, phone) is stored for staff and never returned by tracking,
public pages or open data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, cast

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from starlette.background import BackgroundTask
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from activities.jurisdiction import department_profile
from api.problems import Problem, field_error
from api.schemas.attachments import AttachmentIds
from api.schemas.citizens import ComplaintFiled, ComplaintStatus, ObjectionFiled, ObjectionStatus
from api.services.attachments import bind_filing, claim
from api.services.code_mail import mail_code
from api.tracking import lookup_hashes, new_code
from api.validation import Email, LongText, Name, Title
from domain.calendar import TZ
from domain.complaint import COMPLAINT_STATES_ZH, COMPLAINT_TOPICS
from domain.messages import AttachmentRef, ComplaintStart, ObjectionStart, Target
from domain.objection import OBJECTION_STATES_ZH
from domain.settings import get_settings
from store.attachments import unbind
from store.models import Commitment, Complaint, Department, Objection, Record
from workflows.complaint import ComplaintWorkflow
from workflows.objection import ObjectionWorkflow

Topic = Literal[tuple(COMPLAINT_TOPICS)]  # type: ignore[valid-type]


class ObjectionIn(BaseModel):
    target_type: Literal["record", "commitment"]
    target_id: int = Field(ge=1, le=2_147_483_647)
    applicant_name: Name  # type: ignore[valid-type]
    applicant_email: Email
    applicant_phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+\- ]{5,30}$")
    claim: LongText  # type: ignore[valid-type]
    reasons: LongText  # type: ignore[valid-type]
    attachments: AttachmentIds = []


class ComplaintIn(BaseModel):
    department: str = Field(max_length=32)
    topic: Topic = "other"  # type: ignore[valid-type]
    subject: Title  # type: ignore[valid-type]
    description: LongText  # type: ignore[valid-type]
    commitment_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    complainant_name: Name | None = None  # type: ignore[valid-type]
    complainant_email: Email | None = None
    attachments: AttachmentIds = []


def _target(session: Session, body: ObjectionIn) -> Target:
    """Only information the public can see can be objected to."""
    if body.target_type == "record":
        record = session.get(Record, body.target_id)
        if record is None or not record.public:
            raise field_error("target_id", f"失信记录 {body.target_id} 不存在或未在公示期")
        dept = session.get(Department, record.department_code)
        return Target(case_type="record", case_id=body.target_id, department=record.department_code,
                      title=f"失信记录 {body.target_id}（{dept.name if dept else record.department_code}）")
    commitment = session.get(Commitment, body.target_id)
    if commitment is None or commitment.state == "draft":
        raise field_error("target_id", f"政务承诺 {body.target_id} 不存在或未公开")
    return Target(case_type="commitment", case_id=body.target_id, department=commitment.department_code,
                  title=commitment.title)


async def _register(session: Session, client: Client, row: Objection | Complaint, run: Any,
                    make_start: Callable[[int], Any], what: str, files: list[AttachmentRef]) -> int:
    """Store the row (its id is the workflow's business id) with its files bound to it in one transaction, then
    start the case; if the engine is down, remove the row and give the files back, so nothing half-filed
    remains and the same uploads can be sent again."""
    session.add(row)
    session.flush()
    assert row.id is not None
    bind_filing(session, files, what, row.id)
    session.commit()
    try:
        await client.start_workflow(run, make_start(row.id), id=f"{what}-{row.id}",
                                    task_queue=get_settings().task_queue,
                                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING)
    except Exception:
        unbind(session, [f.id for f in files], case_type=what, case_id=row.id)
        session.delete(row)
        session.commit()
        raise Problem(503, "流程引擎暂不可用，未能提交，请稍后重试") from None
    return row.id


async def file_objection(session: Session, client: Client, body: ObjectionIn) -> dict[str, Any]:
    target = _target(session, body)
    files = claim(session, body.attachments, None, case_type="objection", case_id=None, step="submitted")
    profile = department_profile(session, target.department or "")
    code, digest = new_code()
    now = datetime.now(UTC)
    row = Objection(tracking_hash=digest, target_type=target.case_type, target_id=target.case_id,
                    department_code=target.department, applicant_name=body.applicant_name,
                    applicant_email=body.applicant_email, applicant_phone=body.applicant_phone, claim=body.claim,
                    reasons=body.reasons, state="submitted", profile_name=profile.name,
                    profile_version=profile.version, created_at=now, updated_at=now)
    oid = await _register(session, client, row, ObjectionWorkflow.run, lambda new_id: ObjectionStart(
        objection_id=new_id, target=target, received_on=now.astimezone(TZ).date(),
        applicant_email=body.applicant_email, profile=profile), "objection", files)
    return ObjectionFiled(id=oid, tracking_code=code, state=row.state,
                          state_label=OBJECTION_STATES_ZH[row.state]).model_dump(mode="json")


def check_objection(session: Session, body: ObjectionIn) -> None:
    """The refusals filing would give before anything is stored (for the forms' check-your-answers step)."""
    _target(session, body)


def check_complaint(session: Session, body: ComplaintIn) -> None:
    if session.get(Department, body.department) is None:
        raise field_error("department", f"单位 {body.department} 不存在")
    if body.commitment_id is not None:
        commitment = session.get(Commitment, body.commitment_id)
        if commitment is None or commitment.state == "draft":
            raise field_error("commitment_id", f"政务承诺 {body.commitment_id} 不存在或未公开")
    if body.complainant_email and not body.complainant_name:
        raise field_error("complainant_name", "实名投诉请填写姓名（匿名投诉请不填姓名和邮箱）")


async def file_complaint(session: Session, client: Client, body: ComplaintIn) -> dict[str, Any]:
    check_complaint(session, body)
    files = claim(session, body.attachments, None, case_type="complaint", case_id=None, step="submitted")
    profile = department_profile(session, body.department)
    code, digest = new_code()
    now = datetime.now(UTC)
    row = Complaint(tracking_hash=digest, department_code=body.department, topic=body.topic, subject=body.subject,
                    description=body.description, commitment_id=body.commitment_id,
                    complainant_name=body.complainant_name, complainant_email=body.complainant_email,
                    state="submitted", profile_name=profile.name, profile_version=profile.version, created_at=now,
                    updated_at=now)
    kid = await _register(session, client, row, ComplaintWorkflow.run, lambda new_id: ComplaintStart(
        complaint_id=new_id, department=body.department, subject=body.subject,
        received_on=now.astimezone(TZ).date(), complainant_email=body.complainant_email,
        commitment_id=body.commitment_id, profile=profile), "complaint", files)
    return ComplaintFiled(id=kid, tracking_code=code, state=row.state, state_label=COMPLAINT_STATES_ZH[row.state],
                          anonymous=body.complainant_name is None).model_dump(mode="json")


def code_mail_task(body: ObjectionIn | ComplaintIn, filed: dict[str, Any]) -> BackgroundTask | None:
    """The code mail of a filing just made (not of a replay: `filed` is empty then), if the applicant gave an
    address; run after the response is sent."""
    email = body.applicant_email if isinstance(body, ObjectionIn) else body.complainant_email
    if not filed or not email:
        return None
    kind, what = ("objection", "信用信息异议") if isinstance(body, ObjectionIn) else ("complaint", "投诉")
    return BackgroundTask(mail_code, kind, filed["id"], email, filed["tracking_code"], what)


def find_by_code(session: Session, model: type[Objection] | type[Complaint], code: str) -> Objection | Complaint | None:
    """The case of a typed code: the new Crockford form however it was typed, or an old code exactly."""
    if not code or len(code) > 100:
        return None
    return cast(Objection | Complaint | None,
                session.exec(select(model).where(col(model.tracking_hash).in_(lookup_hashes(code)))).first())


def objection_status(session: Session, row: Objection) -> dict[str, Any]:
    """What the holder of the code sees (api/schemas/citizens.py), as the pages read it."""
    return ObjectionStatus.build(session, row).model_dump(mode="json")


def complaint_status(session: Session, row: Complaint) -> dict[str, Any]:
    return ComplaintStatus.build(session, row).model_dump(mode="json")
