"""Benchmark: the HTML pages `/`, `/commitments` and `/ranking` over years of history (10,000 cases and 100,000 audit
events, bench/history.py), each against a bare Jinja2 page of the same byte size (FastAPI + Jinja2Templates looping
over the page's lines), both served by uvicorn on this machine, in interleaved rounds of one run. Prints each page's
throughput ratio (target >= 0.3) and its p50/p99 latency.

    .venv/bin/python bench/pages_vs_bare.py [--cases 10000] [--events 100000] [--requests 300] [--concurrency 10]
        [--no-page-cache] [--writes-per-second 10]

With --writes-per-second, a writer appends audit events (progress posts on published commitments) at that rate
while the pages are loaded, as a busy office would: every event changes the audit log's newest event, so the
2 s page cache is dropped and the figures behind the pages follow it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from temporalio.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commitments_vs_raw import ROOT, free_port, fresh_bench_schema, start_temporal, stop_all, wait_http  # noqa: E402
from history import progress_post, seed_history  # noqa: E402
from public_list_vs_bare import load, pct  # noqa: E402

PAGES = ("/", "/commitments", "/ranking")
BARE_APP = '''
import json, os
from pathlib import Path
from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates
app = FastAPI()
PAGES = json.loads(Path(os.environ["BARE_PAGES"]).read_text(encoding="utf-8"))
templates = Jinja2Templates(directory=os.environ["BARE_DIR"])
@app.get("/page/{n}")
def page(request: Request, n: int):
    return templates.TemplateResponse(request, "page.html.j2", {"lines": PAGES[n]})
'''
BARE_TEMPLATE = "{% for line in lines %}{{ line|safe }}\n{% endfor %}"


async def write_events(per_second: float, written: list[int]) -> None:
    """Append an audit event to a random published commitment every 1/per_second s until cancelled."""
    from sqlalchemy import select

    from store.db import get_engine
    from store.models import AuditEvent, Commitment

    engine = get_engine()
    with engine.connect() as conn:
        ids = list(conn.execute(select(Commitment.id).where(Commitment.state == "published")).scalars())  # type: ignore[arg-type]

    def one(n: int) -> None:
        with engine.begin() as conn:
            conn.execute(AuditEvent.__table__.insert(),  # type: ignore[attr-defined]
                         [progress_post(random.choice(ids), n, datetime.now(UTC))])

    while True:
        started = time.perf_counter()
        await asyncio.to_thread(one, len(written))
        written.append(1)
        await asyncio.sleep(max(0.0, 1 / per_second - (time.perf_counter() - started)))


def seed(cases: int, events: int, departments: int) -> tuple[int, int]:
    from store.db import get_engine

    fresh_bench_schema()
    with get_engine().begin() as conn:
        return seed_history(conn, cases=cases, events=events, now=datetime.now(UTC),
                            departments=[f"d{n:02d}" for n in range(departments)])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--departments", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-page-cache", action="store_true", help="render every page view (PAGE_CACHE_SECONDS=0)")
    parser.add_argument("--writes-per-second", type=float, default=0.0,
                        help="append audit events at this rate while the pages are loaded")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cx-bench-pages-"))
    temporal_port, api_port, bare_port = free_port(), free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.db"),
           "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}", "PYTHONPATH": str(ROOT),
           "SECRET_KEY": os.environ.get("SECRET_KEY", secrets.token_hex(32))}  # the app refuses the dev key
    if args.no_page_cache:
        env["PAGE_CACHE_SECONDS"] = "0"
    os.environ.update(env)
    started = time.perf_counter()
    cases, events = seed(args.cases, args.events, args.departments)
    print(f"seeded {cases} cases and {events} audit events in {time.perf_counter() - started:.1f}s")
    procs = [start_temporal(temporal_port)]
    try:
        for _ in range(300):  # the app connects to Temporal at start
            try:
                await Client.connect(env["TEMPORAL_ADDRESS"])
                break
            except Exception:
                await asyncio.sleep(0.1)
        uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--no-access-log"]
        procs.append(subprocess.Popen([*uvicorn, "api.app:app", "--port", str(api_port)], env=env, cwd=ROOT))
        await wait_http(f"http://127.0.0.1:{api_port}/healthz")
        bodies, first = [], {}
        async with aiohttp.ClientSession() as http:
            for path in PAGES:
                t = time.perf_counter()
                async with http.get(f"http://127.0.0.1:{api_port}{path}") as r:
                    assert r.status == 200, (path, r.status)
                    bodies.append(await r.text())
                first[path] = time.perf_counter() - t
        (tmp / "pages.json").write_text(json.dumps([b.split("\n") for b in bodies]), encoding="utf-8")
        (tmp / "page.html.j2").write_text(BARE_TEMPLATE, encoding="utf-8")
        (tmp / "bare.py").write_text(BARE_APP, encoding="utf-8")
        procs.append(subprocess.Popen([*uvicorn, "bare:app", "--port", str(bare_port), "--app-dir", str(tmp)],
                                      env={**env, "BARE_PAGES": str(tmp / "pages.json"), "BARE_DIR": str(tmp)},
                                      cwd=tmp))
        await wait_http(f"http://127.0.0.1:{bare_port}/page/0")
        print(f"cases {cases}, audit events {events}; concurrency {args.concurrency}; "
              f"{args.requests * args.rounds} requests per page and side")
        for n, path in enumerate(PAGES):
            api_url, bare_url = f"http://127.0.0.1:{api_port}{path}", f"http://127.0.0.1:{bare_port}/page/{n}"
            async with aiohttp.ClientSession() as http, http.get(bare_url) as r:
                size = len(await r.read())
            await load(api_url, 50, args.concurrency)  # warm-up
            await load(bare_url, 50, args.concurrency)
            written: list[int] = []
            writer = asyncio.create_task(write_events(args.writes_per_second, written)) \
                if args.writes_per_second else None
            api_time = bare_time = 0.0
            api_lat: list[float] = []
            bare_lat: list[float] = []
            for _ in range(args.rounds):  # interleaved, so background load hits both alike
                t, lat = await load(bare_url, args.requests, args.concurrency)
                bare_time, bare_lat = bare_time + t, bare_lat + lat
                t, lat = await load(api_url, args.requests, args.concurrency)
                api_time, api_lat = api_time + t, api_lat + lat
            if writer is not None:
                writer.cancel()
                print(f"  {len(written)} audit events written during {path} "
                      f"({len(written) / (api_time + bare_time):.1f}/s)")
            total = args.requests * args.rounds
            api_rate, bare_rate = total / api_time, total / bare_time
            print(f"{path:<13} {len(bodies[n].encode()):>7} B (bare {size} B), first request "
                  f"{first[path] * 1000:.0f} ms: {api_rate:.1f} req/s, p50 {pct(api_lat, 0.5):.1f} ms, "
                  f"p99 {pct(api_lat, 0.99):.1f} ms | bare {bare_rate:.1f} req/s, p50 {pct(bare_lat, 0.5):.1f} ms, "
                  f"p99 {pct(bare_lat, 0.99):.1f} ms | ratio {api_rate / bare_rate:.2f}  (target >= 0.3)")
    finally:
        stop_all(procs)


if __name__ == "__main__":
    asyncio.run(main())
