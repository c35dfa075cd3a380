"""Commitment bodies: summary, detail (milestones, versions, deadlines, history), and the answer to a create."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from api.schemas.attachments import AttachmentOut
from api.schemas.common import Deadline, HistoryEntry, Profile, deadlines, history, local, local_at
from domain.commitment import KINDS, STATE_LABELS_ZH
from domain.commitment_progress import milestone_status, percent, progress_summary
from domain.events import Event
from store.models import AuditEvent, Commitment, CommitmentVersion, Milestone


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
    def of(cls, row: Commitment | CommitmentRow, departments: dict[str, str] | None = None) -> CommitmentSummary:
        assert row.id is not None
        return cls(**summary_fields(row, departments))


class CommitmentRow(NamedTuple):
    """What a summary reads of a commitment, as a list selects it (SUMMARY_COLUMNS, and the department's name
    joined). Loading whole ORM objects (the text, the report, the JSON columns) and then the departments was
    about a third of a public list request (bench/public_list_vs_bare.py)."""

    id: int
    department_code: str
    kind: str
    title: str
    due_date: date
    state: str
    overdue: bool
    amended: bool
    official: str | None
    objection_pending: bool
    correction_note: str | None
    status_decision: dict[str, Any] | None
    published_at: datetime | None
    department_name: str | None


SUMMARY_COLUMNS = tuple(col(getattr(Commitment, name)) for name in CommitmentRow._fields[:-1])


def summary_fields(row: Commitment | CommitmentRow, departments: dict[str, str] | None) -> dict[str, Any]:
    """The summary's fields, for the bodies that extend it. A `Commitment` is named from `departments`."""
    assert row.id is not None
    return {"id": row.id, "department": row.department_code,
            "department_name": row.department_name if isinstance(row, CommitmentRow)
            else (departments or {}).get(row.department_code),
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
    status: str  # on_time | late | open | overdue | unreported (domain/commitment_progress.py)
    status_label: str


class Progress(BaseModel):
    done: int
    total: int
    percent: int
    summary: str  # e.g. 已完成 1 / 2 个节点（50%）


class ProgressUpdateOut(BaseModel):
    """A progress note the department posted while the commitment ran; `percent` is its own estimate."""

    at: datetime
    text: str
    percent: int | None


class VerificationOut(BaseModel):
    """The credit office's latest verification of a fulfilment report."""

    accepted: bool
    label: str  # 核验通过 | 核验不通过
    reason: str | None
    at: datetime
    current: bool  # it answers the latest report (false: a newer report awaits verification)


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
    reported_at: datetime | None  # when the (latest) fulfilment report was made
    verification: VerificationOut | None
    progress_updates: list[ProgressUpdateOut]  # oldest first
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
        ms = [_milestone(m, row.state) for m in milestones]
        done = sum(1 for m in ms if m.done)
        steps = _steps(session, row.id)
        reported = [e for e in steps if e.action == Event.fulfilment_reported]
        verdicts = [e for e in steps if e.action in (Event.verified_accepted, Event.verified_rejected)]
        return cls(
            **summary_fields(row, departments),
            content=row.content, profile=Profile.of(row.profile_name, row.profile_version),
            created_at=local_at(row.created_at), closed_at=local(row.closed_at),
            report=row.report, reported_at=local_at(reported[-1].at) if reported else None,
            verification=_verification(verdicts[-1], reported[-1] if reported else None) if verdicts else None,
            progress_updates=[ProgressUpdateOut(at=local_at(e.at), text=(e.data or {}).get("text") or e.reason or "",
                                                percent=(e.data or {}).get("percent"))
                              for e in steps if e.action == Event.progress_posted],
            evidence=row.evidence or [], record_id=row.record_id,
            pending_amendment=row.pending_amendment, milestones=ms,
            progress=Progress(done=done, total=len(ms), percent=percent(done, len(ms)),
                              summary=progress_summary(done, len(ms), row.state)),
            versions=[VersionOut(version=v.version, title=v.title, content=v.content, due_date=v.due_date,
                                 reason=v.reason, approved_by=v.approved_by, at=local_at(v.at)) for v in versions],
            deadlines=deadlines(session, "commitment", row.id),
            history=history(session, "commitment", row.id, staff))


_STEPS = (Event.fulfilment_reported, Event.verified_accepted, Event.verified_rejected, Event.progress_posted)


def _steps(session: Session, commitment_id: int) -> list[AuditEvent]:
    """The audit events the outcome and the progress timeline are read from, oldest first."""
    return list(session.exec(select(AuditEvent).where(
        AuditEvent.case_type == "commitment", AuditEvent.case_id == commitment_id,
        col(AuditEvent.action).in_([e.value for e in _STEPS])).order_by(col(AuditEvent.at), col(AuditEvent.id))))


def _verification(e: AuditEvent, report: AuditEvent | None) -> VerificationOut:
    accepted = e.action == Event.verified_accepted
    label = "核验通过" if accepted else "核验不通过"
    reason = e.reason if e.reason and e.reason != label and e.reason != "核验通过" else None
    current = report is None or (e.at, e.id or 0) > (report.at, report.id or 0)
    return VerificationOut(accepted=accepted, label=label, reason=reason, at=local_at(e.at), current=current)


def _milestone(m: Milestone, state: str) -> MilestoneOut:
    done_at = local(m.done_at)
    status = milestone_status(m.due_date, done_at.date() if done_at else None, m.overdue, state)
    return MilestoneOut(seq=m.seq, title=m.title, due_date=m.due_date, done=done_at is not None, done_at=done_at,
                        overdue=m.overdue, status=status.key, status_label=status.label)
