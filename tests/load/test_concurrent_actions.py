"""A busy office on its first day, over loopback against `make run`'s process (`python -m dev.server`: web app
and worker in one process), on SQLite and on PostgreSQL.

50 verifications of 50 commitments and 20 verifications of one more commitment arrive at the same moment.
Every caller must be told the truth: 200 when its verification was applied, 409 naming the state when it was
not; one of the 20 wins. `/healthz` answers 200 all the while, and SIGTERM stops the process within 10 s.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.validation import today_local
from dev.seed import USERS
from domain.settings import ROOT
from tests.conftest import MailSink, free_port
from tests.faults.conftest import Stack

CASES = 50  # one verification each
CONTENDED = 20  # verifications of the same commitment
STOP_SECONDS = 10


def _postgres_url() -> str | None:
    """A server-level URL for the PostgreSQL the suite runs on (CI), else the machine's local one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        url = os.environ.get("LOAD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    try:
        with create_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return None
    return url


def _fresh_postgres_database(server_url: str, name: str) -> str:
    """A database of its own, so the app's migrations and rows never touch the suite's."""
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(server_url: str, name: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@dataclass
class DevServer:
    proc: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _spawn_devserver(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "dev.server"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def devserver(request: pytest.FixtureRequest) -> AsyncIterator[DevServer]:
    workdir = Path(tempfile.mkdtemp(prefix="chengxin-load-"))
    db_name = f"chengxin_load_{uuid.uuid4().hex[:8]}"
    server_url = None
    if request.param == "sqlite":
        database_url = f"sqlite:///{workdir}/chengxin.db"
    else:
        server_url = _postgres_url()
        if server_url is None:
            pytest.skip("no PostgreSQL answers (set DATABASE_URL or LOAD_TEST_POSTGRES)")
        database_url = _fresh_postgres_database(server_url, db_name)
    stack = Stack(workdir=workdir, mail=MailSink())
    await stack.start_temporal()
    port = free_port()
    log = workdir / "devserver.log"
    env = {**os.environ, "DATABASE_URL": database_url, "TEMPORAL_ADDRESS": stack.temporal_address,
           "TASK_QUEUE": f"load-{uuid.uuid4()}", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port()),
           "DEV_MAIL_DIR": str(workdir / "mail"), "CHENGXIN_PORT": str(port),
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    proc = _spawn_devserver(env, log)
    server = DevServer(proc, f"http://127.0.0.1:{port}", log)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as c:
            for _ in range(600):
                if proc.poll() is not None:
                    raise AssertionError(f"the dev server exited ({proc.returncode}):\n{server.tail()}")
                try:
                    if (await c.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            else:
                raise AssertionError(f"the dev server did not answer within 120 s:\n{server.tail()}")
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        stack.stop_temporal()
        if server_url is not None:
            _drop_postgres_database(server_url, db_name)


def _password(username: str) -> str:
    return next(pw for name, pw, _role, _dept in USERS if name == username)


async def _login(c: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await c.post("/api/auth/token", data={"username": username, "password": _password(username)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _gather_limited(calls: list[Callable[[], Awaitable[Any]]], at_once: int) -> list[Any]:
    gate = asyncio.Semaphore(at_once)

    async def run(call: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await call()

    return await asyncio.gather(*(run(c) for c in calls))


async def _until(c: httpx.AsyncClient, cid: int, state: str) -> None:
    for _ in range(600):
        r = await c.get(f"/api/commitments/{cid}")
        if r.status_code == 200 and r.json()["state"] == state:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"commitment {cid} did not reach {state}: {r.text}")


async def _reported_commitments(c: httpx.AsyncClient, dept: dict[str, str], n: int) -> list[int]:
    """n published commitments whose fulfilment the department has reported (待核验)."""
    due = (today_local() + timedelta(days=40)).isoformat()

    async def create(i: int) -> int:
        r = await c.post("/api/commitments", headers=dept, json={
            "kind": "processing_time", "title": f"事项 {i} 一日办结", "content": "一个工作日内办结。",
            "due_date": due, "publish": True})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    ids = await _gather_limited([lambda i=i: create(i) for i in range(n)], 10)
    await _gather_limited([lambda cid=cid: _until(c, cid, "published") for cid in ids], 10)

    async def report(cid: int) -> None:
        r = await c.post(f"/api/commitments/{cid}/fulfilment", headers=dept, json={"report": "已按期办结"})
        assert r.status_code == 200, r.text

    await _gather_limited([lambda cid=cid: report(cid) for cid in ids], 10)
    return ids


async def test_every_caller_gets_the_truth_and_the_service_stays_up(devserver: DevServer) -> None:
    limits = httpx.Limits(max_connections=CASES + CONTENDED + 10, max_keepalive_connections=CASES + CONTENDED + 10)
    async with httpx.AsyncClient(base_url=devserver.base_url, timeout=120, limits=limits) as c:
        dept = await _login(c, next(u for u, _p, role, _d in USERS if role == "department"))
        office = await _login(c, next(u for u, _p, role, _d in USERS if role == "credit_office"))
        ids = await _reported_commitments(c, dept, CASES + 1)
        separate, contended = ids[:CASES], ids[CASES]

        health: list[int] = []
        burst_over = asyncio.Event()

        async def watch_health() -> None:
            async with httpx.AsyncClient(base_url=devserver.base_url, timeout=5) as h:
                while not burst_over.is_set():
                    try:
                        health.append((await h.get("/healthz")).status_code)
                    except httpx.HTTPError:
                        health.append(0)
                    await asyncio.sleep(0.2)

        async def verify(cid: int) -> httpx.Response:
            return await c.post(f"/api/commitments/{cid}/verification", headers=office, json={"accepted": True})

        watcher = asyncio.create_task(watch_health())
        started = time.monotonic()
        answers = await asyncio.gather(*(verify(cid) for cid in separate),
                                       *(verify(contended) for _ in range(CONTENDED)))
        burst_seconds = time.monotonic() - started
        burst_over.set()
        await watcher

        statuses = [r.status_code for r in answers]
        assert all(s == 200 for s in statuses[:CASES]), (statuses, devserver.tail())
        on_one = statuses[CASES:]
        assert on_one.count(200) == 1 and on_one.count(409) == CONTENDED - 1, (on_one, devserver.tail())
        for refused in (r for r in answers[CASES:] if r.status_code == 409):
            problem = refused.json()
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert problem["state"] == "fulfilled" and "已践诺" in problem["detail"], problem
        assert health and all(s == 200 for s in health), (health, burst_seconds)

        # what the callers were told is what happened: every case fulfilled, the contended one verified once
        for cid in ids:
            detail = (await c.get(f"/api/commitments/{cid}", headers=office)).json()
            assert detail["state"] == "fulfilled", detail
        history = (await c.get(f"/api/commitments/{contended}", headers=office)).json()["history"]
        assert [h["action"] for h in history].count("verified_accepted") == 1

    devserver.proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    try:
        devserver.proc.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"SIGTERM did not stop the process within {STOP_SECONDS} s:\n{devserver.tail()}") from None
    assert time.monotonic() - started < STOP_SECONDS
