"""Notices: render the zh-CN templates into the outbox once per (case, event, recipient), then
deliver each row over SMTP once: a retried send finds the row sent, or waits while an earlier attempt holds
its claim. Only a sender that dies between the SMTP hand-over and the `sent` mark can cause a second copy.

Every failed attempt is counted and its error kept on the row; a row that cannot be sent (a permanent refusal,
or the attempt limit) turns `failed`, and the admins get one alert about it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import and_, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.mail_message import compose
from activities.mailer import Mailer
from activities.notice_failures import UnbuildableNotice, describe, is_permanent, one_line
from domain.messages import CASE_TYPE_ZH, CaseRef, NoticeRequest, QueuedNotice
from domain.settings import ROOT, get_settings
from store.calendars import load_calendar
from store.db import session_scope
from store.models import Department, Outbox, User

_env = Environment(
    loader=FileSystemLoader(str(ROOT / "templates" / "emails")),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render(template: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) of an e-mail template."""
    ctx = {"base_url": get_settings().public_base_url, **context}
    subject = one_line(_env.get_template(f"{template}.subject.j2").render(ctx))
    text = _env.get_template(f"{template}.txt.j2").render(ctx)
    html = _env.get_template(f"{template}.html.j2").render(ctx)
    return subject, text, html


def resolve_recipients(session: Session, recipients: list[str]) -> list[str]:
    """Turn recipient roles into addresses (a department's duty mailbox, its supervisor, ...)."""
    settings = get_settings()
    out: list[str] = []
    for r in recipients:
        kind, _, arg = r.partition(":")
        if kind == "department":
            dept = session.get(Department, arg)
            if dept:
                out.append(dept.email)
        elif kind == "supervisor":
            dept = session.get(Department, arg)
            if dept and dept.supervisor_email:
                out.append(dept.supervisor_email)
        elif kind == "credit_office":
            out.append(settings.credit_office_email)
        elif kind == "coordinator":  # 政府办/督查室; where there is none, the credit office acts for it
            staff = [u.email for u in session.exec(select(User).where(User.role == "coordinator")).all() if u.email]
            out += staff or [settings.credit_office_email]
        elif kind == "admins":
            out.append(settings.admin_email)
            out += [u.email for u in session.exec(select(User).where(User.role == "admin")).all() if u.email]
        elif kind == "email" and arg:
            out.append(arg)
    return list(dict.fromkeys(a.strip().lower() for a in out))


def queue_notice_sync(req: NoticeRequest, pending_only: bool = False) -> list[QueuedNotice]:
    """Insert the rows once; return the rows to deliver (all of them, or only those still pending)."""
    with session_scope() as session:
        deliver_at = load_calendar(session).next_send_time(req.at) if req.window else req.at
        addresses = resolve_recipients(session, req.recipients)
        subject, text, html = render(req.template, req.context)
    queued: list[QueuedNotice] = []
    for address in addresses:
        key: dict[str, Any] = dict(case_type=req.case.case_type, case_id=req.case.case_id, event_key=req.event_key,
                                   recipient=address)
        with session_scope() as session:
            row = session.exec(select(Outbox).filter_by(**key)).first()
            if row is not None:
                if not pending_only or row.status in ("pending", "sending"):
                    queued.append(QueuedNotice(outbox_id=row.id or 0, deliver_at=row.deliver_at))
                continue
        try:
            with session_scope() as session:
                row = Outbox(**key, template=req.template, subject=subject, text=text, html=html,
                             deliver_at=deliver_at, created_at=req.at)
                session.add(row)
                session.flush()
                queued.append(QueuedNotice(outbox_id=row.id or 0, deliver_at=deliver_at))
        except IntegrityError:  # a concurrent attempt inserted it first: it delivers
            continue
    return queued


@activity.defn
def queue_notice(req: NoticeRequest) -> list[QueuedNotice]:
    return queue_notice_sync(req)


OUTBOX_KEY = ["case_type", "case_id", "event_key", "recipient"]


def insert_outbox_once(session: Session, **values: Any) -> int | None:
    """Insert an outbox row unless its (case, event, recipient) is taken: the new row's id, or None. One
    statement, outside the ORM's unit of work; an attempt racing another waits for it and then inserts nothing."""
    table = Outbox.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values(status="pending", attempts=0, **values).on_conflict_do_nothing(
        index_elements=OUTBOX_KEY).returning(table.c.id)
    return session.execute(stmt).scalar_one_or_none()


def queued_unless_sent(session: Session, case: CaseRef, event_key: str, recipient: str,
                       still: tuple[str, ...] = ("pending", "sending", "failed")) -> list[QueuedNotice]:
    """The row an earlier attempt queued under this key, while its status is one of `still`."""
    outbox_id, status, deliver_at = session.exec(select(Outbox.id, Outbox.status, Outbox.deliver_at).where(
        Outbox.case_type == case.case_type, Outbox.case_id == case.case_id, Outbox.event_key == event_key,
        Outbox.recipient == recipient)).one()
    return [QueuedNotice(outbox_id=outbox_id or 0, deliver_at=deliver_at)] if status in still else []


def queue_notice_in(session: Session, req: NoticeRequest) -> list[QueuedNotice]:
    """The rows of one notice in the caller's transaction (activities/step.py); a retry finds them and returns
    those not yet sent."""
    deliver_at = load_calendar(session).next_send_time(req.at) if req.window else req.at
    addresses = resolve_recipients(session, req.recipients)
    if not addresses:
        return []
    subject, text, html = render(req.template, req.context)
    queued: list[QueuedNotice] = []
    for address in addresses:
        new = insert_outbox_once(session, case_type=req.case.case_type, case_id=req.case.case_id,
                                 event_key=req.event_key, recipient=address, template=req.template, subject=subject,
                                 text=text, html=html, deliver_at=deliver_at, created_at=req.at)
        if new is not None:
            queued.append(QueuedNotice(outbox_id=new, deliver_at=deliver_at))
        else:
            queued += queued_unless_sent(session, req.case, req.event_key, address)
    return queued


CLAIM_LEASE = timedelta(minutes=10)
SEND_MAX_ATTEMPTS = 30  # with back-off up to 10 minutes: about four hours before a row is marked failed
ALERT_TEMPLATE = "notice_failed"


def max_attempts() -> int:
    """SEND_MAX_ATTEMPTS, or fewer when configured (the workflows' retry policy never allows more)."""
    return max(1, min(get_settings().send_max_attempts, SEND_MAX_ATTEMPTS))


def _claim(outbox_id: int, claimant: str, now: datetime) -> Outbox | None:
    """Take the row for delivery if it is pending, or if a claim went stale (its sender died mid-send).
    None when it is sent; NoticeInFlight while an earlier attempt may still be sending it; NoticeFailed
    (not retried) when it failed for good, so that the workflow alerts the admins even if the attempt that
    marked it died before saying so."""
    with session_scope() as session:
        result = session.execute(
            update(Outbox)
            .where(col(Outbox.id) == outbox_id)
            .where(or_(col(Outbox.status) == "pending",
                       and_(col(Outbox.status) == "sending", col(Outbox.claimed_at) < now - CLAIM_LEASE)))
            .values(status="sending", claimed_by=claimant, claimed_at=now)
        )
        row = session.get(Outbox, outbox_id)
        if row is None or result.rowcount != 1:  # type: ignore[attr-defined]
            if row is not None and row.status == "sending":
                raise ApplicationError(f"notice {outbox_id} is being sent by {row.claimed_by}", type="NoticeInFlight")
            if row is not None and row.status == "failed":
                raise _failed(outbox_id, row.last_error or "")
            return None
        return row


def _failed(outbox_id: int, reason: str) -> ApplicationError:
    return ApplicationError(f"notice {outbox_id} failed: {reason}", type="NoticeFailed", non_retryable=True)


def _record_failure(outbox_id: int, reason: str, final: bool) -> None:
    with session_scope() as session:
        row = session.get(Outbox, outbox_id)
        if row is not None:
            row.attempts += 1
            row.last_error = reason
            row.status = "failed" if final else "pending"
            session.add(row)


@activity.defn
async def send_notice(outbox_id: int) -> bool:
    """Deliver one outbox row; True if this call sent it, False if it was sent already. A row that cannot be
    sent raises: retried while trying again may help, NoticeFailed (not retried) once it is marked failed.

    Async for aiosmtplib; its database steps run in a thread, because a slow or locked database must
    not stall the worker's event loop (and with it every workflow task of this worker). The message is built
    after the claim is committed, so that whatever fails (building it too) is counted on the row."""
    info = activity.info()
    claimant = f"{info.workflow_id}/{info.activity_id}"
    row = await asyncio.to_thread(_claim, outbox_id, claimant, datetime.now(UTC))
    if row is None:
        return False
    try:
        async with Mailer() as mailer:
            await _build_and_send(row, mailer)
    except Exception as exc:
        final = is_permanent(exc) or info.attempt >= max_attempts()
        reason = describe(exc)
        await asyncio.to_thread(_record_failure, outbox_id, reason, final)
        if final:
            raise _failed(outbox_id, reason) from exc
        raise
    await _record_sent([outbox_id])
    return True


def _claim_all(outbox_ids: list[int], claimant: str, now: datetime) -> tuple[list[Outbox], list[Outbox]]:
    """_claim for several rows in one transaction: (claimed, the others as they are)."""
    with session_scope() as session:
        mine = session.scalars(
            update(Outbox)
            .where(col(Outbox.id).in_(outbox_ids))
            .where(or_(col(Outbox.status) == "pending",
                       and_(col(Outbox.status) == "sending", col(Outbox.claimed_at) < now - CLAIM_LEASE)))
            .values(status="sending", claimed_by=claimant, claimed_at=now)
            .returning(Outbox)
        ).all()
        rest = set(outbox_ids) - {r.id for r in mine}  # usually none: then the claim was the one statement
        others = session.exec(select(Outbox).where(col(Outbox.id).in_(rest))).all() if rest else []
        return sorted(mine, key=lambda r: r.id or 0), sorted(others, key=lambda r: r.id or 0)


def _mark_sent(outbox_ids: list[int]) -> None:
    """One statement for all the rows an attempt sent."""
    with session_scope() as session:
        session.execute(update(Outbox).where(col(Outbox.id).in_(outbox_ids))
                        .values(status="sent", attempts=col(Outbox.attempts) + 1, sent_at=datetime.now(UTC)))


async def _record_sent(outbox_ids: list[int]) -> None:
    """The e-mails have left: keep trying to record that, for as long as the claim holds. Failing here
    instead would let a retry send them a second time."""
    give_up = time.monotonic() + CLAIM_LEASE.total_seconds()
    delay = 0.5
    while True:
        try:
            await asyncio.to_thread(_mark_sent, outbox_ids)
            return
        except OperationalError:
            if time.monotonic() + delay > give_up:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)


@activity.defn
async def send_notices(outbox_ids: list[int]) -> list[int]:
    """Deliver the notices of one transition that are due now, each once (claimed like send_notice, all claims
    in one transaction, all `sent` marks in one). Returns the rows that failed for good (the workflow alerts
    the admins); raises, so that Temporal retries the rest, while a row may still go out later."""
    info = activity.info()
    claimant = f"{info.workflow_id}/{info.activity_id}#{info.attempt}"  # an earlier attempt's claim is not ours
    mine, others = await asyncio.to_thread(_claim_all, outbox_ids, claimant, datetime.now(UTC))
    failed = [r.id or 0 for r in others if r.status == "failed"]
    retry = [f"notice {r.id} is being sent by {r.claimed_by}" for r in others if r.status == "sending"]
    sent: list[int] = []
    async with Mailer() as mailer:
        for row in mine:
            try:
                await _build_and_send(row, mailer)
                sent.append(row.id or 0)
            except Exception as exc:
                final = is_permanent(exc) or info.attempt >= max_attempts()
                reason = describe(exc)
                await asyncio.to_thread(_record_failure, row.id or 0, reason, final)
                if final:
                    failed.append(row.id or 0)
                else:
                    retry.append(f"notice {row.id}: {reason}")
    if sent:
        await _record_sent(sent)
    if retry:
        raise ApplicationError("; ".join(retry), type="NoticeNotSent")
    return failed


@activity.defn
def queue_failure_alert(outbox_id: int) -> list[QueuedNotice]:
    """Queue the admins' alert about a notice that failed for good: one outbox row per failed notice, so a
    retried activity or a second call finds it. An alert that fails itself raises no alert of its own."""
    with session_scope() as session:
        row = session.get(Outbox, outbox_id)
        if row is None or row.status != "failed" or row.template == ALERT_TEMPLATE:
            return []
        case = "系统通知" if row.case_type == "system" else \
            f"{CASE_TYPE_ZH.get(row.case_type, row.case_type)}（编号 {row.case_id}）"
        context = {"outbox_id": outbox_id, "case_label": case, "recipient": one_line(row.recipient),
                   "subject": row.subject, "attempts": row.attempts, "error": row.last_error or "未知原因"}
    return queue_notice_sync(NoticeRequest(
        case=CaseRef(case_type="system", case_id=0), event_key=f"notice-failed:{outbox_id}",
        template=ALERT_TEMPLATE, recipients=["admins"], context=context,
        at=activity.info().current_attempt_scheduled_time,
    ), pending_only=True)


async def _build_and_send(row: Outbox, mailer: Mailer) -> None:
    """Make the claimed row into an e-mail and send it; a row that cannot be made into one fails as such."""
    try:
        mail = compose(row)
    except Exception as exc:
        raise UnbuildableNotice(str(exc)) from exc
    await mailer.send(mail)


async def deliver_now(outbox_id: int, claimant: str) -> bool:
    """Send one outbox row from outside a workflow (the API's operator alerts), claimed like send_notice
    so it goes out once. Nothing retries it: a failure marks the row failed, with its error, in
    /api/notices."""
    try:
        row = await asyncio.to_thread(_claim, outbox_id, claimant, datetime.now(UTC))
    except ApplicationError:  # another attempt is sending it
        return False
    if row is None:
        return False
    try:
        async with Mailer() as mailer:
            await mailer.send(compose(row))
    except Exception as exc:
        await asyncio.to_thread(_record_failure, outbox_id, describe(exc), True)
        return False
    await _record_sent([outbox_id])
    return True
