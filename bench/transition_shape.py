"""Benchmark: what one commitment costs from API creation to "published with its deadlines planned", against
no-op workflows of the same shape, interleaved in one run (issue 19, item 2):

(a) Chengxin through the HTTP API: create + publish a commitment, until its row is published, its deadline
    planned and its two notices sent (the whole step: workflows.common.ONE_STEP, written by a local activity in the
    run's first task: workflows.common.STEP_IN_TASK);
(b) a no-op workflow of the new design's shape: one local activity, then one activity beside the deadline's timer;
(c) the old shape: eight activities (two of them the notices' sends, beside the main path), then the timer;
(d) the shape before STEP_IN_TASK: the step in an activity of its own, then the send beside the timer (what (b)
    was in earlier runs, so their ratios can be compared).

Prints cases/s per side, the ratios (a)/(b) (goal >= 0.7) and (a)/(c) (goal >= 2.5), and per case the workflow
tasks, activities, local activities and history events (from sampled histories) and database transactions (a SQLAlchemy
"commit" listener in the Chengxin worker; the API's insert is its own, not counted), and the CPU per case of
each process (from /proc), which says where the difference between the sides goes.

    .venv/bin/python bench/transition_shape.py [--n 100] [--rounds 2] [--concurrency 20] [--database-url URL]
                                               [--runner unsandboxed|passthrough|sandboxed]

The no-op workflows run unsandboxed in their own worker process (no database); the Chengxin worker is the real
one (`activities.worker`, with the runner of WORKFLOW_RUNNER or --runner), started as a separate process with the
counting listener.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commitments_vs_raw import (  # noqa: E402
    ROOT,
    connect_temporal,
    free_port,
    fresh_bench_schema,
    run_batch,
    start_temporal,
    stop_all,
    wait_http,
)
from open_cases import cpu_seconds  # noqa: E402
from temporalio import activity, workflow  # noqa: E402
from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client  # noqa: E402

ACTIVITY_TIMEOUT = timedelta(seconds=30)
TIMER = timedelta(days=60)
_done: Any = None  # the no-op worker's shared counter of finished activities


@activity.defn
async def noop(step: int) -> int:
    with _done.get_lock():
        _done.value += 1
    return step


async def step_then_send(step: Callable[..., Awaitable[int]]) -> None:
    """The step (run by `step`), then its notices' send, an activity, beside the deadline's timer."""
    await step(noop, 1, start_to_close_timeout=ACTIVITY_TIMEOUT)
    timer = asyncio.create_task(workflow.sleep(TIMER))
    await workflow.execute_activity(noop, 2, start_to_close_timeout=ACTIVITY_TIMEOUT)
    await timer


@workflow.defn(sandboxed=False)
class NewShape:
    """The step a local activity in the run's first task (STEP_IN_TASK), then the send."""

    @workflow.run
    async def run(self, _: int) -> None:
        await step_then_send(workflow.execute_local_activity)


@workflow.defn(sandboxed=False)
class ActivityStepShape:
    """The shape before STEP_IN_TASK, for comparison with earlier runs: the step in an activity of its own."""

    @workflow.run
    async def run(self, _: int) -> None:
        await step_then_send(workflow.execute_activity)


@workflow.defn(sandboxed=False)
class OldShape:
    """Created (write, queue a notice, its send), published (write, followers, deliveries, queue, its send),
    the deadline planned, then its timer: eight activities."""

    @workflow.run
    async def run(self, _: int) -> None:
        def act(i: int) -> Any:
            return workflow.execute_activity(noop, i, start_to_close_timeout=ACTIVITY_TIMEOUT)

        await act(1)
        await act(2)
        first_send = asyncio.ensure_future(act(3))
        for i in (4, 5, 6, 7):
            await act(i)
        second_send = asyncio.ensure_future(act(8))
        await asyncio.gather(first_send, second_send)
        await workflow.sleep(TIMER)


def noop_worker(address: str, task_queue: str, done: Any) -> None:
    """The no-op worker's process: counts every finished activity in `done`."""
    global _done
    _done = done
    from temporalio.worker import Worker

    async def main() -> None:
        client = await Client.connect(address)
        async with Worker(client, task_queue=task_queue, workflows=[NewShape, ActivityStepShape, OldShape],
                          activities=[noop]):
            await asyncio.Event().wait()

    asyncio.run(main())


def mail_sink(port: int, directory: str) -> None:
    """The SMTP sink in its own process, so its CPU is reported apart from the benchmark's."""
    from dev.mailsink import start_mail_sink

    start_mail_sink("127.0.0.1", port, directory)
    threading.Event().wait()


def counting_worker(count_file: str) -> None:
    """The Chengxin worker with listeners counting committed transactions and statements, written to
    `count_file` as "transactions statements"."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts = [0, 0]
    event.listen(Engine, "commit", lambda _conn: counts.__setitem__(0, counts[0] + 1))
    event.listen(Engine, "before_cursor_execute", lambda *_: counts.__setitem__(1, counts[1] + 1))

    def report() -> None:
        while True:  # written aside and renamed, so a reader never sees a half-written file
            Path(f"{count_file}.new").write_text(f"{counts[0]} {counts[1]}")
            os.replace(f"{count_file}.new", count_file)
            time.sleep(0.1)

    threading.Thread(target=report, daemon=True).start()
    from activities.worker import main

    sys.exit(main())


def cost(events: list[Any]) -> tuple[int, int, int, int, int]:
    """Workflow tasks, activities, local activities, history events and history bytes of one case."""
    E = EventType
    return (sum(e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED for e in events),
            sum(e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in events),
            sum(e.event_type == E.EVENT_TYPE_MARKER_RECORDED
                and e.marker_recorded_event_attributes.marker_name == "core_local_activity" for e in events),
            len(events), sum(e.ByteSize() for e in events))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runner", choices=["unsandboxed", "passthrough", "sandboxed"],
                        default=os.environ.get("WORKFLOW_RUNNER", "unsandboxed"),
                        help="how the Chengxin worker runs workflow code (WORKFLOW_RUNNER)")
    parser.add_argument("--due-days", type=int, default=14,
                        help="days to the promised date (beyond the entered calendar it is 暂定 and alerts the admins)")
    parser.add_argument("--dump-history", metavar="FILE", help="write the last (a) case's history here as JSON")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cx-bench-shape-"))
    temporal_port, api_port, smtp_port = free_port(), free_port(), free_port()
    count_file = str(tmp / "commits")
    env = {**os.environ, "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.db",
           "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}", "TASK_QUEUE": f"bench-{uuid.uuid4()}",
           "SMTP_PORT": str(smtp_port), "DEV_MAIL_DIR": str(tmp / "mail"), "PYTHONPATH": str(ROOT),
           "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32)}
    os.environ.update(env)
    import aiohttp
    from sqlmodel import col, func, select

    from api.auth import hash_password
    from store.db import session_scope
    from store.models import Commitment, DeadlineRow, Outbox, User

    fresh_bench_schema()
    with session_scope() as s:
        s.add(User(username="bench", password_hash=hash_password("bench"), role="department",
                   department_code="bench"))
    ctx = multiprocessing.get_context("spawn")
    sink = ctx.Process(target=mail_sink, args=(smtp_port, str(tmp / "mail")), daemon=True)
    sink.start()
    done = ctx.Value("l", 0)
    noop_queue = f"bench-noop-{uuid.uuid4()}"
    procs: list[Any] = [start_temporal(temporal_port)]
    noop_proc = None
    try:
        client = await connect_temporal(env["TEMPORAL_ADDRESS"])
        procs.append(subprocess.Popen([sys.executable, __file__, "--counting-worker", count_file],
                                      env={**env, "WORKFLOW_RUNNER": args.runner}, cwd=ROOT))
        procs.append(subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:app", "--port", str(api_port),
                                       "--log-level", "warning"], env=env, cwd=ROOT))
        noop_proc = ctx.Process(target=noop_worker, args=(env["TEMPORAL_ADDRESS"], noop_queue, done), daemon=True)
        noop_proc.start()
        base = f"http://127.0.0.1:{api_port}"
        await wait_http(f"{base}/healthz")
        watched = {"server": procs[0].pid, "worker": procs[1].pid, "api": procs[2].pid,
                   "no-op worker": noop_proc.pid, "mail sink": sink.pid, "bench": os.getpid()}
        due = (date.today() + timedelta(days=args.due_days)).isoformat()
        created_ids: list[int] = []
        api_spent = [0.0]  # of (a): until the API had answered every create

        def finished(ids: list[int]) -> bool:
            """Whether every case of `ids` is published, planned and told. The ids are one batch of this benchmark,
            the only writer, so a range reads them: an IN list of hundreds of ids, bound ten times a second, is load
            the benchmark adds to the shared cores, not Chengxin's."""
            lo, hi = min(ids), max(ids)
            with session_scope() as s:
                published = s.exec(select(func.count()).select_from(Commitment).where(
                    col(Commitment.id).between(lo, hi), Commitment.state == "published")).one()
                planned = s.exec(select(func.count()).select_from(DeadlineRow).where(
                    col(DeadlineRow.case_id).between(lo, hi), DeadlineRow.case_type == "commitment")).one()
                sent = s.exec(select(func.count()).select_from(Outbox).where(
                    col(Outbox.case_id).between(lo, hi), Outbox.case_type == "commitment",
                    Outbox.status == "sent")).one()
            return published == planned == len(ids) and sent >= 2 * len(ids)

        def commits() -> tuple[int, int]:
            """Transactions and statements the Chengxin worker has run so far."""
            try:
                done, statements = Path(count_file).read_text().split()
                return int(done), int(statements)
            except (FileNotFoundError, ValueError):
                return 0, 0

        async with aiohttp.ClientSession(base_url=base, connector=aiohttp.TCPConnector(limit=args.concurrency)) as http:
            async with http.post("/api/auth/token", data={"username": "bench", "password": "bench"}) as r:
                token = await r.json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}

            async def chengxin(n: int) -> float:
                ids: list[int] = []

                async def one(i: int) -> None:
                    async with http.post("/api/commitments", headers=headers, json={
                            "kind": "processing_time", "title": f"压测承诺 {i}", "content": "压测", "due_date": due,
                            "publish": True}) as r:
                        assert r.status == 201, await r.text()
                        ids.append((await r.json())["id"])

                started = time.perf_counter()
                api_spent[0] += await run_batch(n, args.concurrency, one)
                assert max(ids) - min(ids) == n - 1, "another writer's commitments are among the batch's ids"
                while not await asyncio.to_thread(finished, ids):  # noqa: ASYNC110 — polling the database
                    await asyncio.sleep(0.1)
                created_ids.extend(ids)
                return time.perf_counter() - started

            def shape(wf: Any, activities: int) -> Any:
                async def side(n: int) -> float:
                    target = done.value + n * activities
                    started = time.perf_counter()
                    await run_batch(n, args.concurrency, lambda i: client.start_workflow(
                        wf.run, i, id=f"{wf.__name__}-{uuid.uuid4()}", task_queue=noop_queue))
                    while done.value < target:  # noqa: ASYNC110 — polling the other process's counter
                        await asyncio.sleep(0.05)
                    return time.perf_counter() - started
                return side

            sides = {"a": chengxin, "b": shape(NewShape, 2), "c": shape(OldShape, 8), "d": shape(ActivityStepShape, 2)}
            for side in sides.values():  # warm-up: connections, caches, the sandbox's first imports
                await side(10)
            spent = dict.fromkeys(sides, 0.0)
            cpu = {name: dict.fromkeys(watched, 0.0) for name in sides}
            api_spent[0] = 0.0
            tx = statements = 0
            for _ in range(args.rounds):  # interleaved, so the machine's other load hits every side alike
                for name, side in sides.items():
                    before, cpu_before = commits(), {p: cpu_seconds(pid) for p, pid in watched.items()}
                    spent[name] += await side(args.n)
                    for p, pid in watched.items():
                        cpu[name][p] += cpu_seconds(pid) - cpu_before[p]
                    if name == "a":
                        await asyncio.sleep(0.3)  # the listener writes its count every 0.1 s
                        after = commits()
                        tx, statements = tx + after[0] - before[0], statements + after[1] - before[1]
        total = args.n * args.rounds
        rate = {name: total / seconds for name, seconds in spent.items()}

        async def per_case(ids: list[str]) -> tuple[float, float, float, float, float]:
            costs = [cost(list((await client.get_workflow_handle(w).fetch_history()).events)) for w in ids]
            return tuple(sum(c[i] for c in costs) / len(costs) for i in range(5))  # type: ignore[return-value]

        samples = {"a": [f"commitment-{i}" for i in created_ids[-5:]]}
        if args.dump_history:
            history = await client.get_workflow_handle(samples["a"][-1]).fetch_history()
            await asyncio.to_thread(Path(args.dump_history).write_text, history.to_json())
        async for wf in client.list_workflows(f"WorkflowType = '{NewShape.__name__}'", limit=5):
            samples.setdefault("b", []).append(wf.id)
        async for wf in client.list_workflows(f"WorkflowType = '{OldShape.__name__}'", limit=5):
            samples.setdefault("c", []).append(wf.id)
        async for wf in client.list_workflows(f"WorkflowType = '{ActivityStepShape.__name__}'", limit=5):
            samples.setdefault("d", []).append(wf.id)
        url = env["DATABASE_URL"].split("@")[-1] if "@" in env["DATABASE_URL"] else env["DATABASE_URL"]
        print(f"database                    : {url}; n {args.n} x {args.rounds} rounds, concurrency "
              f"{args.concurrency}; Chengxin worker {args.runner}")
        labels = {"a": "(a) Chengxin via the API   ", "b": "(b) no-op, new shape       ",
                  "c": "(c) no-op, old 8-act shape ", "d": "(d) no-op, step activity  "}
        for name, label in labels.items():
            tasks, acts, local_acts, events, size = await per_case(samples[name])
            extra = f", {tx / total:.1f} DB transactions with {statements / total:.1f} statements (worker); " \
                f"the API answered all in {api_spent[0]:.1f}s" \
                if name == "a" else ""
            print(f"{label}: {total} in {spent[name]:.1f}s = {rate[name]:.1f} cases/s; per case {tasks:.0f} "
                  f"tasks, {acts:.0f} activities, {local_acts:.0f} local, {events:.0f} events ({size / 1024:.1f} KB)"
                  f"{extra}")
            ms = {p: seconds * 1000 / total for p, seconds in cpu[name].items()}
            print("    CPU per case (ms)       : " + ", ".join(f"{p} {v:.1f}" for p, v in ms.items() if v >= 0.05)
                  + f"; all {sum(ms.values()):.1f}")
        print(f"ratio (a)/(b)               : {rate['a'] / rate['b']:.2f}  (goal >= 0.7)")
        print(f"ratio (a)/(c)               : {rate['a'] / rate['c']:.2f}  (goal >= 2.5)")
        print(f"ratio (a)/(d)               : {rate['a'] / rate['d']:.2f}  (against the shape before STEP_IN_TASK)")
    finally:
        stop_all(procs)
        if noop_proc is not None:
            noop_proc.terminate()
        sink.terminate()


if __name__ == "__main__":
    if "--counting-worker" in sys.argv:
        counting_worker(sys.argv[sys.argv.index("--counting-worker") + 1])
    else:
        asyncio.run(main())
