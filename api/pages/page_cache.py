"""The public pages that read the same for everyone (/, /commitments, /ranking) rendered once and served again while
nothing has changed: a cached page is used only while the audit log's newest event is the one it was rendered after
(every change a page shows writes an event) and for at most PAGE_CACHE_SECONDS (for what moves with the clock alone,
like the deadlines falling due), the same bound as the public lists' cached totals (api/queries.py).

When the log moves, every request in flight misses at once: a busy office's event every few seconds would have
each of them render the same page (the bench's ten concurrent visitors: ten renders per event). The first one
renders; the others that read the same newest event wait for its page."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.report_figures import log_mark
from domain.settings import get_settings

MAX_PAGES = 256  # searches with many different words: keep the memory bounded
_pages: dict[str, tuple[tuple[Any, ...], float, bytes]] = {}
_rendering: dict[tuple[str, tuple[Any, ...]], asyncio.Future[bytes | None]] = {}  # address and log mark → its page


async def cached_page(request: Request, session: Session, render: Callable[[], Response]) -> Response:
    """The page for this address, from the cache when still current; only a 200 is kept. Async: a page served
    again costs two indexed lookups, less than the thread hop a sync endpoint costs under load; a page rendered
    anew is rendered in the thread pool, as a sync endpoint would be."""
    key = str(request.url.path) + "?" + str(request.url.query)
    mark = log_mark(session)
    now = time.monotonic()
    hit = _pages.get(key)
    seconds = get_settings().page_cache_seconds
    if hit is not None and hit[0] == mark and now - hit[1] < seconds:
        return HTMLResponse(hit[2])
    if seconds <= 0:
        return await run_in_threadpool(render)
    flight = (key, mark)
    if (pending := _rendering.get(flight)) is not None:  # rendered after the same event: wait for it
        body = await asyncio.shield(pending)
        return HTMLResponse(body) if body is not None else await run_in_threadpool(render)
    future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
    _rendering[flight] = future
    body = None
    try:
        response = await run_in_threadpool(render)
        if response.status_code == 200 and isinstance(response.body, bytes):
            body = response.body
            if len(_pages) >= MAX_PAGES:
                _pages.clear()
            _pages[key] = (mark, now, body)
    finally:
        del _rendering[flight]
        future.set_result(body)  # None: the waiters render their own (an error, or a page that is not kept)
    return response
