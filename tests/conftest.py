"""Shared test fixtures: the configured database (SQLite by default, PostgreSQL in CI), a real local
SMTP server, and seeded departments. Every test starts from empty tables."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import tempfile
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlmodel import SQLModel

if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='chengxin-test-')}/test.db"
# A real random key, as production must have: the app and worker refuse the published development key
# outside `make run` (domain/keycheck.py), and the tests run the same checks.
os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
os.environ.setdefault("CREDIT_OFFICE_EMAIL", "xyb@test.local")
os.environ.setdefault("ADMIN_EMAIL", "admin@test.local")

from domain.settings import get_settings  # noqa: E402
from store import calendars as calendar_store  # noqa: E402
from store.db import get_engine, migrate, session_scope  # noqa: E402
from store.models import Department  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailSink:
    """A real SMTP server (aiosmtpd) that keeps what it receives, for assertions."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: dict[str, str] = {}  # address → the reply refusing it at RCPT TO, e.g. "550 5.1.1 ..."

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address.lower() in self.refused:
            return self.refused[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def subjects(self, address: str | None = None) -> list[str]:
        return [str(m["Subject"]) for m in (self.to(address) if address else self.messages)]

    async def wait_for(self, predicate, seconds: float = 20.0) -> list[EmailMessage]:  # type: ignore[no-untyped-def]
        for _ in range(int(seconds * 20)):
            found = [m for m in self.messages if predicate(m)]
            if found:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"no matching e-mail within {seconds}s; got {self.subjects()}")


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[MailSink]:
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    os.environ["SMTP_HOST"] = "127.0.0.1"
    os.environ["SMTP_PORT"] = str(port)
    get_settings.cache_clear()
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def schema() -> str:
    """Fresh schema from the Alembic migrations, on whatever DATABASE_URL names."""
    get_settings.cache_clear()
    engine = get_engine()
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate()
    return str(engine.url)


@pytest.fixture(autouse=True)
def clean_db(schema: str, smtp_sink: MailSink) -> None:
    with session_scope() as session:
        for table in reversed(SQLModel.metadata.sorted_tables):
            session.execute(table.delete())
    smtp_sink.messages.clear()
    smtp_sink.refused.clear()
    calendar_store._cache.clear()  # versions restart with the emptied tables (SQLite reuses ids)
    with session_scope() as session:
        session.add(Department(code="fgw", name="市发展和改革委员会", email="fgw@test.local",
                               supervisor_email="fgw-sup@test.local", feed_token="t-fgw"))
        session.add(Department(code="scjg", name="市市场监督管理局", email="scjg@test.local",
                               supervisor_email="scjg-sup@test.local", feed_token="t-scjg"))
