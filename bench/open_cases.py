"""Benchmark: many open cases with pending timers on the embedded default (Temporal dev server with a
database file, SQLite, one worker process), then a calendar change that re-projects every open deadline.

Prints the worker's and the Temporal server's resident memory with N open commitments (each holds its
reminder and due-date timers), and the time from saving a calendar override until every open deadline
is re-projected on the new calendar version (target < 60 s for 10,000).

    .venv/bin/python bench/open_cases.py [--n 10000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import col, func, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commitments_vs_raw import ROOT, free_port, fresh_bench_schema, run_batch, start_temporal, stop_all  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


async def until(predicate, seconds: float, step: float = 0.5) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if predicate():
            return time.perf_counter() - started
        await asyncio.sleep(step)
    raise TimeoutError(f"not done within {seconds}s")


def count(query) -> int:  # type: ignore[no-untyped-def]
    from activities.db import session_scope

    with session_scope() as s:
        return s.exec(query).one()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cx-bench-open-"))
    temporal_port, smtp_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.db"),
           "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}", "TASK_QUEUE": f"bench-{uuid.uuid4()}",
           "SMTP_PORT": str(smtp_port), "PYTHONPATH": str(ROOT)}
    os.environ.update(env)
    from activities.calendar_store import add_override, load_calendar
    from activities.db import session_scope
    from activities.mailsink import start_mail_sink
    from activities.models import Commitment, DeadlineRow
    from api.commitment_service import insert_commitment, start_commitment
    from api.routes.calendar import reproject_open_cases
    from domain.messages import Actor

    fresh_bench_schema()
    sink = start_mail_sink("127.0.0.1", smtp_port, str(tmp / "mail"))
    server = start_temporal(temporal_port, tmp / "temporal.db")
    worker = None
    try:
        client = None
        for _ in range(300):
            try:
                client = await Client.connect(env["TEMPORAL_ADDRESS"], data_converter=pydantic_data_converter)
                break
            except Exception:
                await asyncio.sleep(0.1)
        assert client is not None
        worker = subprocess.Popen([sys.executable, "-m", "activities.worker"], env=env, cwd=ROOT)
        actor = Actor(username="bench", role="department", department="bench")
        due = date.today() + timedelta(days=60)

        async def one(i: int) -> None:
            with session_scope() as s:
                _, start = insert_commitment(s, department="bench", kind="processing_time", title=f"压测 {i}",
                                             content="压测", due_date=due, official=None, milestones=[],
                                             actor=actor, now=datetime.now(UTC))
            await start_commitment(client, start, True, task_queue=env["TASK_QUEUE"])

        started_in = await run_batch(args.n, args.concurrency, one)
        open_rows = select(func.count()).select_from(DeadlineRow).where(DeadlineRow.status == "open")
        settled_in = await until(lambda: count(open_rows) >= args.n and count(
            select(func.count()).select_from(Commitment).where(Commitment.state == "published")) >= args.n, 1800)
        await asyncio.sleep(5)  # let the worker go idle before reading memory
        print(f"open cases          : {args.n} commitments started in {started_in:.1f}s "
              f"({args.n / started_in:.0f}/s), all published with open deadlines {settled_in:.1f}s later")
        print(f"worker RSS          : {rss_mb(worker.pid):.0f} MB")
        print(f"Temporal server RSS : {rss_mb(server.pid):.0f} MB  (dev server, --db-filename)")

        # a working day before every due date becomes a holiday: every open due date moves by one day
        with session_scope() as s:
            cal = load_calendar(s)
            day = date.today() + timedelta(days=7)
            while not cal.is_working_day(day):
                day += timedelta(days=1)
            version = add_override(s, day, False, "压测：临时放假", "bench", datetime.now(UTC)).id
        saved = time.perf_counter()
        with session_scope() as s:
            signalled = await reproject_open_cases(s, client)
        signalled_in = time.perf_counter() - saved
        moved = select(func.count()).select_from(DeadlineRow).where(
            DeadlineRow.status == "open", col(DeadlineRow.calendar_version) == version)
        await until(lambda: count(moved) >= args.n, 1800)
        took = time.perf_counter() - saved
        print(f"re-projection       : {signalled} cases signalled in {signalled_in:.1f}s; all {args.n} open "
              f"deadlines on calendar version {version} after {took:.1f}s  (target < 60 s)")
    finally:
        stop_all([server, worker])
        sink.stop()


if __name__ == "__main__":
    asyncio.run(main())
