"""What the API says of integrity reports (政务诚信建设情况报送): one department's report, and the
consolidated report of a period (every department, on time or late, with the on-time rate)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from api.schemas.attachments import AttachmentOut
from api.schemas.common import Deadline, HistoryEntry


class IntegrityReportItem(BaseModel):
    id: int
    department: str
    period: str  # 2026Q4, 2026H1, 2026
    kind: str  # quarter, half, year
    label: str
    state: str
    state_zh: str
    due_date: date
    submitted_at: datetime | None
    on_time: bool | None  # the first submission came by the first due date (None: not yet submitted)
    overdue: bool  # the running due date passed with no report in
    return_reason: str | None


class IntegrityReportList(BaseModel):
    items: list[IntegrityReportItem]


class IntegrityReportDetail(IntegrityReportItem):
    """The report as staff read it (and the staff case page shows it): text, files, deadlines, history."""

    state_label: str
    department_name: str
    text: str | None
    attachments: list[AttachmentOut]
    deadlines: list[Deadline]
    history: list[HistoryEntry]


class ConsolidatedItem(BaseModel):
    report_id: int | None
    department: str
    name: str
    period: str
    state: str | None
    state_zh: str
    due_date: date | None
    submitted_at: str | None  # the first submission, local time "YYYY-MM-DD HH:MM"
    timeliness: str  # 按期报送 / 逾期报送 / 逾期未报送 / 未报送（未到期）/ 未开启
    text: str | None


class ConsolidatedSummary(BaseModel):
    departments: int
    submitted: int
    on_time: int
    late: int
    missing: int
    on_time_rate: float | None  # on time ÷ reports due (None: none due yet)


class ConsolidatedReport(BaseModel):
    period: str
    label: str
    kind: str
    items: list[ConsolidatedItem]
    summary: ConsolidatedSummary
