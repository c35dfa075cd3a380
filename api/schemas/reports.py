"""Monitoring bodies: the league table of a period and a named official's archive."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from api.schemas.commitments import CommitmentSummary
from api.schemas.records import RecordSummary


class ReportRow(BaseModel):
    """One department's figures (domain.report.COUNTS, then the rates and the score); 无数据: no rank, no score."""

    rank: int | None
    department: str
    name: str
    commitments_made: int
    fulfilled_on_time: int
    fulfilled_late: int
    overdue_at_end: int
    breached: int
    objections_received: int
    complaints_received: int
    answered_on_time: int
    answered_late: int
    records_opened: int
    records_opened_general: int
    records_opened_serious: int
    rectified: int
    rectification_overdue_at_end: int
    repaired: int
    reports_on_time: int
    reports_late: int
    reports_missing_at_end: int
    motions_replied_on_time: int
    motions_replied_late: int
    motions_overdue_at_end: int
    motions_satisfied: int
    motions_dissatisfied: int
    on_time_rate: float | None
    answer_rate: float | None
    rectification_rate: float | None
    report_rate: float | None
    motion_reply_rate: float | None
    motion_satisfaction_rate: float | None
    score: float | None


class DepartmentReport(BaseModel):
    period: str
    label: str
    start: date
    end: date
    formula: str = Field(description="how the score is computed, in words, from the profile's data")
    definitions: dict[str, str]
    items: list[ReportRow]


class ArchiveSummary(BaseModel):
    commitments: int
    fulfilled: int
    breached: int
    overdue_now: int


class OfficialArchive(BaseModel):
    official: str
    commitments: list[CommitmentSummary]
    records: list[RecordSummary]
    summary: ArchiveSummary
