"""Periodic integrity reports (政务诚信建设情况报送, issue 17): a department submits its own report through its
queue, the credit office accepts it or returns it with reasons and a new due date, and reads every
department's report of a period in one consolidated report (JSON and CSV). Actions are the Updates of the
report's workflow (`integrity-report-{department}-{period}`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session, col, select
from temporalio.client import Client

from activities.integrity_report import consolidated_csv, consolidated_report, current_due
from api.auth import require
from api.authorize import authorize
from api.deps import ClientDep, SessionDep
from api.problems import Problem, field_error
from api.queries import department_names
from api.routes.citizen_cases import IdemKey
from api.schemas.attachments import AttachmentIds
from api.schemas.common import deadlines, history
from api.schemas.integrity_reports import ConsolidatedReport, IntegrityReportDetail, IntegrityReportList
from api.scope import own_department, reads_in_full
from api.services.attachments import claim, listed
from api.temporal_errors import send_update
from api.validation import CaseId, LongText, Reason, today_local
from domain.calendar import TZ
from domain.capabilities import Capability
from domain.integrity_report import (
    REPORT_RULES,
    REPORT_STATES_ZH,
    ReportAction,
    latest_ended,
    parse_report_period,
    report_workflow_id,
)
from domain.messages import Actor, IntegrityReportView, ReportAcceptance, ReportReturn, ReportSubmission
from store.models import IntegrityReport
from workflows.integrity_report import IntegrityReportWorkflow

router = APIRouter(tags=["integrity reports"])
Staff = Annotated[Actor, Depends(require(Capability.read_reports))]
Office = Annotated[Actor, Depends(require(Capability.read_all_cases))]
PeriodParam = Annotated[str | None, Query(max_length=8, description="2026Q4、2026H1 或 2026；默认上一季度")]


class SubmissionBody(BaseModel):
    text: LongText  # type: ignore[valid-type]
    attachments: AttachmentIds = []


class AcceptanceBody(BaseModel):
    comment: Reason = ""  # type: ignore[valid-type]


class ReturnBody(BaseModel):
    reason: Reason  # type: ignore[valid-type]
    due_date: date


def period_key(text: str | None) -> str:
    if not text:
        return latest_ended("quarter", today_local()).key
    try:
        return parse_report_period(text).key
    except ValueError as err:
        raise field_error("period", str(err)) from None


def _item(r: IntegrityReport, due: date | None = None) -> dict[str, Any]:
    return {"id": r.id, "department": r.department_code, "period": r.period_key, "kind": r.kind,
            "label": parse_report_period(r.period_key).label_zh, "state": r.state,
            "state_zh": REPORT_STATES_ZH.get(r.state, r.state),
            "due_date": (due or r.due_at.astimezone(TZ).date()).isoformat(),
            "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None, "on_time": r.on_time,
            "overdue": r.overdue, "return_reason": r.return_reason}


def _for_staff(session: Session, report_id: int, actor: Actor) -> IntegrityReport:
    row = session.get(IntegrityReport, report_id)
    if row is None:
        raise Problem(404, f"情况报告 {report_id} 不存在")
    if not reads_in_full(actor, row.department_code):
        raise Problem(403, "不能查看或办理其他单位的情况报告")
    return row


async def _act(session: Session, client: Client, row: IntegrityReport, update: Any, arg: Any, key: str | None,
               caller: str) -> IntegrityReportView:
    handle = client.get_workflow_handle(report_workflow_id(row.department_code, row.period_key))
    return IntegrityReportView.model_validate(await send_update(session, row, handle, update, arg, key, caller))


@router.get("/api/integrity-reports", response_model=IntegrityReportList)
def list_reports(session: SessionDep, actor: Staff, period: PeriodParam = None,
                 state: Annotated[str | None, Query(max_length=16)] = None) -> dict[str, Any]:
    """The credit office (and supervisors, admins) every department's reports; a department its own."""
    query = select(IntegrityReport)
    if period:
        query = query.where(IntegrityReport.period_key == period_key(period))
    if (own := own_department(actor)) is not None:
        query = query.where(IntegrityReport.department_code == own)
    if state:
        query = query.where(IntegrityReport.state == state)
    rows = list(session.exec(query.order_by(col(IntegrityReport.id).desc())))
    dues = current_due(session, [r.id for r in rows if r.id is not None])
    return {"items": [_item(r, dues.get(r.id or 0)) for r in rows]}


@router.get("/api/integrity-reports/consolidated", response_model=ConsolidatedReport)
def consolidated(session: SessionDep, actor: Office, period: PeriodParam = None) -> dict[str, Any]:
    """Every department's report of the period: its state, on time or late, its text, and the on-time rate."""
    return consolidated_report(session, period_key(period), today_local())


@router.get("/api/integrity-reports/consolidated.csv")
def consolidated_as_csv(session: SessionDep, actor: Office, period: PeriodParam = None) -> Response:
    key = period_key(period)
    return Response(consolidated_csv(consolidated_report(session, key, today_local())),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="integrity-reports-{key}.csv"'})


# A dict for the staff pages, which read this endpoint (api/pages/staff_actions.py); FastAPI checks it
# against the model.
@router.get("/api/integrity-reports/{report_id}", response_model=IntegrityReportDetail)
def get_report(report_id: CaseId, session: SessionDep, actor: Staff) -> dict[str, Any]:
    row = _for_staff(session, report_id, actor)
    detail = IntegrityReportDetail(
        **_item(row, current_due(session, [report_id]).get(report_id)),
        state_label=REPORT_STATES_ZH.get(row.state, row.state),
        department_name=department_names(session).get(row.department_code, row.department_code), text=row.text,
        attachments=[], deadlines=deadlines(session, "integrity_report", report_id),
        history=history(session, "integrity_report", report_id))
    return {**detail.model_dump(mode="json"), "attachments": listed(session, "integrity_report", report_id, actor)}


@router.post("/api/integrity-reports/{report_id}/submission", response_model=IntegrityReportView)
async def submit(report_id: CaseId, body: SubmissionBody, session: SessionDep, client: ClientDep, actor: Staff,
                 idempotency_key: IdemKey = None) -> IntegrityReportView:
    row = _for_staff(session, report_id, actor)
    authorize(REPORT_RULES, ReportAction.submit, actor, row.department_code)
    files = claim(session, body.attachments, actor, case_type="integrity_report", case_id=report_id,
                  step="report_submitted")
    return await _act(session, client, row, IntegrityReportWorkflow.submit,
                      ReportSubmission(actor=actor, text=body.text, attachments=files), idempotency_key,
                      actor.username)


@router.post("/api/integrity-reports/{report_id}/acceptance", response_model=IntegrityReportView)
async def accept(report_id: CaseId, body: AcceptanceBody, session: SessionDep, client: ClientDep, actor: Staff,
                 idempotency_key: IdemKey = None) -> IntegrityReportView:
    row = _for_staff(session, report_id, actor)
    authorize(REPORT_RULES, ReportAction.accept, actor, row.department_code)
    return await _act(session, client, row, IntegrityReportWorkflow.accept,
                      ReportAcceptance(actor=actor, comment=body.comment), idempotency_key, actor.username)


@router.post("/api/integrity-reports/{report_id}/return", response_model=IntegrityReportView)
async def return_report(report_id: CaseId, body: ReturnBody, session: SessionDep, client: ClientDep, actor: Staff,
                        idempotency_key: IdemKey = None) -> IntegrityReportView:
    row = _for_staff(session, report_id, actor)
    authorize(REPORT_RULES, ReportAction.return_report, actor, row.department_code)
    if body.due_date <= today_local():
        raise field_error("due_date", "新的报送期限须晚于今天")
    return await _act(session, client, row, IntegrityReportWorkflow.return_report,
                      ReportReturn(actor=actor, reason=body.reason, due_date=body.due_date), idempotency_key,
                      actor.username)
