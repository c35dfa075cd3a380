"""Benchmark: what the worker itself costs, per workflow runner and cache size, interleaved in one run.

Each variant `runner:cache` (runner = sandboxed | passthrough | unsandboxed, the WORKFLOW_RUNNER setting; cache =
MAX_CACHED_WORKFLOWS) gets a worker process of its own on a task queue of its own, and N commitments created the
way the API creates them (the row, then the workflow start: api/services/commitment.py), until each is published
with its deadlines planned. Per variant it prints

- the worker's CPU seconds (from /proc, until the worker goes quiet: the notices' sends included), per case;
- the wall time until all N are published and planned, and the throughput as a ratio of the first variant's;
- the worker's resident memory before the first case and with its N cases open, waiting on their timers, and
  what that makes per cached workflow (the cache holds min(N, cache) of them);
- the Temporal dev server's resident memory then (it holds every variant's cases so far).

With --rounds > 1 each variant runs again in every round, in the same order, on a fresh worker; CPU and wall are
summed, memory is the last round's. Goal (issue 19): 10,000 open cases with the worker under 400 MB.

    .venv/bin/python bench/worker_cost.py [--n 300] [--rounds 1] [--concurrency 50]
        [--variants sandboxed:1000,passthrough:1000,unsandboxed:1000,unsandboxed:500,unsandboxed:250]
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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import col, func, select
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
from open_cases import count, rss_mb, until  # noqa: E402

DEFAULT_VARIANTS = "sandboxed:1000,passthrough:1000,unsandboxed:1000,unsandboxed:500,unsandboxed:250"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its own threads, from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime: fields 14 and 15 of stat(5)


async def quiet(pid: int, step: float = 1.0, below: float = 0.03, seconds: float = 600) -> None:
    """Until the process spends less than `below` CPU seconds per `step`, twice in a row."""
    calm, last, started = 0, cpu_seconds(pid), time.perf_counter()
    while calm < 2:
        if time.perf_counter() - started > seconds:
            raise TimeoutError(f"worker {pid} still busy after {seconds}s")
        await asyncio.sleep(step)
        now = cpu_seconds(pid)
        calm = calm + 1 if now - last < below else 0
        last = now


@dataclass
class Variant:
    runner: str
    cache: int
    cpu: float = 0.0
    wall: float = 0.0
    cases: int = 0
    rss_idle: float = 0.0
    rss_open: float = 0.0
    server_rss: float = 0.0
    server_cases: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.runner}:{self.cache}"


def parse_variants(text: str) -> list[Variant]:
    out = []
    for item in text.split(","):
        runner, _, cache = item.strip().partition(":")
        if runner not in ("sandboxed", "passthrough", "unsandboxed") or not cache.isdigit():
            raise SystemExit(f"bad variant {item!r}: runner:cache, runner = sandboxed | passthrough | unsandboxed")
        out.append(Variant(runner, int(cache)))
    return out


HEADER = (f"{'variant':<18} {'cpu s':>7} {'cpu/case ms':>11} {'cpu ×1st':>8} {'wall s':>7} {'cases/s':>7} "
          f"{'rate ×1st':>9} {'RSS idle':>8} {'RSS open':>8} {'MB/cached':>9} {'server RSS':>10}")


def line(v: Variant, first: Variant, n: int) -> str:
    rate = v.cases / v.wall
    cached = min(n, v.cache)
    per_cached = (v.rss_open - v.rss_idle) / cached if cached else 0.0
    return (f"{v.name:<18} {v.cpu:7.1f} {1000 * v.cpu / v.cases:11.1f} {v.cpu / first.cpu:8.2f} "
            f"{v.wall:7.1f} {rate:7.1f} {rate / (first.cases / first.wall):9.2f} {v.rss_idle:6.0f}MB "
            f"{v.rss_open:6.0f}MB {per_cached:7.2f}MB {v.server_rss:6.0f}MB ({v.server_cases} cases)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="commitments per variant and round")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--variants", default=DEFAULT_VARIANTS)
    args = parser.parse_args()
    variants = parse_variants(args.variants)

    tmp = Path(tempfile.mkdtemp(prefix="cx-bench-worker-"))
    temporal_port, smtp_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.db"),
           "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}", "SMTP_PORT": str(smtp_port), "PYTHONPATH": str(ROOT),
           "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32)}
    os.environ.update(env)
    from api.services.commitment import insert_commitment, start_commitment
    from dev.mailsink import start_mail_sink
    from domain.messages import Actor
    from store.calendars import load_calendar
    from store.db import session_scope
    from store.models import Commitment, DeadlineRow

    fresh_bench_schema()
    sink = start_mail_sink("127.0.0.1", smtp_port, str(tmp / "mail"))
    server = start_temporal(temporal_port, tmp / "temporal.db")
    worker: subprocess.Popen | None = None
    try:
        client = await connect_temporal(env["TEMPORAL_ADDRESS"], data_converter=pydantic_data_converter)
        actor = Actor(username="bench", role="department", department="bench")
        due = date.today() + timedelta(days=60)
        with session_scope() as s:
            while not load_calendar(s).is_working_day(due):
                due += timedelta(days=1)

        async def batch(v: Variant, queue: str) -> None:
            """N commitments on the variant's queue, timed until every one is published and planned."""
            ids: list[int] = []

            async def one(i: int) -> None:
                with session_scope() as s:
                    _, start = insert_commitment(s, department="bench", kind="processing_time", title=f"压测 {i}",
                                                 content="压测", due_date=due, official=None, milestones=[],
                                                 actor=actor, now=datetime.now(UTC))
                ids.append(start.commitment_id)
                await start_commitment(client, start, True, task_queue=queue)

            assert worker is not None
            cpu0, t0 = cpu_seconds(worker.pid), time.perf_counter()
            await run_batch(args.n, args.concurrency, one)
            lo, hi = min(ids), max(ids)
            published = select(func.count()).select_from(Commitment).where(
                col(Commitment.id).between(lo, hi), Commitment.state == "published")
            planned = select(func.count()).select_from(DeadlineRow).where(
                DeadlineRow.case_type == "commitment", col(DeadlineRow.case_id).between(lo, hi),
                DeadlineRow.status == "open")
            await until(lambda: count(published) >= args.n and count(planned) >= args.n, 3600, step=0.2)
            v.wall += time.perf_counter() - t0
            await quiet(worker.pid)
            v.cpu += cpu_seconds(worker.pid) - cpu0
            v.cases += args.n

        print(f"worker cost: {args.n} commitments per variant and round, {args.rounds} round(s), "
              f"concurrency {args.concurrency}; created → published with deadlines planned")
        print(HEADER, flush=True)
        for r in range(args.rounds):
            for v in variants:  # interleaved: background load on this machine hits every variant alike
                queue = f"bench-{v.runner}-{v.cache}-{uuid.uuid4().hex[:8]}"
                worker = subprocess.Popen(
                    [sys.executable, "-m", "activities.worker"], cwd=ROOT,
                    env={**env, "TASK_QUEUE": queue, "WORKFLOW_RUNNER": v.runner,
                         "MAX_CACHED_WORKFLOWS": str(v.cache)})
                await asyncio.sleep(3)
                await quiet(worker.pid, step=0.5)  # started, polling
                v.rss_idle = rss_mb(worker.pid)
                await batch(v, queue)
                v.rss_open = rss_mb(worker.pid)
                v.server_rss = rss_mb(server.pid)
                v.server_cases = sum(x.cases for x in variants)
                stop_all([worker])
                worker = None
                if r == args.rounds - 1:  # each line as soon as it is known: a long run that stops still reports
                    print(line(v, variants[0], args.n), flush=True)

        print("RSS open: the worker with its last round's N cases open, waiting on their timers "
              "(goal: 10,000 open cases < 400 MB)")
    finally:
        stop_all([server, worker])
        sink.stop()


if __name__ == "__main__":
    asyncio.run(main())
