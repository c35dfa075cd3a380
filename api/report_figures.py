"""Monitoring figures as the pages and the API read them, without reading the whole audit log per request.

- A past period never changes (domain/report.py), so once it has been over for GRACE its figures — the cases behind
  every count, per department — are computed from the log once and stored (report_period, report_count).
- The current period (and one that ended less than GRACE ago, while late-logged events may still arrive) is the
  previous period's stored figures carried forward, plus a recount of the cases that have events in the period:
  a case with no event in the period counts only at the period's end (逾期未报告履行, 期末逾期未整改, ...), and
  without an event its state at this end is its state at the last. Only those cases' histories are read.
- That recount is kept in this process while the log's newest event is the same (`log_mark`). New events recount
  only their cases: those above the newest event seen, and those just below it that an older transaction committed
  late (the ids of the last LATE_WINDOW events seen are kept to tell them apart). An emptied log or an event outside
  the period counts again. A full count costs about 60 µs per event of the period (0.9 s at 15,000 events on
  SQLite), so it must not come every few minutes, nor in a request at a province's size.
- Every SAVE_SECONDS a process stores the figures it brought up to date, with that mark and those ids (report_live),
  so a process that starts takes the stored ones and recounts only the cases with events since.
- Every LIVE_SECONDS the period is counted whole once more, for a commit later than the window: one process claims
  it (an UPDATE of the stored `counted_at`) and counts in a thread beside its request, which is answered as usual.

The counting itself is domain.report.compute, the same function the quarterly report and the CLI use, so a stored
or carried figure equals a fresh count (tests/api/test_report_figures.py checks it on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, text, tuple_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from activities.report import CASE_MODELS, REASSIGNMENTS
from domain.profiles import Ranking, load_profile
from domain.report import Figures, LogEntry, Period, compute, period_report
from domain.settings import get_settings
from store.models import AuditEvent, Department, Record, ReportCount, ReportLive, ReportPeriod

GRACE = timedelta(days=7)  # escalations are logged at their due instant, possibly after it: wait before storing
LIVE_SECONDS = 3600.0  # a whole count of the current period at most this old is brought up to date, not redone
SAVE_SECONDS = 60.0  # how often a process stores the current figures it brought up to date
COUNT_RETRY_SECONDS = 300.0  # a whole count that failed is due again this long after, in any process
log = logging.getLogger("chengxin.report_figures")
LATE_WINDOW = 1000  # ids below the newest that a late commit could still fill
# The counts a case makes at a period's end, with its kind: carried forward from the last period when it has no event.
AT_END = {"overdue_at_end": "commitment", "rectification_overdue_at_end": "record",
          "reports_missing_at_end": "integrity_report", "motions_overdue_at_end": "motion"}

Snapshot = dict[str, dict[str, list[int]]]  # department → count (or case_type:count) → the case ids it counted
_stored_cache: dict[str, tuple[str, Snapshot]] = {}


def department_report(session: Session, period: Period) -> dict[str, Any]:
    """The report of one period: every department's figures, ranked, with the formula and definitions (the same
    dict as activities.report.department_report)."""
    return department_reports(session, [period])[0]


def department_reports(session: Session, periods: list[Period]) -> list[dict[str, Any]]:
    figures, rule = department_figures(session, periods)
    return [period_report(p, figs, rule) for p, figs in zip(periods, figures, strict=True)]


def department_figures(session: Session, periods: list[Period]) -> tuple[list[list[Figures]], Ranking]:
    """Each period's figures per department, with the ids of the cases behind each count, and the rule."""
    departments = _departments(session)
    rule = load_profile(get_settings().default_profile).ranking
    now = datetime.now(UTC)
    mark: tuple[Any, ...] | None = None
    out = []
    for p in periods:
        if p.end + GRACE <= now:
            snapshot = _past(session, p)
        else:
            mark = mark or _current_mark(session, departments)
            snapshot = _live(session, p, mark, now)
        out.append(_figures(snapshot, departments, rule))
    return out, rule


def _departments(session: Session) -> dict[str, str]:
    return {d.code: d.name for d in session.exec(select(Department).order_by(col(Department.code)))}


def _current_mark(session: Session, departments: dict[str, str] | None = None) -> tuple[Any, ...]:
    """The log's mark with the departments (a new department counts again)."""
    return (*log_mark(session), tuple(departments if departments is not None else _departments(session)))


def _figures(snapshot: Snapshot, departments: dict[str, str], rule: Ranking) -> list[Figures]:
    out = []
    for code, name in departments.items():
        f = Figures(code, name, rule=rule)
        for key, ids in snapshot.get(code, {}).items():
            f.cases[key] = ids
            f.counts[key.rsplit(":", 1)[-1]] += len(ids)
        out.append(f)
    return sorted(out, key=Figures.order)


def _snapshot(figures: list[Figures]) -> Snapshot:
    return {f.department: {k: list(v) for k, v in f.cases.items() if v} for f in figures if f.cases}


def _past(session: Session, p: Period) -> Snapshot:
    """A period over for GRACE: stored figures, computed from the log the first time they are asked for."""
    row = session.get(ReportPeriod, p.key)
    if row is not None:
        cached = _stored_cache.get(p.key)
        if cached is not None and cached[0] == row.token:
            return cached[1]
        snapshot: Snapshot = {}
        for dept, name, ids in session.exec(select(ReportCount.department_code, ReportCount.name,
                                                   ReportCount.case_ids).where(ReportCount.period_key == p.key)):
            snapshot.setdefault(dept, {})[name] = list(ids)
        _stored_cache[p.key] = (row.token, snapshot)
        return snapshot
    events = session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.at < p.end)).one()
    snapshot = _snapshot(_recount(session, p, col(AuditEvent.at) < p.end))
    _store(session, p, snapshot, events)
    return snapshot


def _store(session: Session, p: Period, snapshot: Snapshot, events: int) -> None:
    """Write a past period's figures in a transaction of their own; a process that stored them first wins (its
    figures are the same)."""
    token = uuid.uuid4().hex
    with Session(session.get_bind()) as writer:
        try:  # the period's row goes first, so a process that lost the race stops at its flush
            writer.add(ReportPeriod(period_key=p.key, token=token, events=events, computed_at=datetime.now(UTC)))
            writer.flush()
            writer.add_all([ReportCount(period_key=p.key, department_code=dept, name=name, value=len(ids),
                                        case_ids=ids)
                            for dept, counts in snapshot.items() for name, ids in counts.items()])
            writer.commit()
        except IntegrityError:
            writer.rollback()
            return
    _stored_cache[p.key] = (token, snapshot)


def log_mark(session: Session) -> tuple[Any, ...]:
    """What changes whenever the log does: its newest event (id and hash, since an emptied SQLite table reuses ids)
    and how many events sit just below it (an older transaction that commits late adds one there). One indexed
    round trip: every public page view asks it."""
    row = session.execute(_MARK, {"window": LATE_WINDOW}).first()
    return (None, None, 0) if row is None else (row[0], row[1], row[2])


_MARK = text("SELECT e.id, e.hash, (SELECT count(*) FROM audit_event b WHERE b.id > e.id - :window) "
             "FROM audit_event e ORDER BY e.id DESC LIMIT 1")


@dataclass(frozen=True)
class _Live:
    """A period's current figures as this process last brought them up to date."""

    mark: tuple[Any, ...]  # the log_mark they include (from the database: its window count is unknown, None)
    counted_at: datetime  # when the whole count they grew from was made
    snapshot: Snapshot
    seen: frozenset[int]  # the ids of the last LATE_WINDOW events they include
    saved: float  # monotonic time they were last written to (or read from) report_live


_live_cache: dict[str, _Live] = {}
_counting: dict[str, threading.Thread] = {}  # the hourly whole count in flight, per period (tests wait for it)


def _live(session: Session, p: Period, mark: tuple[Any, ...], now: datetime) -> Snapshot:
    """The current figures: this process's, or else the last ones any process stored, brought up to date by
    recounting only the cases with events since. A whole count is made here only when there are none to bring up
    to date; the hourly one runs beside the request, in one process at a time (`_count_beside`)."""
    live = _live_cache.get(p.key)
    if live is None or _due(live, now):
        live = _kept(session, p) or live
    if live is not None and _due(live, now):
        live = _count_beside(session, p, live, now)
    if live is not None:
        if live.mark == mark:
            _live_cache[p.key] = live
            return live.snapshot
        if (update := _updated(session, p, live.mark, live.seen, mark, live.snapshot)) is not None:
            live = replace(live, mark=mark, snapshot=update[0], seen=update[1])
            _live_cache[p.key] = _save(session, p, live) if time.monotonic() - live.saved >= SAVE_SECONDS else live
            return live.snapshot
    return _count_whole(session, p, mark, now).snapshot


def _due(live: _Live, now: datetime) -> bool:
    """Whether the whole count the figures grew from is LIVE_SECONDS old."""
    return now - live.counted_at >= timedelta(seconds=LIVE_SECONDS)


def _count_whole(session: Session, p: Period, mark: tuple[Any, ...], now: datetime) -> _Live:
    seen = _seen(session, mark)  # read before the count: an event seen is one the count includes
    live = _save(session, p, _Live(mark, now, _carried(session, p, mark, now), seen, 0.0))
    _live_cache[p.key] = live
    return live


def _count_beside(session: Session, p: Period, live: _Live, now: datetime) -> _Live | None:
    """Claim the hourly whole count of the stored figures (the process whose UPDATE moves their `counted_at` on
    makes it) and make it in a thread of its own, with its own session; meanwhile the figures are brought up to
    date as usual. None when nothing is stored to claim: then the request counts whole."""
    table = ReportLive.__table__  # type: ignore[attr-defined]
    with Session(session.get_bind()) as writer:
        claimed = writer.execute(update(table).where(table.c.period_key == p.key,
                                                     table.c.counted_at == live.counted_at).values(counted_at=now))
        writer.commit()
    if claimed.rowcount == 1:  # type: ignore[attr-defined]
        bind = session.get_bind()
        thread = threading.Thread(target=_count_in_thread, args=(bind, p, now), name=f"figures-{p.key}",
                                  daemon=True)
        _counting[p.key] = thread
        thread.start()
        return replace(live, counted_at=now)  # its saves keep the claim
    return _kept(session, p)  # another process claimed it (its counted_at is now) or the row is gone


def _count_in_thread(bind: Any, p: Period, claimed_at: datetime) -> None:
    try:
        with Session(bind) as session:
            _count_whole(session, p, _current_mark(session), datetime.now(UTC))
    except Exception:
        log.exception("the whole count of the %s figures failed; due again in %.0f s", p.key, COUNT_RETRY_SECONDS)
        _release(bind, p, claimed_at)


def _release(bind: Any, p: Period, claimed_at: datetime) -> None:
    """Give a failed count's claim back, so that any process counts again COUNT_RETRY_SECONDS later rather than
    holding the unchecked figures for the hour the claim stands; not sooner, so a count that keeps failing is not
    retried on every request."""
    retry_at = datetime.now(UTC) - timedelta(seconds=LIVE_SECONDS - COUNT_RETRY_SECONDS)
    table = ReportLive.__table__  # type: ignore[attr-defined]
    with Session(bind) as writer:
        writer.execute(update(table).where(table.c.period_key == p.key, table.c.counted_at == claimed_at)
                       .values(counted_at=retry_at))
        writer.commit()
    if (live := _live_cache.get(p.key)) is not None and live.counted_at == claimed_at:  # its saves keep the claim
        _live_cache[p.key] = replace(live, counted_at=retry_at)


def _kept(session: Session, p: Period) -> _Live | None:
    """The figures another process (or this one, before a restart) stored for the period."""
    row = session.get(ReportLive, p.key, populate_existing=True)  # read again: another process may have claimed it
    if row is None:
        return None
    return _Live((row.newest_id, row.newest_hash, None, tuple(row.departments)), row.counted_at, row.figures,
                 frozenset(row.seen), time.monotonic())


def _save(session: Session, p: Period, live: _Live) -> _Live:
    """Store the figures in a transaction of their own, unless the row holds newer ones (a later event, or a later
    whole count or claim of one) from another process; either is a correct start for the next process, but a
    claim's `counted_at` never goes back, or a second process would claim the count again."""
    if live.mark[0] is None:
        return live
    table = ReportLive.__table__  # type: ignore[attr-defined]
    values = {"newest_id": live.mark[0], "newest_hash": live.mark[1], "departments": list(live.mark[3]),
              "seen": sorted(live.seen), "figures": live.snapshot, "counted_at": live.counted_at,
              "saved_at": datetime.now(UTC)}
    with Session(session.get_bind()) as writer:
        older = or_(and_(table.c.newest_id <= live.mark[0], table.c.counted_at <= live.counted_at),
                    table.c.counted_at < live.counted_at)
        updated = writer.execute(update(table).where(table.c.period_key == p.key, older).values(values))
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            try:
                writer.execute(insert(table).values(period_key=p.key, **values))
            except IntegrityError:  # the row is there and newer
                writer.rollback()
                return replace(live, saved=time.monotonic())
        writer.commit()
    return replace(live, saved=time.monotonic())


def _seen(session: Session, mark: tuple[Any, ...]) -> frozenset[int]:
    """The ids of the last LATE_WINDOW events up to the mark's newest."""
    if mark[0] is None:
        return frozenset()
    return frozenset(i for i in session.exec(select(AuditEvent.id).where(col(AuditEvent.id) > mark[0] - LATE_WINDOW,
                                                                       col(AuditEvent.id) <= mark[0])) if i)


def _case_type(count: str) -> str:
    """The kind of case a count (or `case_type:count`) holds."""
    if ":" in count:
        return count.split(":", 1)[0]
    for prefix, case_type in (("objection", "objection"), ("complaint", "complaint"), ("record", "record"),
                              ("rectifi", "record"), ("repaired", "record"), ("reports_", "integrity_report"),
                              ("motions_", "motion")):
        if count.startswith(prefix):
            return case_type
    return "commitment"


def _updated(session: Session, p: Period, old: tuple[Any, ...], seen: frozenset[int], new: tuple[Any, ...],
             snapshot: Snapshot) -> tuple[Snapshot, frozenset[int]] | None:
    """The figures after new events (those not seen: above the old mark, or committed late just below it), recounting
    only the cases they touched, with the ids seen now; None when that cannot be told apart (the log was emptied,
    the departments changed, or an event landed outside the period): then count again."""
    if old[0] is None or new[0] is None or new[0] < old[0] or old[3] != new[3]:
        return None
    if session.exec(select(AuditEvent.hash).where(AuditEvent.id == old[0])).first() != old[1]:
        return None
    recent = [(event_id or 0, t, i, at) for event_id, t, i, at in session.exec(
        select(AuditEvent.id, AuditEvent.case_type, AuditEvent.case_id, AuditEvent.at)
        .where(col(AuditEvent.id) > old[0] - LATE_WINDOW))]
    rows = [(t, i, at) for event_id, t, i, at in recent if event_id not in seen]
    if any(not p.start <= at < p.end for _, _, at in rows):
        return None
    newest = max(event_id for event_id, *_ in recent)
    now_seen = frozenset(event_id for event_id, *_ in recent if event_id > newest - LATE_WINDOW)
    touched = {(t, i) for t, i, _ in rows if t in CASE_MODELS}
    out: Snapshot = {}
    for dept, counts in snapshot.items():
        for count, ids in counts.items():
            case_type = _case_type(count)
            kept = [i for i in ids if (case_type, i) not in touched]
            if kept:
                out.setdefault(dept, {})[count] = kept
    if touched:
        again = _recount(session, p, tuple_(col(AuditEvent.case_type), col(AuditEvent.case_id)).in_(sorted(touched)))
        for dept, counts in _snapshot(again).items():
            for count, ids in counts.items():
                out.setdefault(dept, {}).setdefault(count, []).extend(ids)
    return out, now_seen


def _carried(session: Session, p: Period, mark: tuple[Any, ...], now: datetime) -> Snapshot:
    """The last period's end-of-period counts of the cases without an event in `p`, and a recount of the others."""
    try:
        before = p.previous()
    except ValueError:  # the first period there is: count it whole
        return _snapshot(_recount(session, p, col(AuditEvent.at) < p.end))
    base = _past(session, before) if before.end + GRACE <= now else _live(session, before, mark, now)
    in_period = and_(col(AuditEvent.at) >= p.start, col(AuditEvent.at) < p.end)
    active: dict[str, set[int]] = {t: set() for t in CASE_MODELS}
    for case_type, case_id in session.exec(select(AuditEvent.case_type, AuditEvent.case_id).distinct()
                                           .where(in_period, col(AuditEvent.case_type).in_(CASE_MODELS))):
        active[case_type].add(case_id)
    snapshot = _snapshot(_recount(session, p, in_period) if any(active.values()) else [])
    for dept, counts in base.items():
        for name, case_type in AT_END.items():
            kept = [i for i in counts.get(name, ()) if i not in active[case_type]]
            if kept:
                snapshot.setdefault(dept, {}).setdefault(name, []).extend(kept)
    return snapshot


def _recount(session: Session, p: Period, touching: Any) -> list[Figures]:
    """domain.report.compute over the whole history of the cases with an event matching `touching` (in the period,
    or before its end for a whole count), and only theirs; plain columns, not ORM rows (100,000 events: ~1 s)."""
    departments = _departments(session)
    touched = select(AuditEvent.case_type, AuditEvent.case_id).where(touching).distinct()
    cases: dict[tuple[str, int], str] = {}
    for case_type, model in CASE_MODELS.items():
        rows = session.exec(select(model.id, model.department_code).where(
            col(model.id).in_(select(AuditEvent.case_id).where(touching, AuditEvent.case_type == case_type))))
        cases.update(((case_type, case_id), dept) for case_id, dept in rows)
    for case_type, action in REASSIGNMENTS:
        rows = session.exec(select(AuditEvent.case_id, AuditEvent.data).where(
            AuditEvent.case_type == case_type, AuditEvent.action == action.value,
            col(AuditEvent.case_id).in_(select(AuditEvent.case_id).where(touching, AuditEvent.case_type == case_type)))
            .order_by(col(AuditEvent.at).desc()))  # the earliest reassignment wins, as activities/report.py
        for case_id, data in rows:
            if data and data.get("department_from"):
                cases[(case_type, case_id)] = data["department_from"]
    log = session.execute(sa_select(col(AuditEvent.case_type), col(AuditEvent.case_id), col(AuditEvent.action),
                                    col(AuditEvent.to_state), col(AuditEvent.at), col(AuditEvent.data))
                          .where(col(AuditEvent.at) < p.end,
                                 tuple_(col(AuditEvent.case_type), col(AuditEvent.case_id)).in_(touched))
                          .order_by(col(AuditEvent.at), col(AuditEvent.id)))
    events = [LogEntry(t, i, a, s, at, d or {}) for t, i, a, s, at, d in log]
    severities = dict(session.exec(select(Record.id, Record.severity).where(
        col(Record.id).in_(select(AuditEvent.case_id).where(touching, AuditEvent.case_type == "record")))).all())
    rule = load_profile(get_settings().default_profile).ranking
    return compute(p, departments, cases, events, {k: v for k, v in severities.items() if k}, rule)
