"""Benchmark: the public commitment list (`GET /api/commitments`, page 1 of 20, total counted) over a
table of 100,000 commitments, against a bare FastAPI endpoint returning a fixed JSON page of the same
size, both served by uvicorn on this machine. Prints the throughput ratio (target >= 0.3) and the list
endpoint's p50/p99 latency (target p99 < 50 ms).

    .venv/bin/python bench/public_list_vs_bare.py [--rows 100000] [--requests 2000] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
from temporalio.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commitments_vs_raw import ROOT, free_port, fresh_bench_schema, start_temporal, stop_all, wait_http  # noqa: E402

BARE_APP = '''
import json, os
from fastapi import FastAPI
from fastapi.responses import Response
app = FastAPI()
PAGE = json.loads(os.environ["BARE_PAGE"])
@app.get("/page")
def page() -> dict:
    return PAGE
'''


def seed(rows: int) -> None:
    """100k published commitments with Core inserts (the ORM would take minutes)."""
    from store.db import get_engine
    from store.models import Commitment

    fresh_bench_schema()
    now, due = datetime.now(UTC), date.today() + timedelta(days=60)
    batch = []
    with get_engine().begin() as conn:
        for i in range(rows):
            batch.append({"department_code": "bench", "kind": "processing_time", "title": f"压测承诺 {i}",
                          "content": "全市企业开办一个工作日内办结。", "due_date": due, "state": "published",
                          "profile_name": "henan", "profile_version": "2026.1", "created_by": "bench",
                          "created_at": now, "updated_at": now, "published_at": now})
            if len(batch) == 5000:
                conn.execute(Commitment.__table__.insert(), batch)  # type: ignore[attr-defined]
                batch = []
        if batch:
            conn.execute(Commitment.__table__.insert(), batch)  # type: ignore[attr-defined]


async def load(url: str, requests: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        async def one() -> None:
            async with sem:
                started = time.perf_counter()
                async with http.get(url) as r:
                    assert r.status == 200, await r.text()
                    await r.read()
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(requests)))
        return time.perf_counter() - started, latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cx-bench-list-"))
    temporal_port, api_port, bare_port = free_port(), free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.db"),
           "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}", "PYTHONPATH": str(ROOT),
           "SECRET_KEY": os.environ.get("SECRET_KEY", secrets.token_hex(32))}  # the app refuses the dev key
    os.environ.update(env)
    started = time.perf_counter()
    seed(args.rows)
    print(f"seeded {args.rows} commitments in {time.perf_counter() - started:.1f}s")
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
        api_url = f"http://127.0.0.1:{api_port}/api/commitments?page=1&page_size=20"
        await wait_http(f"http://127.0.0.1:{api_port}/healthz")
        async with aiohttp.ClientSession() as http, http.get(api_url) as r:
            page = await r.json()
        assert page["total"] == args.rows, page["total"]
        (tmp / "bare.py").write_text(BARE_APP, encoding="utf-8")
        procs.append(subprocess.Popen([*uvicorn, "bare:app", "--port", str(bare_port), "--app-dir", str(tmp)],
                                      env={**env, "BARE_PAGE": json.dumps(page)}, cwd=tmp))
        bare_url = f"http://127.0.0.1:{bare_port}/page"
        await wait_http(bare_url)
        await load(api_url, 200, args.concurrency)  # warm-up
        await load(bare_url, 200, args.concurrency)
        api_time = bare_time = 0.0
        api_lat: list[float] = []
        for _ in range(args.rounds):  # interleaved, so background load hits both alike
            t, _lat = await load(bare_url, args.requests, args.concurrency)
            bare_time += t
            t, lat = await load(api_url, args.requests, args.concurrency)
            api_time += t
            api_lat += lat
        total = args.requests * args.rounds
        api_rate, bare_rate = total / api_time, total / bare_time
        print(f"rows                : {args.rows}; concurrency {args.concurrency}; {total} requests each")
        print(f"public list (API)   : {api_rate:.1f} req/s, p50 {pct(api_lat, 0.5):.1f} ms, "
              f"p99 {pct(api_lat, 0.99):.1f} ms  (target p99 < 50 ms)")
        print(f"bare FastAPI JSON   : {bare_rate:.1f} req/s")
        print(f"ratio list/bare     : {api_rate / bare_rate:.2f}  (target >= 0.3)")
    finally:
        stop_all(procs)


if __name__ == "__main__":
    asyncio.run(main())
