"""Benchmark: many open cases with pending timers on the embedded default (Temporal dev server with a
database file, SQLite, one worker process), then a calendar change that re-projects every open deadline.

Prints the worker's and the Temporal server's resident memory with N open commitments (each holds its
reminder and due-date timers), then times two calendar changes from saving the override: until its
CalendarChangeWorkflow has re-planned every open deadline and signalled the cases that must move a timer
now, and until the worker has no workflow task left (target < 60 s for 10,000). Cases whose timer must
move earlier but weeks ahead are woken by the run at midnight the day before: the script then also
times that wake-up, started at once, on a fresh worker for each poll setting named, each waking its own share
of the cases, so the settings are compared in one run. Each timed phase prints the CPU the worker, the dev
server and this script used.

    .venv/bin/python bench/open_cases.py [--n 10000] [--concurrency 50] [--wake-pollers 10:0.5:0,10:0.5:256]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import func, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commitments_vs_raw import (  # noqa: E402
    ROOT,
    connect_temporal,
    free_port,
    fresh_bench_schema,
    run_batch,
    start_temporal,
    stop_all,
)


def family(pid: int) -> list[int]:
    """A process and its direct children (the dev server runs under a launcher)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid] + ([int(p) for p in children.read_text().split()] if children.exists() else [])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    for p in family(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process (and, for another process, its children) has used so far (from /proc)."""
    if pid == os.getpid():  # this script: not its children, which are the worker and the server
        own = os.times()
        return own.user + own.system
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in family(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


async def until(predicate, seconds: float, step: float = 0.5) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if predicate():
            return time.perf_counter() - started
        await asyncio.sleep(step)
    raise TimeoutError(f"not done within {seconds}s")


WATCHED: dict[str, int] = {}  # process name -> pid, whose CPU each timed phase reports


def cpu_now() -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in WATCHED.items()}


def cpu_used(before: dict[str, float], wall: float) -> str:
    """CPU each watched process used since `before`, in seconds and as cores busy over `wall`."""
    after = cpu_now()
    return ", ".join(f"{name} {after[name] - before[name]:.1f} s CPU ({(after[name] - before[name]) / wall:.2f} cores)"
                     for name in WATCHED)


def count(query) -> int:  # type: ignore[no-untyped-def]
    from store.db import session_scope

    with session_scope() as s:
        return s.exec(query).one()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--wake-pollers", default="10:0.5:0,10:0.5:256",
                        help="worker poll settings to time the wake-up with, each on a fresh worker, in one run: "
                             "workflow-task polls:share on the shared queue[:the waker's backlog bound, 0 for "
                             "none; default activities.calendar_change.WAKE_BACKLOG], comma-separated")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cx-bench-open-"))
    temporal_port, smtp_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.db"),
           "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}", "TASK_QUEUE": f"bench-{uuid.uuid4()}",
           "SMTP_PORT": str(smtp_port), "PYTHONPATH": str(ROOT),
           "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32)}  # the worker refuses the dev key
    os.environ.update(env)
    from activities.calendar_change import WAKE_BACKLOG
    from api.services.commitment import insert_commitment, start_commitment
    from dev.mailsink import start_mail_sink
    from domain.messages import Actor
    from store.calendars import load_calendar
    from store.db import session_scope
    from store.models import Commitment, DeadlineRow

    fresh_bench_schema()
    sink = start_mail_sink("127.0.0.1", smtp_port, str(tmp / "mail"))
    server = start_temporal(temporal_port, tmp / "temporal.db")
    worker = None
    try:
        client = await connect_temporal(env["TEMPORAL_ADDRESS"], data_converter=pydantic_data_converter)
        worker = subprocess.Popen([sys.executable, "-m", "activities.worker"], env=env, cwd=ROOT)
        WATCHED.update({"worker": worker.pid, "Temporal server": server.pid, "bench (API side)": os.getpid()})
        actor = Actor(username="bench", role="department", department="bench")
        due = date.today() + timedelta(days=60)
        with session_scope() as s:
            while not load_calendar(s).is_working_day(due):  # scenario B makes this day a holiday
                due += timedelta(days=1)

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
        drained = await until_idle(client, env["TASK_QUEUE"])  # the last notices are sent
        await asyncio.sleep(5)  # let the worker go idle before reading memory
        print(f"open cases          : {args.n} commitments started in {started_in:.1f}s "
              f"({args.n / started_in:.0f}/s), all published with open deadlines {settled_in:.1f}s later, "
              f"the last notices sent {drained:.1f}s after that")
        print(f"worker RSS          : {rss_mb(worker.pid):.0f} MB")
        print(f"Temporal server RSS : {rss_mb(server.pid):.0f} MB  (dev server, --db-filename)")
        app_kb, temporal_kb = app_db_bytes() / 1024 / args.n, files_bytes(tmp, "temporal.db") / 1024 / args.n
        print(f"storage per case    : app database {app_kb:.1f} KB, Temporal database {temporal_kb:.1f} KB "
              f"(published, deadlines planned, notices sent)")

        # Two calendar changes, each re-planning every open deadline in one CalendarChangeWorkflow run:
        #  A. a holiday a week ahead: no promised date moves, no case has to be woken;
        #  B. the promised date itself becomes a holiday: dates are kept as promised, but the reminders move
        #     to the working days before it, earlier than the timers the cases wait on: every case is woken.
        await reproject(client, env["TASK_QUEUE"], "A (holiday in a week)", date.today() + timedelta(days=7))
        waiting = await reproject(client, env["TASK_QUEUE"], "B (the promised date becomes a holiday)", due)
        variants = args.wake_pollers.split(",") if waiting else []
        for share, variant in enumerate(variants):
            pollers, ratio, *bound = variant.split(":")
            backlog = int(bound[0]) if bound else WAKE_BACKLOG
            stop_all([worker])
            worker = subprocess.Popen([sys.executable, "-m", "activities.worker"], cwd=ROOT, env={
                **env, "WORKFLOW_TASK_POLLERS": pollers, "NONSTICKY_TO_STICKY_POLL_RATIO": ratio})
            WATCHED["worker"] = worker.pid
            await asyncio.sleep(5)  # started and polling
            print(f"  B's wake-up started now, on a fresh worker with {pollers} workflow-task polls, "
                  f"{ratio} of them on the shared queue, the waker bounded at {backlog} waiting tasks (0: none):")
            await wake_now(client, env["TASK_QUEUE"], waiting, share, len(variants), backlog)
    finally:
        stop_all([server, worker])
        sink.stop()


def files_bytes(folder: Path, name: str) -> int:
    """A SQLite database's size on disk, with its write-ahead log."""
    return sum(p.stat().st_size for p in folder.glob(name + "*"))


def app_db_bytes() -> int:
    """The application database's size: the SQLite files, or pg_database_size on PostgreSQL."""
    from sqlalchemy import text

    from store.db import get_engine

    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.connect() as c:
            return int(c.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    path = Path(engine.url.database or "")
    return files_bytes(path.parent, path.name)


async def reproject(client: Client, task_queue: str, label: str, day: date) -> int:
    """Save a holiday on `day`, start the re-planning run, and time it: until the run has re-planned every
    row (logged, the parties' digests queued) and signalled every case due to be woken now, then until the
    worker has no workflow task left (those cases have re-planned). Returns how many cases wait to be woken."""
    from api.routes.calendar import start_reprojection
    from domain.messages import CalendarChangeProgress
    from store.calendars import add_override, load_calendar
    from store.db import session_scope

    with session_scope() as s:
        while not load_calendar(s).is_working_day(day):
            day += timedelta(days=1)
        version = add_override(s, day, False, "压测：临时放假", "bench", datetime.now(UTC)).id or 0
    saved, cpu = time.perf_counter(), cpu_now()
    handle = client.get_workflow_handle(await start_reprojection(client, version))
    while True:
        try:
            p = await handle.query("progress", result_type=CalendarChangeProgress)
        except Exception:  # noqa: BLE001 — the run's first task has not been handled yet
            p = CalendarChangeProgress(version=version)
        if p.replanned and (p.next_wake_at is None or p.next_wake_at > datetime.now(UTC)):
            break
        await asyncio.sleep(0.2)
    ran = time.perf_counter() - saved
    settled = ran + await until_idle(client, task_queue)
    later = f", {p.waiting} to be woken at {p.next_wake_at:%Y-%m-%d %H:%M %Z}" if p.waiting else ""
    print(f"re-projection {label}: {p.reprojected} open deadlines re-planned on version {version}, "
          f"{p.moved} moved, {p.woken} cases woken now{later}; run settled in {ran:.1f}s, "
          f"worker idle after {settled:.1f}s  (target < 60 s for 10,000)")
    print(f"  {cpu_used(cpu, settled)}")
    return p.waiting


async def wake_now(client: Client, task_queue: str, expected: int, share: int, shares: int, backlog: int) -> None:
    """The deferred wake-up, started now instead of at its midnight: what it costs the worker then. Each poll
    setting wakes its own share of the cases (every `shares`-th), so no case is woken twice: a second wake-up
    would replay a longer history, and a case the stopped worker had cached would wait out its sticky timeout."""
    from sqlmodel import col
    from temporalio.testing import ActivityEnvironment

    from activities.calendar_change import CaseWaker
    from store.db import session_scope
    from store.models import DeadlineRow

    with session_scope() as s:
        ids = sorted({f"{t}-{i}" for t, i in s.exec(select(DeadlineRow.case_type, DeadlineRow.case_id).where(
            col(DeadlineRow.status) == "open"))})[share::shares]
    expected = len(ids) if shares > 1 else expected
    started, cpu = time.perf_counter(), cpu_now()
    woken = await ActivityEnvironment().run(CaseWaker(client, task_queue, backlog).wake_cases, ids)
    signalled = time.perf_counter() - started
    idle = signalled + await until_idle(client, task_queue)
    print(f"    {woken} of {expected} cases signalled in {signalled:.1f}s, "
          f"worker idle after {idle:.1f}s (it has the whole day before the moved reminders): "
          f"wake-up rate {woken / max(idle, 1e-9):.0f} cases/s (goal >= 50)")
    print(f"    {cpu_used(cpu, idle)}")


async def until_idle(client: Client, task_queue: str) -> float:
    """Seconds until, for two polls in a row, the task queue has had no workflow or activity task waiting and
    the worker has used under 5% of a core (a backlog of 0 alone is also what a busy worker keeping up shows)."""
    from temporalio.api.enums.v1 import TaskQueueType

    from activities.calendar_change import queue_backlog

    started, quiet = time.perf_counter(), 0
    worker_cpu = cpu_seconds(WATCHED["worker"])
    while quiet < 2:
        backlog = 0
        for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
            backlog += await queue_backlog(client, task_queue, kind)
        await asyncio.sleep(0.5)
        busy, worker_cpu = cpu_seconds(WATCHED["worker"]) - worker_cpu, cpu_seconds(WATCHED["worker"])
        quiet = quiet + 1 if backlog == 0 and busy < 0.025 else 0
    return time.perf_counter() - started - 1.0


if __name__ == "__main__":
    asyncio.run(main())
