"""Per-client limits on public filings, tracking-code guesses and failed logins (429 with Retry-After).

Counts live in the database (api.counters), so every API replica enforces the same limit. A limit looks
at the current fixed window plus the previous one weighted by how much of it still overlaps the last
`seconds` (a sliding-window estimate: no burst of twice the limit at a window boundary)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from datetime import datetime

from fastapi import Request
from sqlalchemy import delete
from sqlmodel import Session

from api import counters
from api.clientaddr import client_address
from api.problems import Problem
from domain.calendar import TZ
from store.db import get_engine
from store.models import RateCounter


@dataclass(frozen=True)
class Limit:
    bucket: str
    limit: int
    seconds: int
    message: str  # what was refused, in Chinese; the time to retry is added


SUBMISSION = Limit("submission", 10, 3600, "提交过于频繁")  # filings per client per hour
TRACKING_MISS = Limit("tracking_miss", 20, 600, "错误的查询码过多")  # wrong codes per client per 10 minutes
LOGIN_ACCOUNT = Limit("login_account", 5, 900, "该账号登录失败次数过多")  # failed logins per account
LOGIN_CLIENT = Limit("login_client", 20, 900, "登录失败次数过多")  # failed logins per client address
UPLOAD = Limit("upload", 30, 3600, "上传过于频繁")  # uploads without an account per client per hour
LIMITS = {x.bucket: x for x in (SUBMISSION, TRACKING_MISS, LOGIN_ACCOUNT, LOGIN_CLIENT, UPLOAD)}


def client_key(request: Request) -> str:
    return client_address(request)


@dataclass(frozen=True)
class Usage:
    limit: Limit
    now: float
    current: int
    previous: int

    @property
    def window_start(self) -> int:
        return int(self.now // self.limit.seconds * self.limit.seconds)

    def estimate(self, at: float | None = None) -> float:
        """Hits within the last `seconds` before `at`, assuming no more come."""
        at = self.now if at is None else at
        s, start = self.limit.seconds, self.window_start
        if at >= start + s:  # the current window has become the previous one
            return self.current * max(0.0, 1 - (at - start - s) / s)
        return self.current + self.previous * (1 - (at - start) / s)

    def retry_after(self) -> int:
        """Seconds until the estimate drops below the limit."""
        s, start, limit = self.limit.seconds, self.window_start, self.limit.limit
        if self.current < limit and self.previous:
            at = start + s * (1 - (limit - self.current) / self.previous)
        else:
            at = start + s + s * (1 - limit / max(self.current, 1))
        return max(1, math.ceil(at - self.now) + 1)


def usage(limit: Limit, subject: str, now: float | None = None) -> Usage:
    now = time.time() if now is None else now
    start = int(now // limit.seconds * limit.seconds)
    found = counters.counts(limit.bucket, subject, [start, start - limit.seconds])
    return Usage(limit, now, found[start], found[start - limit.seconds])


def refusal(u: Usage) -> Problem:
    """429 saying when to try again, as seconds (Retry-After) and as a local time (for people)."""
    retry = u.retry_after()
    when = datetime.fromtimestamp(u.now + retry, TZ)
    minutes = max(1, math.ceil(retry / 60))
    return Problem(429, f"{u.limit.message}，请在 {when:%H:%M} 后再试（约 {minutes} 分钟后）", retry_after=retry)


def blocked(limit: Limit, subject: str) -> Usage | None:
    """The usage if the subject is at or over the limit now; else None."""
    u = usage(limit, subject)
    return u if u.estimate() >= limit.limit else None


def check_subject(limit: Limit, subject: str) -> None:
    u = blocked(limit, subject)
    if u is not None:
        raise refusal(u)


def hit_subject(limit: Limit, subject: str) -> Usage:
    """Count one hit; the usage after it."""
    now = time.time()
    start = int(now // limit.seconds * limit.seconds)
    current = counters.increment(limit.bucket, subject, start)
    previous = counters.counts(limit.bucket, subject, [start - limit.seconds])[start - limit.seconds]
    return Usage(limit, now, current, previous)


def take_subject(limit: Limit, subject: str) -> None:
    """Count first, then compare: concurrent requests on any replica cannot all slip through. A refused
    request gives its hit back, so waiting clients are not kept out longer."""
    u = hit_subject(limit, subject)
    if u.estimate() > limit.limit:
        counters.undo(limit.bucket, subject, u.window_start)
        # room for one more hit means the estimate must fall below limit - 1
        tighter = replace(limit, limit=limit.limit - 1)
        raise refusal(Usage(tighter, u.now, u.current - 1, u.previous))


def check(request: Request, limit: Limit) -> None:
    """Refuse with 429 while the client is at the limit."""
    check_subject(limit, client_key(request))


def take(request: Request, limit: Limit) -> None:
    take_subject(limit, client_key(request))


def hit(request: Request, limit: Limit) -> None:
    hit_subject(limit, client_key(request))


def reset() -> None:
    """For tests: forget every count."""
    with Session(get_engine()) as session:
        session.execute(delete(RateCounter))
        session.commit()
