"""Stored and carried monitoring figures (api/report_figures.py) equal a fresh count from the whole audit log
(activities.report.department_figures), for past and current quarters, months and years, before and after new
events arrive in the current period; the pages read the stored figures. Runs on SQLite and, with DATABASE_URL,
on PostgreSQL."""

from __future__ import annotations

import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import func, select

from activities.report import department_figures as fresh_figures
from api import report_figures
from api.validation import today_local
from domain.report import Figures, Period, parse_period, quarter_of
from store.db import get_engine, session_scope
from store.models import AuditEvent, Commitment, ReportCount, ReportLive, ReportPeriod

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from history import seed_history  # noqa: E402

DEPARTMENTS = ["fgw", "scjg", "zjj", "jyj"]


def _view(figures: list[Figures]) -> dict[str, dict[str, object]]:
    """Counts and the cases behind them (as sets: the order they were found in is not a figure)."""
    return {f.department: {"counts": f.counts, "cases": {k: sorted(v) for k, v in f.cases.items() if v},
                           "score": f.score} for f in figures}


def _periods() -> list[Period]:
    current = quarter_of(today_local())
    year, month = today_local().year, today_local().month
    months = [parse_period(f"{year}-{month:02d}"), parse_period(f"{year}-{month:02d}").previous(1),
              parse_period(f"{year}-{month:02d}").previous(7)]
    return [current.previous(n) for n in range(0, 9)] + months + [parse_period(str(year)),
                                                                  parse_period(str(year - 1))]


def _assert_same(periods: list[Period]) -> None:
    report_figures._stored_cache.clear()
    with session_scope() as session:
        fresh, _ = fresh_figures(session, periods)
        kept, _ = report_figures.department_figures(session, periods)  # stores the past, carries the current
        again, _ = report_figures.department_figures(session, periods)  # read back
    for p, a, b, c in zip(periods, fresh, kept, again, strict=True):
        assert _view(b) == _view(a), p.key
        assert _view(c) == _view(a), p.key
        assert sum(sum(f.counts.values()) for f in a) > 0 or p.start > datetime.now(UTC), p.key


def test_stored_and_carried_figures_equal_a_fresh_count_also_after_new_events() -> None:
    now = datetime.now(UTC)
    with get_engine().begin() as conn:
        cases, events = seed_history(conn, cases=400, events=3600, now=now, departments=DEPARTMENTS, years=2.5)
    assert cases == 400 and events >= 3600
    periods = _periods()
    _assert_same(periods)
    with session_scope() as session:
        stored = {r.period_key: parse_period(r.period_key) for r in session.exec(select(ReportPeriod))}
    over = {p.key for p in periods if p.end + report_figures.GRACE <= now}
    assert over and over <= set(stored)  # past periods stored once (and the last one before a recent period)
    assert all(p.end + report_figures.GRACE <= now for p in stored.values())  # the current one is not

    # New events in the current period: a commitment overdue since last year is fulfilled, another falls overdue,
    # a new one is published. The carried figures follow at once; the stored ones stay as they were.
    with session_scope() as session:
        open_ones = session.exec(select(Commitment).where(Commitment.state == "published")
                                 .order_by(Commitment.id)).all()  # type: ignore[arg-type]
        late = next(c for c in open_ones if c.overdue)
        on_time = next(c for c in open_ones if not c.overdue)
        at = now - timedelta(seconds=30)
        for case_id, seq, action, to_state, data in (
                (late.id, 100, "fulfilment_reported", "reported", None),
                (late.id, 101, "verified_accepted", "fulfilled", None),
                (on_time.id, 100, "overdue", None, {"set": {"overdue": True}}),
                (open_ones[-1].id, 100, "published", "published", None)):
            session.add(AuditEvent(case_type="commitment", case_id=case_id or 0, event_key=f"new-{seq}-{action}",
                                   action=action, to_state=to_state, actor="t", role="department", at=at,
                                   data=data, seq=seq, hash=f"{case_id}{seq}"))
        late.state = "fulfilled"
        on_time.overdue = True
    _assert_same(periods)


async def test_ranking_page_reads_the_stored_figures_of_a_past_period(api) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    with get_engine().begin() as conn:
        seed_history(conn, cases=120, events=900, now=now, departments=DEPARTMENTS, years=2)
    past = quarter_of(today_local()).previous(2)
    with session_scope() as session:
        report_figures.department_figures(session, [past])
        row = session.exec(select(ReportCount).where(ReportCount.period_key == past.key,
                                                     ReportCount.name == "commitments_made")).first()
        assert row is not None
        row.case_ids = list(range(9001, 9001 + 77))  # what the page shows comes from here, not from the log
        session.get(ReportPeriod, past.key).token = "changed"  # type: ignore[union-attr]
        dept = row.department_code
    page = (await api.get("/ranking", params={"period": past.key})).text
    assert f"/commitments?period={past.key}&amp;department={dept}&amp;figure=commitments_made\">77<" in page


def test_a_past_period_stored_by_another_process_first_is_read_not_an_error() -> None:
    """Two first visitors at once each count a past period; the one that stores second keeps the first's figures
    (the same ones) instead of failing the page."""
    now = datetime.now(UTC)
    with get_engine().begin() as conn:
        seed_history(conn, cases=60, events=400, now=now, departments=DEPARTMENTS, years=1)
    past = quarter_of(today_local()).previous(2)
    report_figures._stored_cache.clear()
    with session_scope() as session:
        first, _ = report_figures.department_figures(session, [past])
        report_figures._store(session, past, {"fgw": {"commitments_made": [1]}}, 1)  # the loser of the race
        report_figures._stored_cache.clear()
        again, _ = report_figures.department_figures(session, [past])
    assert _view(again[0]) == _view(first[0])


def test_an_event_committed_late_below_the_newest_is_counted_by_recounting_only_its_case(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL an id is taken before its transaction commits, so an older transaction's event can appear below
    the newest one already counted: the current figures take it in by recounting its case, not the whole period."""
    now = datetime.now(UTC)
    with get_engine().begin() as conn:
        seed_history(conn, cases=200, events=1500, now=now, departments=DEPARTMENTS, years=1)
    current = quarter_of(today_local())
    with session_scope() as session:
        newest = session.exec(select(func.max(AuditEvent.id))).one() or 0
        late = next(c for c in session.exec(select(Commitment).where(Commitment.state == "published")
                                            .order_by(Commitment.id)) if c.overdue)  # type: ignore[arg-type]
        session.add(AuditEvent(id=newest + 10, case_type="commitment", case_id=late.id or 0, event_key="new-progress",
                               action="progress_posted", actor="t", role="department", at=now, seq=99, hash="n"))
    report_figures._live_cache.clear()
    with session_scope() as session:
        report_figures.department_figures(session, [current])  # counted up to newest + 10
    with session_scope() as session:  # the older transaction commits now, below newest + 10
        for n, action, to_state in ((1, "fulfilment_reported", "reported"), (2, "verified_accepted", "fulfilled")):
            session.add(AuditEvent(id=newest + n, case_type="commitment", case_id=late.id or 0, event_key=f"late-{n}",
                                   action=action, to_state=to_state, actor="t", role="department", at=now, seq=100 + n,
                                   hash=f"late{n}"))
        session.get(Commitment, late.id).state = "fulfilled"  # type: ignore[union-attr]

    def whole_count(*_: object) -> None:
        raise AssertionError("counted the whole period again")

    with session_scope() as session:
        fresh, _ = fresh_figures(session, [current])
        monkeypatch.setattr(report_figures, "_carried", whole_count)
        kept, _ = report_figures.department_figures(session, [current])
    assert _view(kept[0]) == _view(fresh[0])
    assert any(late.id in f.cases.get("fulfilled_late", []) or late.id in f.cases.get("fulfilled_on_time", [])
               for f in kept[0])


def test_a_process_that_starts_takes_the_stored_current_figures_and_recounts_only_the_cases_since(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The current period's figures are stored as they are brought up to date (report_live): a process that starts
    reads them and recounts the cases with events since, instead of counting the whole period at its first
    request; stored figures whose whole count is over an hour old are counted again, beside the request."""
    now = datetime.now(UTC)
    with get_engine().begin() as conn:
        seed_history(conn, cases=200, events=1500, now=now, departments=DEPARTMENTS, years=1)
    current = quarter_of(today_local())
    report_figures._live_cache.clear()
    with session_scope() as session:
        report_figures.department_figures(session, [current])  # the first process's whole count, stored
        counted = session.get(ReportLive, current.key)
        assert counted is not None and counted.newest_id == session.exec(select(func.max(AuditEvent.id))).one()
        late = next(c for c in session.exec(select(Commitment).where(Commitment.state == "published")
                                            .order_by(Commitment.id)) if c.overdue)  # type: ignore[arg-type]
        for n, action, to_state in ((1, "fulfilment_reported", "reported"), (2, "verified_accepted", "fulfilled")):
            session.add(AuditEvent(case_type="commitment", case_id=late.id or 0, event_key=f"since-{n}",
                                   action=action, to_state=to_state, actor="t", role="department", at=now,
                                   seq=100 + n, hash=f"since{n}"))
        late.state = "fulfilled"
    whole_counts: list[str] = []
    carried = report_figures._carried

    def counting(session: object, p: Period, *rest: object) -> object:
        whole_counts.append(p.key)
        return carried(session, p, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(report_figures, "_carried", counting)
    monkeypatch.setattr(report_figures, "SAVE_SECONDS", 0.0)
    report_figures._live_cache.clear()  # a new process
    with session_scope() as session:
        fresh, _ = fresh_figures(session, [current])
        kept, _ = report_figures.department_figures(session, [current])
        stored = session.get(ReportLive, current.key)
        assert stored is not None and stored.newest_id == session.exec(select(func.max(AuditEvent.id))).one()
    assert whole_counts == []
    assert _view(kept[0]) == _view(fresh[0])
    assert any(late.id in f.cases.get("fulfilled_late", []) for f in kept[0])

    # An hour later the next request claims the whole count and makes it beside itself: it is answered from the
    # figures brought up to date while the count (held here until the answer is in) goes on in its thread.
    release = threading.Event()

    def held(session: object, p: Period, *rest: object) -> object:
        assert release.wait(30)
        return counting(session, p, *rest)

    monkeypatch.setattr(report_figures, "_carried", held)
    with session_scope() as session:
        row = session.get(ReportLive, current.key)
        row.counted_at = now - timedelta(seconds=report_figures.LIVE_SECONDS + 60)  # type: ignore[union-attr]
    report_figures._live_cache.clear()
    with session_scope() as session:
        answered, _ = report_figures.department_figures(session, [current])
        claimed = session.get(ReportLive, current.key).counted_at  # type: ignore[union-attr]
    assert claimed > now and whole_counts == []
    assert _view(answered[0]) == _view(fresh[0])
    stale = report_figures._live_cache[current.key]
    report_figures._live_cache.clear()
    with session_scope() as session:  # meanwhile another process does not claim it again
        report_figures.department_figures(session, [current])
        assert session.get(ReportLive, current.key).counted_at == claimed  # type: ignore[union-attr]
    # nor does one that still holds the figures of before the claim, nor does its next save undo the claim
    report_figures._live_cache[current.key] = replace(stale, counted_at=now - timedelta(hours=2))
    with session_scope() as session:
        session.add(AuditEvent(case_type="commitment", case_id=late.id or 0, event_key="since-3",
                               action="progress_posted", actor="t", role="department", at=now, seq=103, hash="s3"))
    with session_scope() as session:
        report_figures.department_figures(session, [current])
        assert session.get(ReportLive, current.key).counted_at == claimed  # type: ignore[union-attr]
    assert whole_counts == []
    release.set()
    report_figures._counting.pop(current.key).join(30)
    assert whole_counts == [current.key]
    with session_scope() as session:
        assert session.get(ReportLive, current.key).counted_at > claimed  # type: ignore[union-attr]
        again, _ = report_figures.department_figures(session, [current])
    assert _view(again[0]) == _view(fresh[0])
    assert report_figures._counting == {}

    # A process that read the stored figures just before another claimed the count takes the claim, not a second one
    with session_scope() as session:
        session.get(ReportLive, current.key).counted_at = now - timedelta(hours=2)  # type: ignore[union-attr]
    with session_scope() as session:
        before = report_figures._kept(session, current)
        assert before is not None
        with session_scope() as other:
            other.get(ReportLive, current.key).counted_at = claimed  # type: ignore[union-attr]
        taken = report_figures._count_beside(session, current, before, datetime.now(UTC))
    assert taken is not None and taken.counted_at == claimed and report_figures._counting == {}


def test_a_failed_hourly_count_gives_its_claim_back_and_is_due_again_in_minutes(monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    """The hourly whole count runs in a thread of the process that claimed it; if it fails, its claim must not
    stand for an hour (no process would check the figures meanwhile): it is due again COUNT_RETRY_SECONDS later,
    in any process, and the failure is logged."""
    now = datetime.now(UTC)
    with get_engine().begin() as conn:
        seed_history(conn, cases=60, events=300, now=now, departments=DEPARTMENTS, years=1)
    current = quarter_of(today_local())
    report_figures._live_cache.clear()
    with session_scope() as session:
        fresh, _ = fresh_figures(session, [current])
        report_figures.department_figures(session, [current])  # counted and stored
        session.get(ReportLive, current.key).counted_at = now - timedelta(  # type: ignore[union-attr]
            seconds=report_figures.LIVE_SECONDS + 60)

    def broken(*_: object) -> object:
        raise RuntimeError("the database went away mid-count")

    monkeypatch.setattr(report_figures, "_carried", broken)
    report_figures._live_cache.clear()  # a process that starts an hour on
    with session_scope() as session:
        answered, _ = report_figures.department_figures(session, [current])  # claims the count, answered at once
    report_figures._counting.pop(current.key).join(30)
    assert _view(answered[0]) == _view(fresh[0])
    assert "the whole count of the" in caplog.text and "due again in 300 s" in caplog.text
    with session_scope() as session:
        given_back = session.get(ReportLive, current.key).counted_at  # type: ignore[union-attr]
    due_again = given_back + timedelta(seconds=report_figures.LIVE_SECONDS)
    assert now + timedelta(seconds=240) < due_again <= datetime.now(UTC) + timedelta(seconds=300)
    assert report_figures._live_cache[current.key].counted_at == given_back  # this process's saves keep it given back

    # once it is due again, a process (here a new one) claims and makes the count
    monkeypatch.undo()
    report_figures._live_cache.clear()
    with session_scope() as session:
        session.get(ReportLive, current.key).counted_at = given_back - timedelta(  # type: ignore[union-attr]
            seconds=report_figures.COUNT_RETRY_SECONDS)
    with session_scope() as session:
        report_figures.department_figures(session, [current])
    report_figures._counting.pop(current.key).join(30)
    with session_scope() as session:
        assert session.get(ReportLive, current.key).counted_at > given_back  # type: ignore[union-attr]
        again, _ = report_figures.department_figures(session, [current])
    assert _view(again[0]) == _view(fresh[0])
