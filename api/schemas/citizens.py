"""Objection and complaint bodies: a filing's answer, what the holder of a tracking code sees, the staff views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from sqlmodel import Session

from api.schemas.attachments import AttachmentOut
from api.schemas.common import (
    CaseRef,
    Deadline,
    HistoryEntry,
    Profile,
    PublicHistoryEntry,
    deadlines,
    history,
    local_at,
    public_history,
)
from domain.capabilities import Capability, may
from domain.complaint import COMPLAINT_STATES_ZH
from domain.objection import OBJECTION_STATES_ZH, OUTCOMES_ZH
from store.models import Complaint, Department, Objection


class ObjectionFiled(BaseModel):
    """201 of a filing: the tracking code is shown this once (only its hash is stored)."""

    id: int
    tracking_code: str
    state: str
    state_label: str


class ComplaintFiled(ObjectionFiled):
    anonymous: bool


class Decision(BaseModel):
    outcome: str = Field(description="corrected | revoked | upheld")
    outcome_label: str | None
    reason: str | None
    correction: str | None


class ObjectionStatus(BaseModel):
    """What the holder of the code sees: status, deadlines with receipts, the decision — no personal data."""

    kind: Literal["objection"]
    id: int
    state: str
    state_label: str
    target: CaseRef
    submitted_at: datetime
    profile: Profile
    deadlines: list[Deadline]
    decision: Decision | None
    history: list[PublicHistoryEntry]

    @classmethod
    def build(cls, session: Session, row: Objection) -> ObjectionStatus:
        assert row.id is not None
        decision = Decision(outcome=row.outcome, outcome_label=OUTCOMES_ZH.get(row.outcome),
                            reason=row.decision_reason, correction=row.correction) if row.outcome else None
        return cls(kind="objection", id=row.id, state=row.state, state_label=OBJECTION_STATES_ZH[row.state],
                   target=CaseRef(type=row.target_type, id=row.target_id), submitted_at=local_at(row.created_at),
                   profile=Profile.of(row.profile_name, row.profile_version),
                   deadlines=deadlines(session, "objection", row.id), decision=decision,
                   history=public_history(session, "objection", row.id))


class ComplaintFields(BaseModel):
    """What the holder of the code and staff both see of a complaint (each adds its own history)."""

    kind: Literal["complaint"]
    id: int
    state: str
    state_label: str
    department: str
    department_name: str | None
    subject: str
    submitted_at: datetime
    profile: Profile
    deadlines: list[Deadline]
    response: str | None
    review_reason: str | None
    feedback: str | None
    reopened: bool
    record_id: int | None
    can_rate: bool


class ComplaintStatus(ComplaintFields):
    history: list[PublicHistoryEntry]

    @classmethod
    def build(cls, session: Session, row: Complaint) -> ComplaintStatus:
        assert row.id is not None
        dept = session.get(Department, row.department_code)
        return cls(kind="complaint", id=row.id, state=row.state, state_label=COMPLAINT_STATES_ZH[row.state],
                   department=row.department_code, department_name=dept.name if dept else None,
                   subject=row.subject, submitted_at=local_at(row.created_at),
                   profile=Profile.of(row.profile_name, row.profile_version),
                   deadlines=deadlines(session, "complaint", row.id), response=row.response,
                   review_reason=row.review_reason, feedback=row.feedback, reopened=row.reopened,
                   record_id=row.record_id, can_rate=row.state in ("substantiated", "unsubstantiated"),
                   history=public_history(session, "complaint", row.id))


TrackedCase = Annotated[ObjectionStatus | ComplaintStatus, Field(discriminator="kind")]


class ObjectionStaffView(BaseModel):
    """An objection as staff see it; contact details only with the read_personal_data capability (else null)."""
    attachments: list[AttachmentOut] = Field(default_factory=list, description="调用者可下载的证明材料")

    id: int
    state: str
    state_label: str
    target: CaseRef
    department: str
    applicant_name: str | None
    applicant_email: str | None
    applicant_phone: str | None
    claim: str
    reasons: str
    supplements: list[str]
    finding: str | None
    department_late: bool
    outcome: str | None
    decision_reason: str | None
    correction: str | None
    submitted_at: datetime
    profile: Profile
    deadlines: list[Deadline]
    history: list[HistoryEntry]

    @classmethod
    def build(cls, session: Session, row: Objection, role: str) -> ObjectionStaffView:
        assert row.id is not None
        personal = may(role, Capability.read_personal_data)
        return cls(id=row.id, state=row.state, state_label=OBJECTION_STATES_ZH[row.state],
                   target=CaseRef(type=row.target_type, id=row.target_id), department=row.department_code,
                   applicant_name=row.applicant_name if personal else None,
                   applicant_email=row.applicant_email if personal else None,
                   applicant_phone=row.applicant_phone if personal else None, claim=row.claim, reasons=row.reasons,
                   supplements=row.supplements or [], finding=row.finding, department_late=row.department_late,
                   outcome=row.outcome, decision_reason=row.decision_reason, correction=row.correction,
                   submitted_at=local_at(row.created_at), profile=Profile.of(row.profile_name, row.profile_version),
                   deadlines=deadlines(session, "objection", row.id), history=history(session, "objection", row.id))


class ComplaintStaffView(ComplaintFields):
    """The tracking view with the full history, the complaint's text and (with read_personal_data) who filed it."""
    attachments: list[AttachmentOut] = Field(default_factory=list, description="调用者可下载的证明材料")

    history: list[HistoryEntry]
    description: str
    topic: str
    commitment_id: int | None
    complainant_name: str | None
    complainant_email: str | None

    @classmethod
    def build(cls, session: Session, row: Complaint, role: str) -> ComplaintStaffView:
        assert row.id is not None
        personal = may(role, Capability.read_personal_data)
        return cls(**ComplaintStatus.build(session, row).model_dump(exclude={"history"}),
                   history=history(session, "complaint", row.id), description=row.description, topic=row.topic,
                   commitment_id=row.commitment_id, complainant_name=row.complainant_name if personal else None,
                   complainant_email=row.complainant_email if personal else None)


class ObjectionListItem(BaseModel):
    id: int
    state: str
    state_label: str
    target_type: str
    target_id: int
    department: str
    department_late: bool
    submitted_at: datetime

    @classmethod
    def of(cls, r: Objection) -> ObjectionListItem:
        assert r.id is not None
        return cls(id=r.id, state=r.state, state_label=OBJECTION_STATES_ZH[r.state], target_type=r.target_type,
                   target_id=r.target_id, department=r.department_code, department_late=r.department_late,
                   submitted_at=local_at(r.created_at))


class ComplaintListItem(BaseModel):
    id: int
    state: str
    state_label: str
    subject: str
    department: str
    anonymous: bool
    submitted_at: datetime

    @classmethod
    def of(cls, r: Complaint) -> ComplaintListItem:
        assert r.id is not None
        return cls(id=r.id, state=r.state, state_label=COMPLAINT_STATES_ZH[r.state], subject=r.subject,
                   department=r.department_code, anonymous=r.complainant_name is None,
                   submitted_at=local_at(r.created_at))
