"""Read-model queries shared by the JSON API and the pages (SQL only, never Temporal visibility)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from api.schemas.commitments import CommitmentDetail, CommitmentSummary
from api.schemas.records import RecordDetail, RecordSummary, RecordTombstone
from api.scope import own_department, reads_all
from domain.calendar import TZ
from domain.commitment import CommitmentState
from domain.messages import Actor
from store.models import Commitment, Department, Record


def local_iso(at: datetime | None) -> str | None:
    return at.astimezone(TZ).isoformat() if at else None


PUBLIC_COUNT_SECONDS = 2.0  # a public list's total may lag by this much; counting 100k rows costs ~7 ms
CACHE_COUNTS_FROM = 10_000  # smaller totals are cheap to count, and stay exact
_public_counts: dict[tuple[Any, ...], tuple[int, float]] = {}


def _count(session: Session, query: Any, public_key: tuple[Any, ...] | None) -> int:
    """Rows matching `query`. For the public lists (same filters for everyone) a large total is remembered
    briefly, so a busy portal does not count the whole table on every page view. Staff always get the
    exact count, and so does everyone while a list holds fewer than CACHE_COUNTS_FROM rows."""
    now = time.monotonic()
    if public_key is not None and (hit := _public_counts.get(public_key)) and hit[1] > now:
        return hit[0]
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    if public_key is not None and total >= CACHE_COUNTS_FROM:
        if len(_public_counts) > 1000:  # searches with many different words: keep the memory bounded
            _public_counts.clear()
        _public_counts[public_key] = (total, now + PUBLIC_COUNT_SECONDS)
    return total


def list_commitments(session: Session, actor: Actor | None, *, department: str | None, state: str | None,
                     q: str | None, page: int, page_size: int,
                     ids: list[int] | None = None) -> tuple[list[Commitment], int]:
    """`ids`: only these commitments (the cases behind a figure of the ranking)."""
    query = select(Commitment)
    if ids is not None:
        query = query.where(col(Commitment.id).in_(ids))
    if not reads_all(actor):
        visible = col(Commitment.state) != CommitmentState.draft
        if (own := own_department(actor)) is not None:
            visible = or_(visible, col(Commitment.department_code) == own)
        query = query.where(visible)
    if department:
        query = query.where(Commitment.department_code == department)
    if state == "overdue":
        query = query.where(col(Commitment.overdue).is_(True), Commitment.state == CommitmentState.published)
    elif state:
        query = query.where(Commitment.state == state)
    if q:
        like = f"%{q}%"
        query = query.where(or_(col(Commitment.title).like(like), col(Commitment.content).like(like)))
    key = ("commitment", department, state, q, None if ids is None else tuple(ids))
    total = _count(session, query, key if actor is None else None)
    rows = session.exec(query.order_by(col(Commitment.id).desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows), total


def commitment_summary(row: Commitment, departments: dict[str, str] | None = None) -> dict[str, Any]:
    """The summary as the pages read it (a dict of the API's body, api/schemas/commitments.py)."""
    return CommitmentSummary.of(row, departments).model_dump(mode="json")


def department_names(session: Session) -> dict[str, str]:
    return {d.code: d.name for d in session.exec(select(Department))}


def list_records(session: Session, actor: Actor | None, *, department: str | None, state: str | None,
                 severity: str | None, q: str | None, page: int, page_size: int,
                 ids: list[int] | None = None) -> tuple[list[Record], int]:
    """The public sees records in publicity only (never minor, never after repair or expiry); a department also
    its own department's other records (api/scope.py). `ids`: only these (the cases behind a figure)."""
    query = select(Record)
    if ids is not None:
        query = query.where(col(Record.id).in_(ids))
    if not reads_all(actor):
        visible: ColumnElement[bool] = col(Record.public).is_(True)
        if (own := own_department(actor)) is not None:
            visible = or_(visible, col(Record.department_code) == own)
        query = query.where(visible)
    if department:
        query = query.where(Record.department_code == department)
    if state:
        query = query.where(Record.state == state)
    if severity:
        query = query.where(Record.severity == severity)
    if q:
        query = query.where(col(Record.facts).like(f"%{q}%"))
    total = _count(session, query, ("record", department, state, severity, q, None if ids is None else tuple(ids))
                   if actor is None else None)
    rows = session.exec(query.order_by(col(Record.id).desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows), total


def record_summary(row: Record, departments: dict[str, str] | None = None) -> dict[str, Any]:
    """The summary as the pages read it (a dict of the API's body, api/schemas/records.py)."""
    return RecordSummary.of(row, departments).model_dump(mode="json")


def record_tombstone(row: Record, departments: dict[str, str]) -> dict[str, Any]:
    """What the public may still see of a record that left publicity: that it was repaired or expired."""
    return RecordTombstone.of(row, departments).model_dump(mode="json")


def record_detail(session: Session, row: Record, staff: bool = False) -> dict[str, Any]:
    return RecordDetail.build(session, row, department_names(session), staff).model_dump(mode="json")


def commitment_detail(session: Session, row: Commitment, staff: bool = False) -> dict[str, Any]:
    return CommitmentDetail.build(session, row, department_names(session), staff).model_dump(mode="json")
