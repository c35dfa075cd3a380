"""归集共享, sending side: a public change of a record or commitment becomes one delivery per receiving platform
(domain/sharing.py says which), each sent by its own workflow (workflows/delivery.py) until the receiver's
signed receipt comes back.

Idempotent throughout: a delivery row is keyed by (platform, item, event) and its delivery id never changes,
so a retried queueing finds its rows and a retried push is recognised by the receiver; the body is built once,
from the item's public face at the change, and only its signature is made anew per attempt.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import httpx
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from activities.jurisdiction import department_profile
from domain.calendar import TZ, end_of_day
from domain.commitment import KINDS
from domain.commitment import STATE_LABELS_ZH as COMMITMENT_STATES
from domain.events import Event, is_public_change
from domain.messages import DeliveryStart, Transition
from domain.record import CATEGORIES, SEVERITIES
from domain.record import STATE_LABELS_ZH as RECORD_STATES
from domain.settings import get_settings
from domain.sharing import (
    KEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Push,
    PushItem,
    Receipt,
    is_retraction,
    platform_receives,
    sign,
    signature_ok,
)
from store.calendars import load_calendar
from store.db import session_scope
from store.models import AuditEvent, Commitment, Delivery, Department, Platform, Record

PUSHED_CASES = ("commitment", "record")
PUSH_TIMEOUT_SECONDS = 15


def _item(session: Session, case_type: str, case_id: int) -> tuple[PushItem, str | None, str, bool] | None:
    """(public face, severity, state, public now) of the item, or None if it is not one the public knows."""
    if case_type == "record":
        r = session.get(Record, case_id)
        if r is None or r.published_at is None:
            return None
        name = _department_name(session, r.department_code)
        face = PushItem(title=f"{name}{CATEGORIES.get(r.category, r.category)}", department_code=r.department_code,
                        department_name=name, state=r.state, state_label=RECORD_STATES.get(r.state, r.state),
                        fields={"类别": CATEGORIES.get(r.category, r.category),
                                "严重程度": SEVERITIES.get(r.severity, r.severity),
                                "认定日期": r.decision_date.isoformat(), "公示截止": r.publicity_ends.isoformat(),
                                "逾期未整改": r.rectification_overdue, "异议处理中": r.objection_pending})
        return face, r.severity, r.state, r.public
    if case_type == "commitment":
        c = session.get(Commitment, case_id)
        if c is None or c.published_at is None:
            return None
        name = _department_name(session, c.department_code)
        face = PushItem(title=c.title, department_code=c.department_code, department_name=name, state=c.state,
                        state_label=COMMITMENT_STATES.get(c.state, c.state),
                        fields={"承诺类型": KINDS.get(c.kind, c.kind), "承诺期限": c.due_date.isoformat(),
                                "逾期": c.overdue, "经变更": c.amended, "异议处理中": c.objection_pending})
        return face, None, c.state, c.state != "draft"
    return None


def _department_name(session: Session, code: str) -> str:
    d = session.get(Department, code)
    return d.name if d is not None else code


def _retraction_due(session: Session, department: str, at: datetime) -> datetime | None:
    """A retraction must reach every platform within the profile's period (notify_platforms, working days)."""
    period = department_profile(session, department).tracked("notify_platforms")
    if period is None or not period.working_days:
        return None
    start = at.astimezone(TZ).date()
    return end_of_day(load_calendar(session).shift_working_days(start, period.working_days))


def queue_deliveries_sync(t: Transition) -> list[DeliveryStart]:
    """One row per platform that receives this change; the rows already there (a retry) are returned too."""
    with session_scope() as session:
        return queue_deliveries_in(session, t)


def _active_platforms(session: Session) -> list[Platform]:
    """The receiving platforms, read once per transaction (a step with two public transitions asks twice)."""
    if "active_platforms" not in session.info:
        session.info["active_platforms"] = list(session.exec(select(Platform).where(col(Platform.active).is_(True))))
    return list(session.info["active_platforms"])


def queue_deliveries_in(session: Session, t: Transition) -> list[DeliveryStart]:
    """queue_deliveries_sync in the caller's transaction (activities/step.py), after the change is written in it."""
    settings = get_settings()
    platforms = _active_platforms(session)
    if not platforms:
        return []
    found = _item(session, t.case.case_type, t.case.case_id)
    if found is None:
        return []
    face, severity, state, public = found
    event = session.exec(select(AuditEvent).where(
        AuditEvent.case_type == t.case.case_type, AuditEvent.case_id == t.case.case_id,
        AuditEvent.event_key == t.event_key)).first()
    if event is None or event.id is None:
        raise LookupError(f"audit event {t.event_key} of {t.case.case_type} {t.case.case_id} is not written")
    retract = is_retraction(t.case.case_type, state, public)
    due_at = _retraction_due(session, face.department_code, t.at) if retract else None
    starts: list[DeliveryStart] = []
    for p in platforms:
        if not platform_receives(t.case.case_type, severity, t.action, record_severities=p.record_severities
                                 or [], commitments=p.commitments, all_changes=p.all_changes):
            continue
        row = session.exec(select(Delivery).where(
            Delivery.platform_id == p.id, Delivery.item_type == t.case.case_type,
            Delivery.item_id == t.case.case_id, Delivery.event_key == t.event_key)).first()
        if row is None:
            uid = uuid.uuid4().hex
            push = Push(delivery_id=uid, sender=p.sender_code, item_type=t.case.case_type,  # type: ignore[arg-type]
                        item_id=t.case.case_id, version=event.id, change=t.action,
                        change_label=Event.label_of(t.action), changed_at=t.at, retract=retract,
                        url=f"{settings.public_base_url}/{t.case.case_type}s/{t.case.case_id}",
                        item=None if retract else face)
            row = Delivery(uid=uid, platform_id=p.id or 0, item_type=t.case.case_type, item_id=t.case.case_id,
                           event_key=t.event_key, version=event.id, retract=retract,
                           body=push.model_dump_json(), created_at=t.at, due_at=due_at)
            session.add(row)
            session.flush()
        starts.append(DeliveryStart(delivery_id=row.id or 0, uid=row.uid, case=t.case, platform=p.name,
                                    title=face.title, due_at=row.due_at,
                                    max_interval_seconds=settings.push_max_interval_seconds))
    return starts


class DeliveryStarter:
    """Holds the worker's Temporal client: each delivery runs in its own workflow, started here."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="queue_deliveries")
    async def queue_deliveries(self, t: Transition) -> int:
        """Queue this change for every platform that receives it and start each delivery's workflow (a
        delivery already started keeps running). Returns how many deliveries the change has."""
        if t.case.case_type not in PUSHED_CASES or not is_public_change(t.action, t.to_state):
            return 0
        starts = await asyncio.to_thread(queue_deliveries_sync, t)
        await start_deliveries(self.client, starts)
        return len(starts)


async def start_deliveries(client: Client, starts: list[DeliveryStart]) -> None:
    """Start each delivery's workflow once its row is committed (a delivery already started keeps running)."""
    from workflows.delivery import DeliveryWorkflow  # workflows.common passes this module to the sandbox

    for s in starts:
        await client.start_workflow(
            DeliveryWorkflow.run, s, id=f"delivery-{s.uid}", task_queue=activity.info().task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING)


class PushRefused(Exception):
    """The receiver did not confirm the delivery (down, refused it, or its receipt did not check out)."""


@activity.defn
def push_delivery(delivery_id: int) -> None:
    """Send the delivery once, signed with the platform's current key; keep the receiver's signed receipt.
    Raises (so Temporal retries with back-off) until a receipt that checks out comes back."""
    with session_scope() as session:
        row = session.get(Delivery, delivery_id)
        if row is None:
            raise LookupError(f"delivery {delivery_id} is not in the database")
        if row.delivered_at is not None:
            return
        platform = session.get(Platform, row.platform_id)
        assert platform is not None
        url, key_id, secret, body = platform.url, platform.key_id, platform.secret, row.body.encode()
        uid = row.uid
    error: str | None = None
    receipt: Receipt | None = None
    ts = int(time.time())
    try:
        r = httpx.post(url, content=body, timeout=PUSH_TIMEOUT_SECONDS, headers={
            "Content-Type": "application/json", KEY_HEADER: key_id, TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign(secret, ts, body)})
        if r.status_code != 200:
            error = f"接收平台返回 {r.status_code}：{_detail(r)}"
        else:
            receipt = _checked_receipt(r, secret, uid)
            if receipt is None:
                error = "回执签名或内容不符，未视为送达"
    except httpx.HTTPError as err:
        error = f"无法连接接收平台：{type(err).__name__}"
    now = datetime.now(UTC)
    with session_scope() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        row.attempts += 1
        row.last_attempt_at = now
        if receipt is not None:
            row.delivered_at = now
            row.receipt = receipt.model_dump(mode="json")
            row.last_error = None
        else:
            row.last_error = error
        session.add(row)
    if receipt is None:
        raise PushRefused(error)


def _detail(r: httpx.Response) -> str:
    try:
        return str(r.json().get("detail", ""))[:200]
    except (ValueError, AttributeError):
        return r.text[:200]


def _checked_receipt(r: httpx.Response, secret: str, uid: str) -> Receipt | None:
    try:
        ts = int(r.headers.get(TIMESTAMP_HEADER, ""))
    except ValueError:
        return None
    if not signature_ok(secret, ts, r.content, r.headers.get(SIGNATURE_HEADER, "")):
        return None
    try:
        receipt = Receipt.model_validate(json.loads(r.content))
    except ValueError:
        return None
    return receipt if receipt.delivery_id == uid else None


@activity.defn
def mark_delivery_overdue(delivery_id: int) -> bool:
    """The retraction is past its period: note it on the delivery (the workflow then tells the credit office).
    False when it was delivered meanwhile. A retry keeps the first instant."""
    with session_scope() as session:
        row = session.get(Delivery, delivery_id)
        if row is None or row.delivered_at is not None:
            return False
        if row.escalated_at is None:
            row.escalated_at = datetime.now(UTC)
            session.add(row)
        return True
