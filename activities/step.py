"""One step of a case in one activity and one transaction: its transitions (state, tamper-evident audit event,
the followers' mails and the 归集共享 delivery rows of a public change), its notices' outbox rows and the plans
of the deadlines it opens. Each round trip to the engine costs a workflow task, three history events and a
transaction, so a step that wrote each of these in its own activity cost several times what this does.

Idempotent like the activities it replaces: every row keeps its key (audit event per (case, event key), outbox
row per (case, event, recipient), delivery per (platform, item, event), deadline row per (case, key)), so a
retried step finds what its first attempt committed and writes nothing twice; a concurrent attempt that
inserted first makes this one's transaction fail, and its retry finds the rows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, SQLModel
from temporalio import activity

from activities.deadlines import set_deadline_status_in, write_plan
from activities.followers import queue_follower_mail_in
from activities.notify import queue_notice_in, send_notices
from activities.provisional import alert_admins_once
from activities.push import PUSHED_CASES, queue_deliveries_in, start_deliveries
from activities.transitions import CASE_TABLES, write_transition
from domain.events import is_public_change
from domain.messages import DeliveryStart, Plan, QueuedNotice, StepRequest, StepResult
from store.db import session_scope
from store.models import Department


def write_step(req: StepRequest) -> tuple[StepResult, list[DeliveryStart]]:
    """Everything the step writes, in one transaction; then the provisional-calendar alert (its own row, shared
    by every case of the year, as plan_deadline queues it)."""
    notices: list[QueuedNotice] = []
    deliveries: list[DeliveryStart] = []
    with session_scope() as session:
        pinned = _pin(session, req)  # noqa: F841 — held to the end of the transaction
        for t in req.transitions:
            write_transition(session, t)
            session.flush()  # the followers' mails and the deliveries read the row and the event just written
            notices += queue_follower_mail_in(session, t)
            if t.case.case_type in PUSHED_CASES and is_public_change(t.action, t.to_state):
                deliveries += queue_deliveries_in(session, t)
        for n in req.notices:
            notices += queue_notice_in(session, n)
        projected = [write_plan(session, p) for p in req.plans]
        for c in req.closes:
            set_deadline_status_in(session, c)
    plans: list[Plan] = []
    for p, (deadline, events) in zip(req.plans, projected, strict=True):
        if deadline.provisional:
            notices += alert_admins_once(p.case, deadline.due_date.year, p.at)
        plans.append(Plan(deadline=deadline, events=events, paused=p.spec.paused))
    return StepResult(notices=notices, plans=plans), deliveries


def _pin(session: Session, req: StepRequest) -> list[SQLModel | None]:
    """Load the case's row and its department's once, and hold them for the step. The session's identity map
    holds rows weakly: unheld, every session.get of the step (the transitions, the followers' mails, the
    deliveries, the notices' recipients) would read them again."""
    model = CASE_TABLES.get(req.case.case_type)
    rows = [session.get(model, req.case.case_id)] if model is not None else []
    if req.case.department:
        rows.append(session.get(Department, req.case.department))
    return rows


@activity.defn
async def apply_step(req: StepRequest) -> StepResult:
    """Write the step, then start the delivery workflows of its public changes (their rows are committed by
    then). Returns the notices to deliver, each with its instant, and the plans of the deadlines it opened."""
    result, deliveries = await asyncio.to_thread(write_step, req)
    if deliveries:
        await start_deliveries(activity.client(), deliveries)
    return result


STEP_ACTIVITIES: list[Callable[..., Any]] = [apply_step, send_notices]  # registered by activities/worker.py
