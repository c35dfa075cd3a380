"""One engine per process, sessions, and migrations."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import Session, create_engine

from domain.settings import ROOT, get_settings

Pool = Literal["api", "worker"]
ACTIVITY_THREADS = 16  # threads of the worker's activity executor (activities/worker.py)
# Connections per pool: (kept, extra under load). The worker's pool has one connection per activity thread, so an
# activity never waits for one; the API's requests hold theirs only while they read or write, never while they
# wait on Temporal (api/temporal_errors.py releases it), so it is never the reason an Update cannot finish.
POOL_SIZES: dict[Pool, tuple[int, int]] = {"api": (10, 20), "worker": (ACTIVITY_THREADS, 4)}
POOL_TIMEOUT_SECONDS = 10  # a request that cannot get a connection in this time answers 503, not a hang


@functools.lru_cache(maxsize=8)
def get_engine(url: str | None = None, pool: Pool = "api") -> Engine:
    """One engine per (database, pool) and process. The API and the worker never share a pool, even in the one
    process of `make run`: requests could otherwise take every connection the activities need to finish them."""
    url = url or get_settings().database_url
    size, overflow = POOL_SIZES[pool]
    options = {"pool_size": size, "max_overflow": overflow, "pool_timeout": POOL_TIMEOUT_SECONDS}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **options)

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL: safe against app crashes; fsync at checkpoints
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **options)


READ_APPLICATION = "chengxin-public-lists"


def create_read_engine(url: str | None = None) -> AsyncEngine | None:
    """An async engine for the public lists on PostgreSQL, one per event loop (the app's lifespan makes and disposes
    it): its reads run in the loop, without the thread hop of a sync query, in autocommit (a list is two reads, no
    transaction needed). None on SQLite, whose driver has no async mode; the lists then use the request's session.
    No pre-ping, which costs a round trip per request: a list that finds its connection closed runs again once
    (api/queries.py run_list_async). Its connections are named READ_APPLICATION in pg_stat_activity."""
    url = url or get_settings().database_url
    if not url.startswith("postgresql"):
        return None
    size, overflow = POOL_SIZES["api"]
    return create_async_engine(url, isolation_level="AUTOCOMMIT", pool_size=size, max_overflow=overflow,
                               pool_timeout=POOL_TIMEOUT_SECONDS, connect_args={"application_name": READ_APPLICATION})


@contextmanager
def session_scope(pool: Pool = "worker") -> Iterator[Session]:
    """A unit of work outside a web request (activities, the CLI, seeding): commits on success and rolls back on
    any error, so nothing is half-written."""
    with Session(get_engine(pool=pool), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest revision (alembic upgrade head)."""
    command.upgrade(alembic_config(url), "head")
