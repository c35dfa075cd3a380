"""The published development SECRET_KEY (or a short key) stops the API and the worker from starting,
with a message naming SECRET_KEY; only `make run` (dev/server.py) may use the development key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi import FastAPI

from api.app import create_app
from domain.keycheck import DEV_SECRET_KEY, InsecureSecretKey
from domain.settings import ROOT, get_settings
from tests.conftest import free_port


def _env(key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CHENGXIN_DEV_SERVER"}
    return {**env, "SECRET_KEY": key, "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}


def test_the_api_refuses_to_start_with_the_development_key() -> None:
    proc = subprocess.run([sys.executable, "-m", "uvicorn", "api.app:app", "--port", str(free_port())],
                          cwd=ROOT, env=_env(DEV_SECRET_KEY), capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "SECRET_KEY is the published development key" in proc.stderr


@pytest.mark.parametrize("key", [DEV_SECRET_KEY, "short-but-not-the-dev-key"])
def test_the_worker_refuses_to_start_with_a_guessable_key(key: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "activities.worker"], cwd=ROOT, env=_env(key),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "SECRET_KEY" in proc.stderr and "Traceback" not in proc.stderr


async def _start(app: FastAPI) -> None:
    app.state.temporal = object()  # no engine needed: only the start-up checks run
    async with app.router.lifespan_context(app):
        pass


async def test_only_make_run_may_use_the_development_key(monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)
    monkeypatch.delenv("CHENGXIN_DEV_SERVER", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(InsecureSecretKey, match="SECRET_KEY"):
            await _start(create_app())
        monkeypatch.setenv("SECRET_KEY", "x" * 31)
        get_settings.cache_clear()
        with pytest.raises(InsecureSecretKey, match="at least 32"):
            await _start(create_app())
        monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)
        monkeypatch.setenv("CHENGXIN_DEV_SERVER", "1")  # what dev.server.make_plan() sets
        get_settings.cache_clear()
        await _start(create_app())
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_make_run_sets_the_allowance(monkeypatch) -> None:
    from dev import server as devserver

    monkeypatch.setenv("CHENGXIN_DEV_SERVER", "0")  # recorded as unset: undone after the test
    monkeypatch.setenv("DEV_MAIL_DIR", "/tmp/chengxin-test-mail")
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    devserver.make_plan()
    assert os.environ["CHENGXIN_DEV_SERVER"] == "1"
    get_settings.cache_clear()
