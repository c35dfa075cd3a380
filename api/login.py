"""Password login for the API and the pages: throttled per account and per client address (the right
password is refused too while a throttle holds), every failure audited, the admin e-mailed once per burst."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import Request
from sqlmodel import Session, select
from starlette.background import BackgroundTask

from activities.notify import deliver_now, queue_notice_sync
from api import counters, ratelimit
from api.auth import authenticate
from api.clientaddr import client_address
from api.problems import Problem
from domain.calendar import TZ
from domain.events import Event
from domain.messages import CaseRef, NoticeRequest
from store.audit_chain import append_audit
from store.db import session_scope
from store.models import AuditEvent, User


@dataclass
class Attempt:
    user: User | None
    refusal: Problem | None = None
    alerts: list[int] = field(default_factory=list)  # outbox rows to send after the response

    def headers(self) -> dict[str, str]:
        if self.refusal is not None and "retry_after" in self.refusal.extra:
            return {"Retry-After": str(self.refusal.extra["retry_after"])}
        return {}

    def background(self) -> BackgroundTask | None:
        return BackgroundTask(_send_alerts, self.alerts) if self.alerts else None


def _throttles(account: str, client: str) -> list[tuple[ratelimit.Limit, str]]:
    return [(ratelimit.LOGIN_ACCOUNT, account), (ratelimit.LOGIN_CLIENT, client)]


def attempt(db: Session, request: Request, username: str, password: str, via: str) -> Attempt:
    """The user if the password is right and no throttle holds; else why not (429 or 401)."""
    client = client_address(request)
    account = username.strip().lower()[:200]
    for limit, subject in _throttles(account, client):
        u = ratelimit.blocked(limit, subject)
        if u is not None:
            return Attempt(None, ratelimit.refusal(u))
    user = authenticate(db, username, password)
    if user is not None:
        counters.clear(ratelimit.LOGIN_ACCOUNT.bucket, account)  # the owner is back: forget their typos
        return Attempt(user)
    known = _audit_failure(username, client, via)
    alerts: list[int] = []
    for limit, subject in _throttles(account, client):
        u = ratelimit.hit_subject(limit, subject)
        if u.estimate() >= limit.limit:
            alerts += _queue_alert(u, subject, known, client)
    return Attempt(None, Problem(401, "用户名或密码错误"), alerts)


def _audit_failure(username: str, client: str, via: str) -> User | None:
    """One audit row per failed login, under the account (user-{id}) when it exists; what was typed
    for an unknown account is not kept (it may be a password typed into the wrong field)."""
    with session_scope() as db:
        user = db.exec(select(User).where(User.username == username)).first()
        reason = "密码错误" if user is not None and user.active else "账号不存在或已停用"
        append_audit(db, AuditEvent(case_type="user", case_id=(user.id or 0) if user else 0,
                          event_key=f"{Event.login_failed.value}-{uuid.uuid4().hex}", action=Event.login_failed.value,
                          actor=user.username if user else "（未知账号）", role=user.role if user else "",
                          reason=f"登录失败（{reason}），来自 {client}，经由{'接口' if via == 'api' else '登录页'}",
                          at=datetime.now(UTC), data={"client": client, "via": via}))
    return user


def _queue_alert(u: ratelimit.Usage, subject: str, known: User | None, client: str) -> list[int]:
    """The admin's e-mail for this burst: one outbox row per (subject, window), so a burst alerts once."""
    per_account = u.limit is ratelimit.LOGIN_ACCOUNT
    if per_account:
        what = f"账号 {known.username}" if known else "一个不存在的账号名"
    else:
        what = f"地址 {client}"
    now = datetime.now(UTC)
    until = datetime.fromtimestamp(u.now + u.retry_after(), TZ)
    req = NoticeRequest(
        case=CaseRef(case_type="user", case_id=(known.id or 0) if known and per_account else 0),
        event_key=f"login_burst-{u.limit.bucket}-{counters.subject_key(subject)[:24]}-{u.window_start}",
        template="login_burst", recipients=["admins"], at=now,
        context={"what": what, "kind": "账号" if per_account else "地址", "failures": round(u.estimate()),
                 "minutes": u.limit.seconds // 60, "client": client, "at": f"{now.astimezone(TZ):%Y-%m-%d %H:%M}",
                 "until": f"{until:%H:%M}"})
    return [q.outbox_id for q in queue_notice_sync(req, pending_only=True)]


async def _send_alerts(outbox_ids: list[int]) -> None:
    for outbox_id in outbox_ids:
        await deliver_now(outbox_id, "api-login-alert")
