"""Open-data JSON bodies: the public fields of commitments and records (the same columns as the CSV files)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class OpenCommitment(BaseModel):
    id: int
    department: str
    department_name: str | None
    kind_label: str
    title: str
    due_date: date
    state: str
    state_label: str
    overdue: bool
    amended: bool
    objection_pending: bool
    published_at: datetime | None


class OpenRecord(BaseModel):
    id: int
    subject_department: str
    department_name: str | None
    category_label: str
    severity_label: str
    state: str
    state_label: str
    rectification_overdue: bool
    decision_date: date
    publicity_ends: date
    objection_pending: bool
