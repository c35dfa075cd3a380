"""The admins' notice that deadlines are being projected on a year whose holiday arrangement is not entered yet
(暂定): queued once per year and admin address, by the first case that meets the year, and delivered by that
case alone.

Every later case (thousands, when a new year's deadlines start) costs one small read: no template is rendered,
nothing is inserted, and no send activity is started, so no case waits on a claim another case holds. The one
outbox row per (year, address) is the outbox's own unique key, taken with INSERT … ON CONFLICT DO NOTHING: two
cases meeting the year at the same moment, on SQLite or PostgreSQL, queue one row, and only the one whose
insert took it delivers it. No migration is needed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from temporalio import activity

from activities.notify import CLAIM_LEASE, insert_outbox_once, render, resolve_recipients
from domain.messages import CaseRef, QueuedNotice
from store.db import session_scope
from store.models import Outbox

TEMPLATE = "provisional_calendar"
SYSTEM_CASE = CaseRef(case_type="system", case_id=0)
# A row still untouched (pending, never attempted) this long after it was queued lost the case that queued it
# (ended or terminated before delivering): the next case that meets the year delivers it instead.
ORPHANED_AFTER: timedelta = CLAIM_LEASE


def event_key(year: int) -> str:
    return f"provisional-calendar:{year}"


def alert_admins_once(case: CaseRef, year: int, at: datetime) -> list[QueuedNotice]:
    """The rows `case` must deliver: those its insert queued now, orphaned ones, and, when this is a retried
    attempt, rows queued at the same instant `at` (an earlier attempt may have queued them and died before
    returning); none when another case has the year's notice in hand. Only a retry can be handed a row another
    case queued in the same millisecond: then both deliver it, and the delivery claim sends it once."""
    key = event_key(year)
    with session_scope() as session:
        addresses = resolve_recipients(session, ["admins"])
        rows = session.exec(select(Outbox).where(
            col(Outbox.case_type) == SYSTEM_CASE.case_type, col(Outbox.case_id) == SYSTEM_CASE.case_id,
            col(Outbox.event_key) == key)).all()
    retry = activity.in_activity() and activity.info().attempt > 1
    ours = [QueuedNotice(outbox_id=r.id or 0, deliver_at=r.deliver_at) for r in rows if r.status == "pending" and (
        (retry and r.created_at == at) or (r.attempts == 0 and r.created_at <= at - ORPHANED_AFTER))]
    known = {r.recipient for r in rows}
    missing = [a for a in addresses if a not in known]
    if not missing:
        return ours
    subject, text, html = render(TEMPLATE, {"year": year, "case_type": case.case_type, "case_id": case.case_id})
    with session_scope() as session:
        for address in missing:
            outbox_id = insert_outbox_once(session, case_type=SYSTEM_CASE.case_type, case_id=SYSTEM_CASE.case_id,
                                           event_key=key, recipient=address, template=TEMPLATE, subject=subject,
                                           text=text, html=html, deliver_at=at, created_at=at)
            if outbox_id is not None:  # this call's insert took the key: this case delivers it
                ours.append(QueuedNotice(outbox_id=outbox_id, deliver_at=at))
    return ours
