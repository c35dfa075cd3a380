"""The public pages' cache (api/pages/page_cache.py): a page read again while nothing changed is the same page, a
change shows at once, and visitors who arrive while a page is being rendered after a change wait for that one
render instead of each rendering it again."""

from __future__ import annotations

import asyncio
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from fastapi.responses import HTMLResponse
from sqlmodel import select
from starlette.requests import Request

from api.pages import page_cache
from store.db import get_engine, session_scope
from store.models import AuditEvent, Commitment

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from history import progress_post, seed_history  # noqa: E402


def _progress_posted(case_id: int) -> None:
    """A public change of a commitment, as its workflow logs it."""
    with get_engine().begin() as conn:
        conn.execute(AuditEvent.__table__.insert(), [progress_post(case_id, 1, datetime.now(UTC))])  # type: ignore[attr-defined]


def _latest_href(page: str) -> str:
    block = page[page.index('id="h-latest"'):]
    start = block.index('href="/') + len('href="')
    return block[start:block.index('"', start)]


async def test_the_home_page_shows_a_new_change_at_once_and_is_the_same_page_while_nothing_changes(api) -> None:  # type: ignore[no-untyped-def]
    page_cache._pages.clear()
    with get_engine().begin() as conn:
        seed_history(conn, cases=40, events=200, now=datetime.now(UTC), departments=["fgw", "scjg"], years=1)
    with session_scope() as session:
        published = session.exec(select(Commitment.id).where(Commitment.state == "published")
                                 .order_by(Commitment.id)).all()  # type: ignore[arg-type]
    first = (await api.get("/")).text
    assert (await api.get("/")).text == first
    target = next(i for i in published if _latest_href(first) != f"/commitments/{i}")
    _progress_posted(target)
    after = (await api.get("/")).text
    assert _latest_href(after) == f"/commitments/{target}"  # at once, not after the cache's seconds


async def test_visitors_arriving_during_a_render_after_a_change_share_that_render() -> None:
    page_cache._pages.clear()
    with get_engine().begin() as conn:
        seed_history(conn, cases=5, events=20, now=datetime.now(UTC), departments=["fgw"], years=1)
    renders: list[int] = []
    release = threading.Event()

    def render() -> HTMLResponse:
        renders.append(1)
        release.wait(5)
        return HTMLResponse(f"<p>第 {len(renders)} 次</p>")

    def request() -> Request:
        return Request({"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": []})

    async def visit() -> bytes:
        with session_scope() as session:
            return bytes((await page_cache.cached_page(request(), session, render)).body)

    visits = [asyncio.create_task(visit()) for _ in range(6)]
    await asyncio.sleep(0.3)  # all six have read the log and found no page
    release.set()
    pages = await asyncio.gather(*visits)
    assert len(renders) == 1 and set(pages) == {"<p>第 1 次</p>".encode()}
    with session_scope() as session:
        case_id = session.exec(select(Commitment.id)).first()
    assert case_id is not None
    _progress_posted(case_id)
    assert await visit() == "<p>第 2 次</p>".encode() and len(renders) == 2  # the log moved: rendered again
