"""Commitment bodies: summary, detail (milestones, versions, deadlines, history), and the answer to a create."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from api.schemas.attachments import AttachmentOut
from api.schemas.common import Deadline, HistoryEntry, Profile, deadlines, history, local, local_at
from domain.commitment import KINDS, STATE_LABELS_ZH
from store.models import Commitment, CommitmentVersion, Milestone


class StatusDecision(BaseModel):
    """A decided objection's corrected or revoked public status (domain/commitment_status.py)."""

    outcome: str
    outcome_label: str
    status_label: str
    disputed_label: str
    reason: str
    correction: str | None
    objection_id: int
    record_id: int | None


class CommitmentSummary(BaseModel):
    id: int
    department: str
    department_name: str | None
    kind: str
    kind_label: str
    title: str
    due_date: date
    state: str
    state_label: str
    overdue: bool
    amended: bool
    official: str | None
    objection_pending: bool
    correction_note: str | None
    status_decision: StatusDecision | None  # a decided objection's corrected or revoked public status
    published_at: datetime | None

    @classmethod
    def of(cls, row: Commitment, departments: dict[str, str] | None = None) -> CommitmentSummary:
        assert row.id is not None
        return cls(**summary_fields(row, departments))


def summary_fields(row: Commitment, departments: dict[str, str] | None) -> dict[str, Any]:
    """The summary's fields, for the bodies that extend it."""
    assert row.id is not None
    return {"id": row.id, "department": row.department_code,
            "department_name": (departments or {}).get(row.department_code),
            "kind": row.kind, "kind_label": KINDS.get(row.kind, row.kind), "title": row.title,
            "due_date": row.due_date, "state": row.state, "state_label": STATE_LABELS_ZH[row.state],
            "overdue": row.overdue, "amended": row.amended, "official": row.official,
            "objection_pending": row.objection_pending, "correction_note": row.correction_note,
            "status_decision": row.status_decision, "published_at": local(row.published_at)}


class CommitmentCreated(CommitmentSummary):
    """201 of a create: the summary (state draft), whether publishing was asked for, and where it lives."""

    publishing: bool
    url: str


class MilestoneOut(BaseModel):
    seq: int
    title: str
    due_date: date
    done: bool
    done_at: datetime | None
    overdue: bool


class Progress(BaseModel):
    done: int
    total: int


class VersionOut(BaseModel):
    """An approved change: the commitment as it read from then on, and why."""

    version: int
    title: str
    content: str
    due_date: date
    reason: str
    approved_by: str
    at: datetime


class CommitmentDetail(CommitmentSummary):
    attachments: list[AttachmentOut] = Field(default_factory=list, description="调用者可下载的证明材料")
    content: str
    profile: Profile
    created_at: datetime
    closed_at: datetime | None
    report: str | None
    evidence: list[str]
    record_id: int | None
    pending_amendment: dict[str, Any] | None
    milestones: list[MilestoneOut]
    progress: Progress
    versions: list[VersionOut]
    deadlines: list[Deadline]
    history: list[HistoryEntry]

    @classmethod
    def build(cls, session: Session, row: Commitment, departments: dict[str, str],
              staff: bool = False) -> CommitmentDetail:
        assert row.id is not None
        milestones = session.exec(select(Milestone).where(Milestone.commitment_id == row.id)
                                  .order_by(col(Milestone.seq)))
        versions = session.exec(select(CommitmentVersion).where(CommitmentVersion.commitment_id == row.id)
                                .order_by(col(CommitmentVersion.version)))
        ms = [MilestoneOut(seq=m.seq, title=m.title, due_date=m.due_date, done=m.done_at is not None,
                           done_at=local(m.done_at), overdue=m.overdue) for m in milestones]
        return cls(
            **summary_fields(row, departments),
            content=row.content, profile=Profile.of(row.profile_name, row.profile_version),
            created_at=local_at(row.created_at), closed_at=local(row.closed_at),
            report=row.report, evidence=row.evidence or [], record_id=row.record_id,
            pending_amendment=row.pending_amendment, milestones=ms,
            progress=Progress(done=sum(1 for m in ms if m.done), total=len(ms)),
            versions=[VersionOut(version=v.version, title=v.title, content=v.content, due_date=v.due_date,
                                 reason=v.reason, approved_by=v.approved_by, at=local_at(v.at)) for v in versions],
            deadlines=deadlines(session, "commitment", row.id),
            history=history(session, "commitment", row.id, staff))
