"""`Idempotency-Key` for creates: a repeat of the same request returns the first response."""

from __future__ import annotations

import asyncio
import hashlib
import json
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from api.problems import Problem
from store.db import get_engine
from store.models import IdempotencyRecord

ABANDONED_AFTER = timedelta(minutes=2)
# One claim at a time per (principal, key) in this process. The claim runs in a thread, so without this two
# requests with the same key (a double click) could both find no record and both take a rate-limit slot before
# one of them lost the insert. With it, the second finds the first's record, as it did when the claim ran in
# the event loop. Across processes the unique key still decides; only the slot may then be spent twice.
_claim_locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()


async def idempotent(key: str | None, principal: str, request_body: Any,
                     create: Callable[[], Awaitable[tuple[int, Any]]],
                     admit: Callable[[], None] | None = None) -> JSONResponse:
    """Run `create` once per (principal, key); store and replay its (status, body). `admit` (a rate limit)
    runs only when `create` is about to run: a replay or a refused repeat costs nothing."""
    admit = admit or (lambda: None)
    if not key:
        admit()
        status, body = await create()
        return JSONResponse(jsonable_encoder(body), status_code=status)
    if len(key) > 200:
        raise Problem(400, "Idempotency-Key 过长（最多 200 个字符）")
    digest = hashlib.sha256(json.dumps(jsonable_encoder(request_body), sort_keys=True).encode()).hexdigest()
    with Session(get_engine(), expire_on_commit=False) as session:
        # The record's writes run in a thread: on SQLite a write waits for the database's write lock, and
        # waiting in the event loop would stall every other request of the process meanwhile.
        lock = _claim_locks.get((principal, key)) or _claim_locks.setdefault((principal, key), asyncio.Lock())
        async with lock:
            record, replay = await run_in_threadpool(_claim, session, principal, key, digest, admit)
        if replay is not None:
            return replay
        try:
            status, body = await create()
        except BaseException:  # in the loop: a cancelled request must still give its key back at once
            session.delete(record)
            session.commit()
            raise
        encoded = jsonable_encoder(body)
        record.status_code, record.body = status, encoded
        await run_in_threadpool(_save, session, record)
    return JSONResponse(encoded, status_code=status)


def _claim(session: Session, principal: str, key: str, digest: str,
           admit: Callable[[], None]) -> tuple[IdempotencyRecord, JSONResponse | None]:
    """The key's record, claimed for this request; or the stored response to replay."""
    record = session.exec(select(IdempotencyRecord).where(
        IdempotencyRecord.principal == principal, IdempotencyRecord.key == key)).first()
    if record is None:
        admit()
        record = IdempotencyRecord(principal=principal, key=key, request_hash=digest, created_at=datetime.now(UTC))
        session.add(record)
        try:
            session.commit()
        except IntegrityError:
            raise Problem(409, "相同 Idempotency-Key 的请求正在处理，请稍后重试") from None
    elif record.request_hash != digest:
        raise Problem(422, "Idempotency-Key 已用于另一个不同的请求",
                      errors=[{"field": "Idempotency-Key", "message": "已用于不同的请求"}])
    elif record.status_code is None and record.created_at > datetime.now(UTC) - ABANDONED_AFTER:
        raise Problem(409, "相同 Idempotency-Key 的请求正在处理，请稍后重试")
    elif record.status_code is None:  # its process died mid-request: this repeat takes it over
        admit()
        record.created_at = datetime.now(UTC)
        session.add(record)
        session.commit()
    else:
        return record, JSONResponse(record.body, status_code=record.status_code,
                                    headers={"Idempotent-Replayed": "true"})
    return record, None


def _save(session: Session, record: IdempotencyRecord) -> None:
    session.add(record)
    session.commit()


def claim_action_key(session: Session, principal: str, action: str, key: str, request_body: Any) -> None:
    """An Idempotency-Key on an action (`action` names the case and the step): the workflow replays the first
    outcome for the same key (it is the Update id), so this only has to refuse the same key sent with a different
    body, as creates do."""
    if len(key) > 200:
        raise Problem(400, "Idempotency-Key 过长（最多 200 个字符）")
    digest = hashlib.sha256(json.dumps(jsonable_encoder(request_body), sort_keys=True).encode()).hexdigest()
    scoped = "action:" + hashlib.sha256(f"{action}:{key}".encode()).hexdigest()
    existing = session.exec(select(IdempotencyRecord.request_hash).where(
        IdempotencyRecord.principal == principal, IdempotencyRecord.key == scoped)).first()
    if existing is None:
        session.add(IdempotencyRecord(principal=principal, key=scoped, request_hash=digest,
                                      created_at=datetime.now(UTC)))
        try:
            session.commit()
        except IntegrityError:  # the same key at the same moment: the other request's body decides
            session.rollback()
            existing = session.exec(select(IdempotencyRecord.request_hash).where(
                IdempotencyRecord.principal == principal, IdempotencyRecord.key == scoped)).one()
    if existing is not None and existing != digest:
        raise Problem(422, "Idempotency-Key 已用于另一个不同的请求",
                      errors=[{"field": "Idempotency-Key", "message": "已用于不同的请求"}])
