"""Working-day calendar: compute a deadline with its receipt; versioned operator overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query
from pydantic import AfterValidator, BaseModel, Field
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from api.auth import require
from api.deps import ClientDep, SessionDep
from api.idempotency import idempotent
from api.problems import Problem
from api.schemas.calendar import (
    AffectedDeadline,
    CalendarPreview,
    ComputedDeadline,
    OverrideCreated,
    OverrideOut,
    Reprojection,
)
from api.schemas.common import Page, local, local_at
from api.validation import Reason
from domain.calendar import Override, WorkingCalendar
from domain.capabilities import Capability
from domain.deadlines import DeadlineSpec, deadline_moved, project
from domain.messages import Actor, CalendarChangeProgress
from domain.settings import get_settings
from store.calendars import add_override, confirm_year, list_confirmed_years, list_overrides, load_calendar
from store.models import DeadlineRow
from workflows.calendar_change import CalendarChangeWorkflow, calendar_change_id

router = APIRouter(prefix="/api/calendar", tags=["calendar"])


def _supported_year(value: date) -> date:
    if not 2000 <= value.year <= 2100:
        raise ValueError("日期须在 2000 至 2100 年之间")
    return value
Editor = Annotated[Actor, Depends(require(Capability.keep_calendar))]


@router.get("/deadline", response_model=ComputedDeadline)
def deadline(session: SessionDep, start: Annotated[date, AfterValidator(_supported_year)],
             working_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
             natural_days: Annotated[int | None, Query(ge=0, le=3650)] = None) -> ComputedDeadline:
    if (working_days is None) == (natural_days is None):
        raise Problem(422, "须给出 working_days 或 natural_days 之一",
                      errors=[{"field": "working_days", "message": "须给出 working_days 或 natural_days 之一"}])
    cal = load_calendar(session)
    if working_days is not None:
        d = cal.add_working_days(start, working_days, basis="按工作日计算", start_event="起算日")
    else:
        d = cal.add_natural_days(start, natural_days or 0, basis="按自然日计算（民法典第203条）", start_event="起算日")
    return ComputedDeadline(start=start, working_days=working_days, natural_days=natural_days, due_date=d.due_date,
                            due_at=d.due_at, provisional=d.provisional, receipt=d.receipt,
                            receipt_text=d.receipt.summary_zh())


class OverrideIn(BaseModel):
    date: Annotated[date, AfterValidator(_supported_year)]
    kind: Literal["holiday", "workday", "year_confirmed"] = Field(
        description="holiday 放假 / workday 调休上班 / year_confirmed: the year of `date` is entered in full")
    reason: Reason  # type: ignore[valid-type]


def require_reason(body: OverrideIn) -> None:
    """A calendar change without its source (e.g. the State Council notice) cannot be checked later."""
    if not body.reason:
        raise Problem(422, "须说明调整理由（如国务院办公厅通知文号）",
                      errors=[{"field": "reason", "message": "必填（如国务院办公厅通知文号）"}])


# A dict for the admin calendar page, which reads this endpoint; FastAPI checks it against the model.
@router.get("/overrides", response_model=Page[OverrideOut])
def overrides(session: SessionDep, actor: Editor) -> dict[str, Any]:
    items = [OverrideOut(version=v.id, date=o.day, kind="workday" if o.working else "holiday", reason=o.reason,
                         created_by=v.created_by, created_at=local_at(v.created_at))
             for o, v in list_overrides(session)]
    items += [OverrideOut(version=v.id, date=date(y.year, 1, 1), kind="year_confirmed", reason=y.reason,
                          created_by=v.created_by, created_at=local_at(v.created_at))
              for y, v in list_confirmed_years(session)]
    items.sort(key=lambda i: i.version or 0, reverse=True)
    return Page[OverrideOut].whole(items).model_dump(mode="json")


def affected_deadlines(session: Session, proposed: OverrideIn) -> list[AffectedDeadline]:
    """Open deadlines whose due date would move if `proposed` were added."""
    current = load_calendar(session)
    if proposed.kind == "year_confirmed":
        candidate = current.with_change(confirmed_year=proposed.date.year)
    else:
        candidate = current.with_change(Override(day=proposed.date, working=proposed.kind == "workday",
                                                 reason=proposed.reason))
    return affected_by(session, candidate)


def affected_by(session: Session, candidate: WorkingCalendar) -> list[AffectedDeadline]:
    """Open deadlines that would move (a new date, or 暂定 set or cleared) on `candidate`."""
    current = load_calendar(session)
    moved = []
    rows = session.exec(select(DeadlineRow).where(col(DeadlineRow.status).in_(["open", "paused"])))
    for row in rows:
        spec = DeadlineSpec.model_validate(row.spec)
        before, after = project(spec, current), project(spec, candidate)
        if deadline_moved(before, after):
            moved.append(AffectedDeadline(case_type=row.case_type, case_id=row.case_id, key=row.key, label=row.label,
                                          department=row.department_code, old_due_date=before.due_date,
                                          new_due_date=after.due_date, provisional=after.provisional))
    return moved


# A dict for the admin calendar page, which reads this endpoint; FastAPI checks it against the model.
@router.post("/preview", response_model=CalendarPreview)
def preview(body: OverrideIn, session: SessionDep, actor: Editor) -> dict[str, Any]:
    moved = affected_deadlines(session, body)
    return CalendarPreview(affected=len(moved), message=f"此变更将影响 {len(moved)} 个未到期时限",
                           deadlines=moved).model_dump(mode="json")


async def start_reprojection(client: Client, version: int) -> str:
    """Hand the re-planning of every open deadline to one durable run per version
    (workflows.calendar_change); starting it again for the same version joins or repeats it harmlessly."""
    workflow_id = calendar_change_id(version)
    await client.start_workflow(CalendarChangeWorkflow.run, version, id=workflow_id,
                                task_queue=get_settings().task_queue,
                                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING)
    return workflow_id


@router.get("/reprojections/{version}", response_model=Reprojection)
async def reprojection_progress(version: Annotated[int, Path(ge=1, le=2**31 - 1)], client: ClientDep,
                                actor: Editor) -> Reprojection:
    """How far the re-planning of a calendar version has come: the batch, the cases woken so far and the
    cases still to be woken (each the day before its first moved event)."""
    progress = await reprojection_status(client, version)
    if progress is None:
        raise Problem(404, f"日历版本 {version} 没有重新计算任务")
    return Reprojection(**{**progress.model_dump(), "next_wake_at": local(progress.next_wake_at)},
                        reprojection=calendar_change_id(version))


async def reprojection_status(client: Client, version: int) -> CalendarChangeProgress | None:
    """The run's `progress` query; None if no run exists for the version."""
    try:
        return await client.get_workflow_handle_for(CalendarChangeWorkflow.run, calendar_change_id(version)).query(
            CalendarChangeWorkflow.progress)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


@router.post("/overrides", status_code=201, response_model=OverrideCreated)
async def add(body: OverrideIn, session: SessionDep, client: ClientDep, actor: Editor,
              idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> Any:
    require_reason(body)

    async def create() -> tuple[int, Any]:
        moved = affected_deadlines(session, body)
        if body.kind == "year_confirmed":
            version = confirm_year(session, body.date.year, body.reason, actor.username, datetime.now(UTC))
        else:
            version = add_override(session, body.date, body.kind == "workday", body.reason, actor.username,
                                   datetime.now(UTC))
        session.commit()
        reprojection = await start_reprojection(client, version.id or 0)
        return 201, OverrideCreated(version=version.id, date=body.date, kind=body.kind, reason=body.reason,
                                    created_by=actor.username, created_at=local_at(version.created_at),
                                    affected=len(moved), reprojection=reprojection)

    return await idempotent(idempotency_key, actor.username, body.model_dump(mode="json"), create)
