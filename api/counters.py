"""Fixed-window hit counters in the database (table rate_counter), so every API replica sees the same
counts. One upsert increments and returns the new count atomically, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.db import get_engine
from store.models import RateCounter


def subject_key(subject: str) -> str:
    """Counters are keyed by a hash: a mistyped password in the username field is never stored."""
    return hashlib.sha256(subject.encode()).hexdigest()


def increment(bucket: str, subject: str, window_start: int, by: int = 1) -> int:
    """Add `by` hits to the window and return its new count."""
    key = subject_key(subject)
    with Session(get_engine()) as session:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        stmt = insert(RateCounter).values(bucket=bucket, subject=key, window_start=window_start, hits=by)
        stmt = stmt.on_conflict_do_update(index_elements=["bucket", "subject", "window_start"],
                                          set_={"hits": col(RateCounter.hits) + by})
        hits = int(session.execute(stmt.returning(col(RateCounter.hits))).scalar_one())
        if hits == by:  # the first hit of a new window: forget windows no limit looks at any more
            session.execute(delete(RateCounter).where(col(RateCounter.bucket) == bucket,
                                                      col(RateCounter.window_start) < window_start - 2 * 86400))
        session.commit()
    return hits


def undo(bucket: str, subject: str, window_start: int) -> None:
    with Session(get_engine()) as session:
        session.execute(update(RateCounter).where(
            col(RateCounter.bucket) == bucket, col(RateCounter.subject) == subject_key(subject),
            col(RateCounter.window_start) == window_start).values(hits=col(RateCounter.hits) - 1))
        session.commit()


def counts(bucket: str, subject: str, windows: list[int]) -> dict[int, int]:
    with Session(get_engine()) as session:
        rows = session.exec(select(RateCounter.window_start, RateCounter.hits).where(
            RateCounter.bucket == bucket, RateCounter.subject == subject_key(subject),
            col(RateCounter.window_start).in_(windows))).all()
    found = {w: h for w, h in rows}
    return {w: found.get(w, 0) for w in windows}


def clear(bucket: str, subject: str) -> None:
    with Session(get_engine()) as session:
        session.execute(delete(RateCounter).where(col(RateCounter.bucket) == bucket,
                                                  col(RateCounter.subject) == subject_key(subject)))
        session.commit()
