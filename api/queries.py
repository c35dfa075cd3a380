"""Read-model queries shared by the JSON API and the pages (SQL only, never Temporal visibility)."""

from __future__ import annotations

import time
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, bindparam, func, or_
from sqlalchemy import select as select_columns
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
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


class ListQuery(NamedTuple):
    """A list request ready to run: its page and count statements, their values, the row type, and the key under
    which a public list's total may be remembered (None for staff, who always get the exact count)."""

    page_query: Select[Any]
    count_query: Select[Any]
    params: dict[str, Any]
    row: type[CommitmentRow] | type[RecordRow]
    public_key: tuple[Any, ...] | None


def _cached_count(query: ListQuery) -> int | None:
    """A public list's large total, remembered for PUBLIC_COUNT_SECONDS, so a busy portal does not count the whole
    table on every page view. Staff always get the exact count, and so does everyone while a list holds fewer
    than CACHE_COUNTS_FROM rows. When the total is due again, the first request counts and the others keep the
    old total meanwhile: ten requests counting at once was the list's p99 (bench/public_list_vs_bare.py)."""
    key, now = query.public_key, time.monotonic()
    if key is None or (hit := _public_counts.get(key)) is None:
        return None
    total, due = hit
    if due <= now:
        _public_counts[key] = (total, now + PUBLIC_COUNT_SECONDS)  # this request counts, the others keep `total`
        return None
    return total


def _remember_count(query: ListQuery, total: int) -> int:
    if query.public_key is not None and total >= CACHE_COUNTS_FROM:
        if len(_public_counts) > 1000:  # searches with many different words: keep the memory bounded
            _public_counts.clear()
        _public_counts[query.public_key] = (total, time.monotonic() + PUBLIC_COUNT_SECONDS)
    return total


def run_list(session: Session, query: ListQuery) -> tuple[list[Any], int]:
    """A page of summary rows and the total, on the request's session (the pages, and SQLite)."""
    conn = session.connection()
    total = _cached_count(query)
    if total is None:
        total = _remember_count(query, conn.execute(query.count_query, query.params).scalar_one())
    return [query.row._make(r) for r in conn.execute(query.page_query, query.params)], total


async def run_list_async(engine: AsyncEngine, query: ListQuery) -> tuple[list[Any], int]:
    """As run_list, on the read engine in the event loop (PostgreSQL, store/db.py create_read_engine): no thread
    hop and no transaction around two reads (autocommit), the most of a list request's cost left to save. A pooled
    connection the database has closed (a restart) is found by using it, not by a ping before every request: the
    pool then drops its older connections and the two reads run again once, on a new one."""
    try:
        return await _read_list(engine, query)
    except DBAPIError as err:
        if not err.connection_invalidated:
            raise
        return await _read_list(engine, query)


async def _read_list(engine: AsyncEngine, query: ListQuery) -> tuple[list[Any], int]:
    async with engine.connect() as conn:
        total = _cached_count(query)
        if total is None:
            total = _remember_count(query, (await conn.execute(query.count_query, query.params)).scalar_one())
        rows = await conn.execute(query.page_query, query.params)
        return [query.row._make(r) for r in rows], total


def commitment_list(actor: Actor | None, *, department: str | None, state: str | None, q: str | None, page: int,
                    page_size: int, ids: list[int] | None = None) -> ListQuery:
    """The commitments `actor` may see, filtered. `ids`: only these commitments (the cases behind a figure of the
    ranking)."""
    own = own_department(actor)
    shape = _ListShape(by_ids=ids is not None, public_only=not reads_all(actor), or_own=own is not None,
                       by_department=bool(department), state="overdue" if state == "overdue" else bool(state),
                       search=bool(q))
    page_query, count_query = _commitment_queries(shape)
    params = {"ids": ids or [], "own": own, "department": department, "state": state, "like": f"%{q}%",
              "offset": (page - 1) * page_size, "limit": page_size}
    key = ("commitment", department, state, q, None if ids is None else tuple(ids))
    return ListQuery(page_query, count_query, params, CommitmentRow, key if actor is None else None)


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


def record_list(actor: Actor | None, *, department: str | None, state: str | None, severity: str | None,
                q: str | None, page: int, page_size: int, ids: list[int] | None = None) -> ListQuery:
    """The public sees records in publicity only (never minor, never after repair or expiry); a department also
    its own department's other records (api/scope.py). `ids`: only these (the cases behind a figure)."""
    own = own_department(actor)
    shape = _ListShape(by_ids=ids is not None, public_only=not reads_all(actor), or_own=own is not None,
                       by_department=bool(department), state=bool(state), search=bool(q), by_severity=bool(severity))
    page_query, count_query = _record_queries(shape)
    params = {"ids": ids or [], "own": own, "department": department, "state": state, "severity": severity,
              "like": f"%{q}%", "offset": (page - 1) * page_size, "limit": page_size}
    key = ("record", department, state, severity, q, None if ids is None else tuple(ids))
    return ListQuery(page_query, count_query, params, RecordRow, key if actor is None else None)


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
