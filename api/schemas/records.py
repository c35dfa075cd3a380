"""Record bodies: summary, detail, the public tombstone of a record that left publicity, the answer to a create."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, Field
from sqlmodel import Session, col

from api.schemas.attachments import AttachmentOut
from api.schemas.common import Deadline, HistoryEntry, Profile, deadlines, history, local, local_at
from domain.record import CATEGORIES, MITIGATIONS, SEVERITIES, STATE_LABELS_ZH, repair_opens_zh
from store.models import Record


class RecordSummary(BaseModel):
    id: int
    subject_department: str
    department_name: str | None
    subject_official: str | None
    category: str
    category_label: str
    severity: str
    severity_label: str
    state: str
    state_label: str
    public: bool
    rectification_overdue: bool
    decision_date: date
    publicity_ends: date
    mitigation: str | None
    objection_pending: bool
    correction_note: str | None
    mitigation_label: str | None

    @classmethod
    def of(cls, row: Record | RecordRow, departments: dict[str, str] | None = None) -> RecordSummary:
        return cls(**summary_fields(row, departments))


class RecordRow(NamedTuple):
    """What a summary reads of a record, as a list selects it (as CommitmentRow, api/schemas/commitments.py)."""

    id: int
    department_code: str
    official: str | None
    category: str
    severity: str
    state: str
    public: bool
    rectification_overdue: bool
    decision_date: date
    publicity_ends: date
    mitigation: str | None
    objection_pending: bool
    correction_note: str | None
    department_name: str | None


SUMMARY_COLUMNS = tuple(col(getattr(Record, name)) for name in RecordRow._fields[:-1])


def summary_fields(row: Record | RecordRow, departments: dict[str, str] | None) -> dict[str, Any]:
    """The summary's fields, for the bodies that extend it. A `Record` is named from `departments`."""
    assert row.id is not None
    return {"id": row.id, "subject_department": row.department_code,
            "department_name": row.department_name if isinstance(row, RecordRow)
            else (departments or {}).get(row.department_code),
            "subject_official": row.official, "category": row.category,
            "category_label": CATEGORIES.get(row.category, row.category), "severity": row.severity,
            "severity_label": SEVERITIES.get(row.severity, row.severity), "state": row.state,
            "state_label": STATE_LABELS_ZH[row.state], "public": row.public,
            "rectification_overdue": row.rectification_overdue, "decision_date": row.decision_date,
            "publicity_ends": row.publicity_ends, "mitigation": row.mitigation,
            "objection_pending": row.objection_pending, "correction_note": row.correction_note,
            "mitigation_label": MITIGATIONS.get(row.mitigation or "")}


class Source(BaseModel):
    """The case a record came from (a breached commitment, a substantiated complaint)."""

    type: str
    id: int | None


class RecordCreated(RecordSummary):
    url: str


class RecordTombstone(BaseModel):
    """What the public may still see of a record that left publicity: that it was repaired or expired."""

    id: int
    subject_department: str
    department_name: str | None
    state: str
    state_label: str
    public: Literal[False]
    tombstone: Literal[True]

    @classmethod
    def of(cls, row: Record, departments: dict[str, str]) -> RecordTombstone:
        assert row.id is not None
        return cls(id=row.id, subject_department=row.department_code,
                   department_name=departments.get(row.department_code), state=row.state,
                   state_label=STATE_LABELS_ZH[row.state], public=False, tombstone=True)


class RecordDetail(RecordSummary):
    attachments: list[AttachmentOut] = Field(default_factory=list, description="调用者可下载的证明材料")
    facts: str
    rectification_due: date | None
    explanation: str | None
    rectification: str | None
    rectification_evidence: list[str]
    commitment_letter: str | None
    repair_decision_reason: str | None
    mitigation_reason: str | None
    repair_possible_from: date
    minimum_publicity_ends: date
    repair_note: str
    source: Source | None
    profile: Profile
    created_at: datetime
    published_at: datetime | None
    closed_at: datetime | None
    deadlines: list[Deadline]
    history: list[HistoryEntry]

    @classmethod
    def build(cls, session: Session, row: Record, departments: dict[str, str], staff: bool = False) -> RecordDetail:
        assert row.id is not None
        return cls(
            **summary_fields(row, departments),
            facts=row.facts, rectification_due=row.rectification_due, explanation=row.explanation,
            rectification=row.rectification, rectification_evidence=row.rectification_evidence or [],
            commitment_letter=row.commitment_letter, repair_decision_reason=row.repair_decision_reason,
            mitigation_reason=row.mitigation_reason, repair_possible_from=row.repair_possible_from,
            minimum_publicity_ends=row.repair_possible_from - timedelta(days=1),
            repair_note=repair_opens_zh(row.repair_possible_from),
            source=Source(type=row.source_type, id=row.source_id) if row.source_type else None,
            profile=Profile.of(row.profile_name, row.profile_version),
            created_at=local_at(row.created_at), published_at=local(row.published_at),
            closed_at=local(row.closed_at),
            deadlines=deadlines(session, "record", row.id),
            history=history(session, "record", row.id, staff))
