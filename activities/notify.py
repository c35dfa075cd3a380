"""Notices: render the zh-CN templates into the outbox once per (case, event, recipient), then
deliver each row over SMTP once: a retried send finds the row sent, or waits while an earlier attempt holds
its claim. Only a sender that dies between the SMTP hand-over and the `sent` mark can cause a second copy."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.calendar_store import load_calendar
from activities.db import session_scope
from activities.models import Department, Outbox, User
from domain.messages import NoticeRequest, QueuedNotice
from domain.settings import ROOT, get_settings

_env = Environment(
    loader=FileSystemLoader(str(ROOT / "templates" / "emails")),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render(template: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) of an e-mail template."""
    ctx = {"base_url": get_settings().public_base_url, **context}
    subject = _env.get_template(f"{template}.subject.j2").render(ctx).strip()
    text = _env.get_template(f"{template}.txt.j2").render(ctx)
    html = _env.get_template(f"{template}.html.j2").render(ctx)
    return subject, text, html


def resolve_recipients(session, recipients: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
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
        key = dict(case_type=req.case.case_type, case_id=req.case.case_id, event_key=req.event_key, recipient=address)
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


def build_message(row: Outbox) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = get_settings().mail_from
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(row.created_at)
    msg["Message-ID"] = f"<outbox-{row.id}.{row.case_type}-{row.case_id}@chengxin>"
    msg.set_content(row.text)
    msg.add_alternative(row.html, subtype="html")
    return msg


CLAIM_LEASE = timedelta(minutes=10)
SEND_MAX_ATTEMPTS = 30  # with back-off up to 10 minutes: about four hours before a row is marked failed


def _claim(outbox_id: int, claimant: str, now: datetime) -> EmailMessage | None:
    """Take the row for delivery if it is pending, or if a claim went stale (its sender died mid-send).
    None when it is sent or failed; NoticeInFlight while an earlier attempt may still be sending it."""
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
            return None
        return build_message(row)


def _record_failure(outbox_id: int, error: Exception, final: bool) -> None:
    with session_scope() as session:
        row = session.get(Outbox, outbox_id)
        if row is not None:
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            row.status = "failed" if final else "pending"
            session.add(row)


def _mark_sent(outbox_id: int) -> None:
    with session_scope() as session:
        sent = session.get(Outbox, outbox_id)
        if sent is not None:
            sent.status = "sent"
            sent.attempts += 1
            sent.sent_at = datetime.now(UTC)
            session.add(sent)


async def _record_sent(outbox_id: int) -> None:
    """The e-mail has left: keep trying to record that, for as long as the claim holds. Failing here
    instead would let a retry send it a second time."""
    give_up = time.monotonic() + CLAIM_LEASE.total_seconds()
    delay = 0.5
    while True:
        try:
            await asyncio.to_thread(_mark_sent, outbox_id)
            return
        except OperationalError:
            if time.monotonic() + delay > give_up:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)


@activity.defn
async def send_notice(outbox_id: int) -> bool:
    """Deliver one outbox row; True if this call sent it, False if it was sent (or failed for good) already.

    Async for aiosmtplib; its database steps run in a thread, because a slow or locked database must
    not stall the worker's event loop (and with it every workflow task of this worker)."""
    info = activity.info()
    claimant = f"{info.workflow_id}/{info.activity_id}"
    message = await asyncio.to_thread(_claim, outbox_id, claimant, datetime.now(UTC))
    if message is None:
        return False
    try:
        await _smtp_send(message)
    except Exception as exc:
        await asyncio.to_thread(_record_failure, outbox_id, exc, info.attempt >= SEND_MAX_ATTEMPTS)
        raise
    await _record_sent(outbox_id)
    return True


async def _smtp_send(message: EmailMessage) -> None:
    settings = get_settings()
    await aiosmtplib.send(
        message, hostname=settings.smtp_host, port=settings.smtp_port,
        username=settings.smtp_username, password=settings.smtp_password,
        start_tls=settings.smtp_starttls, timeout=30,
    )


async def deliver_now(outbox_id: int, claimant: str) -> bool:
    """Send one outbox row from outside a workflow (the API's operator alerts), claimed like send_notice
    so it goes out once. Nothing retries it: a failure marks the row failed, with its error, in
    /api/notices."""
    try:
        message = await asyncio.to_thread(_claim, outbox_id, claimant, datetime.now(UTC))
    except ApplicationError:  # another attempt is sending it
        return False
    if message is None:
        return False
    try:
        await _smtp_send(message)
    except Exception as exc:
        await asyncio.to_thread(_record_failure, outbox_id, exc, True)
        return False
    await _record_sent(outbox_id)
    return True
