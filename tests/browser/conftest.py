"""Browser tests reuse the API fixtures (real Temporal dev server, worker, SMTP sink, database) and serve
the app over real HTTP for Debian's Chromium, driven by Playwright (no browser download: executable_path)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, async_playwright

from api.app import create_app
from tests.api.conftest import STAFF, api, temporal_client, temporal_dev_server, tokens, worker  # noqa: F401
from tests.conftest import free_port

CHROMIUM = "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"  # git-ignored
SCREENSHOTS.mkdir(exist_ok=True)


@pytest_asyncio.fixture
async def site(temporal_client, worker) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]  # noqa: F811
    app = create_app()
    app.state.temporal = temporal_client
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started:
            break
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        await b.close()
