"""Benchmark: what a whole count of the monitoring figures costs (api/report_figures.py), over a history of N audit
events (bench/history.py, three years): the first count, which also stores every past period, and the current
quarter's count from the stored last quarter plus a recount of the cases with events in it (what the first process
does once an hour), and what a process that starts does instead: the figures another process stored (report_live)
brought up to date with --since progress posts written after them. Prints the seconds and the events counted.

    .venv/bin/python bench/report_figures_cost.py [--events 100000] [--since 1000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--departments", type=int, default=20)
    parser.add_argument("--since", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='cx-bench-figures-')}/bench.db")
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    from commitments_vs_raw import fresh_bench_schema
    from history import progress_post, seed_history
    from sqlalchemy import delete, insert
    from sqlmodel import func, select

    from api import report_figures
    from api.validation import today_local
    from domain.report import quarter_of
    from store.db import get_engine, session_scope
    from store.models import AuditEvent, Commitment, ReportLive

    fresh_bench_schema()
    with get_engine().begin() as conn:
        cases, events = seed_history(conn, cases=args.events // 10, events=args.events, now=datetime.now(UTC),
                                     departments=[f"d{n:02d}" for n in range(args.departments)])
    current = quarter_of(today_local())
    with session_scope() as session:
        started = time.perf_counter()
        report_figures.department_figures(session, [current])
        first = time.perf_counter() - started
        in_quarter = session.exec(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.at >= current.start)).one()
        report_figures._live_cache.clear()
        session.execute(delete(ReportLive))
        session.commit()
        started = time.perf_counter()
        report_figures.department_figures(session, [current])
        carried = time.perf_counter() - started
        ids = list(session.exec(select(Commitment.id).order_by(Commitment.id)).all())
        now = datetime.now(UTC)
        session.execute(insert(AuditEvent), [progress_post(ids[n * 7919 % len(ids)] or 0, n, now)
                                             for n in range(args.since)])
        session.commit()
        report_figures._live_cache.clear()  # a process that starts
        started = time.perf_counter()
        report_figures.department_figures(session, [current])
        resumed = time.perf_counter() - started
    print(f"{cases} cases, {events} audit events, {in_quarter} of them in {current.key}")
    print(f"first count (stores every past period): {first:.2f} s")
    print(f"{current.key} counted again from the stored last quarter: {carried:.2f} s "
          f"({carried / max(in_quarter, 1) * 1e6:.0f} µs per event of the quarter)")
    print(f"a process that starts, from the stored current figures and {args.since} events since: {resumed:.2f} s "
          f"({resumed / carried:.3f} of the whole count)")


if __name__ == "__main__":
    main()
