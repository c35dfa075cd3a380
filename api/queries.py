"""Read-model queries shared by the JSON API and the pages (SQL only, never Temporal visibility)."""

from __future__ import annotations

import time
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, bindparam, func, or_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from api.schemas.commitments import SUMMARY_COLUMNS, CommitmentDetail, CommitmentRow, CommitmentSummary
from api.schemas.records import SUMMARY_COLUMNS as RECORD_SUMMARY_COLUMNS
from api.schemas.records import RecordDetail, RecordRow, RecordSummary, RecordTombstone
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


def _count(session: Session, count_query: Any, params: dict[str, Any], public_key: tuple[Any, ...] | None) -> int:
    """Rows matching `query`. For the public lists (same filters for everyone) a large total is remembered
    briefly, so a busy portal does not count the whole table on every page view. Staff always get the
    exact count, and so does everyone while a list holds fewer than CACHE_COUNTS_FROM rows."""
    now = time.monotonic()
    if public_key is not None and (hit := _public_counts.get(public_key)) and hit[1] > now:
        return hit[0]
    total: int = session.connection().execute(count_query, params).scalar_one()
    if public_key is not None and total >= CACHE_COUNTS_FROM:
        if len(_public_counts) > 1000:  # searches with many different words: keep the memory bounded
            _public_counts.clear()
        _public_counts[public_key] = (total, now + PUBLIC_COUNT_SECONDS)
    return total


def list_commitments(session: Session, actor: Actor | None, *, department: str | None, state: str | None,
                     q: str | None, page: int, page_size: int,
                     ids: list[int] | None = None) -> tuple[list[CommitmentRow], int]:
    """A page of summary rows and the total. `ids`: only these commitments (the cases
    behind a figure of the ranking)."""
    own = own_department(actor)
    shape = _ListShape(by_ids=ids is not None, public_only=not reads_all(actor), or_own=own is not None,
                       by_department=bool(department), state="overdue" if state == "overdue" else bool(state),
                       search=bool(q))
    page_query, count_query = _commitment_queries(shape)
    params = {"ids": ids or [], "own": own, "department": department, "state": state, "like": f"%{q}%",
              "offset": (page - 1) * page_size, "limit": page_size}
    key = ("commitment", department, state, q, None if ids is None else tuple(ids))
    total = _count(session, count_query, params, key if actor is None else None)
    return [CommitmentRow._make(r) for r in session.connection().execute(page_query, params)], total


class _ListShape(NamedTuple):
    """Which filters a list request uses; each shape's statements are built once (their values are bound)."""

    by_ids: bool
    public_only: bool
    or_own: bool
    by_department: bool
    state: bool | str  # "overdue" (commitments), or whether one state is asked for
    search: bool
    by_severity: bool = False  # records


@lru_cache(maxsize=128)
def _commitment_queries(shape: _ListShape) -> tuple[Select[Any], Select[Any]]:
    """The page and count statements of a shape. Built once and executed again with new values, a statement
    skips SQLAlchemy's construction, cache-key and result-adaptation work, most of a public list request's
    own cost (bench/public_list_vs_bare.py)."""
    query = select_columns(col(Commitment.id))
    if shape.by_ids:
        query = query.where(col(Commitment.id).in_(bindparam("ids", expanding=True)))
    if shape.public_only:
        visible = col(Commitment.state) != CommitmentState.draft
        if shape.or_own:
            visible = or_(visible, col(Commitment.department_code) == bindparam("own"))
        query = query.where(visible)
    if shape.by_department:
        query = query.where(col(Commitment.department_code) == bindparam("department"))
    if shape.state == "overdue":
        query = query.where(col(Commitment.overdue).is_(True), col(Commitment.state) == CommitmentState.published)
    elif shape.state:
        query = query.where(col(Commitment.state) == bindparam("state"))
    if shape.search:
        like: Any = bindparam("like")
        query = query.where(or_(col(Commitment.title).like(like), col(Commitment.content).like(like)))
    return _page_and_count(query, SUMMARY_COLUMNS, col(Commitment.id), col(Commitment.department_code))


def _page_and_count(query: Select[Any], columns: tuple[Any, ...], id_column: Any,
                    department_column: Any) -> tuple[Select[Any], Select[Any]]:
    """One page of `query`'s rows, newest first, as `columns` and the department's name; and the count of all."""
    page_query = (query.with_only_columns(*columns, col(Department.name))
                  .outerjoin(Department, col(Department.code) == department_column)
                  .order_by(id_column.desc()).offset(bindparam("offset")).limit(bindparam("limit")))
    return page_query, select_columns(func.count()).select_from(query.subquery())


def commitment_summary(row: Commitment | CommitmentRow, departments: dict[str, str] | None = None) -> dict[str, Any]:
    """The summary as the pages read it (a dict of the API's body, api/schemas/commitments.py)."""
    return CommitmentSummary.of(row, departments).model_dump(mode="json")


def department_names(session: Session) -> dict[str, str]:
    return dict(session.exec(select(Department.code, Department.name)).all())


def list_records(session: Session, actor: Actor | None, *, department: str | None, state: str | None,
                 severity: str | None, q: str | None, page: int, page_size: int,
                 ids: list[int] | None = None) -> tuple[list[RecordRow], int]:
    """The public sees records in publicity only (never minor, never after repair or expiry); a department also
    its own department's other records (api/scope.py). `ids`: only these (the cases behind a figure)."""
    own = own_department(actor)
    shape = _ListShape(by_ids=ids is not None, public_only=not reads_all(actor), or_own=own is not None,
                       by_department=bool(department), state=bool(state), search=bool(q), by_severity=bool(severity))
    page_query, count_query = _record_queries(shape)
    params = {"ids": ids or [], "own": own, "department": department, "state": state, "severity": severity,
              "like": f"%{q}%", "offset": (page - 1) * page_size, "limit": page_size}
    key = ("record", department, state, severity, q, None if ids is None else tuple(ids))
    total = _count(session, count_query, params, key if actor is None else None)
    return [RecordRow._make(r) for r in session.connection().execute(page_query, params)], total


@lru_cache(maxsize=128)
def _record_queries(shape: _ListShape) -> tuple[Select[Any], Select[Any]]:
    """The page and count statements of a shape of the record list (as _commitment_queries)."""
    query = select_columns(col(Record.id))
    if shape.by_ids:
        query = query.where(col(Record.id).in_(bindparam("ids", expanding=True)))
    if shape.public_only:
        visible: ColumnElement[bool] = col(Record.public).is_(True)
        if shape.or_own:
            visible = or_(visible, col(Record.department_code) == bindparam("own"))
        query = query.where(visible)
    if shape.by_department:
        query = query.where(col(Record.department_code) == bindparam("department"))
    if shape.state:
        query = query.where(col(Record.state) == bindparam("state"))
    if shape.by_severity:
        query = query.where(col(Record.severity) == bindparam("severity"))
    if shape.search:
        query = query.where(col(Record.facts).like(bindparam("like")))
    return _page_and_count(query, RECORD_SUMMARY_COLUMNS, col(Record.id), col(Record.department_code))


def record_summary(row: Record | RecordRow, departments: dict[str, str] | None = None) -> dict[str, Any]:
    """The summary as the pages read it (a dict of the API's body, api/schemas/records.py)."""
    return RecordSummary.of(row, departments).model_dump(mode="json")


def record_tombstone(row: Record, departments: dict[str, str]) -> dict[str, Any]:
    """What the public may still see of a record that left publicity: that it was repaired or expired."""
    return RecordTombstone.of(row, departments).model_dump(mode="json")


def record_detail(session: Session, row: Record, staff: bool = False) -> dict[str, Any]:
    return RecordDetail.build(session, row, department_names(session), staff).model_dump(mode="json")


def commitment_detail(session: Session, row: Commitment, staff: bool = False) -> dict[str, Any]:
    return CommitmentDetail.build(session, row, department_names(session), staff).model_dump(mode="json")
