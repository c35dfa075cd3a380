"""Benchmark: does a woken workflow's history size change what the Temporal server spends on the wake-up?

No-op workflows whose start input is padded to about 0.8 KB or 10 KB (a woken commitment's start input and plan
are about 11 KB) wait on a 60-day timer; a signal carrying 0.3 KB or 3 KB makes each cancel and restart it, as a
calendar change does to a case. The worker caches nothing, so every wake replays the whole history, as an
uncached woken case does. Prints the dev server's CPU per wake for each size, interleaved over two rounds.

    .venv/bin/python bench/wake_payload.py [--n 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commitments_vs_raw import connect_temporal, free_port, run_batch, start_temporal, stop_all  # noqa: E402
from open_cases import cpu_seconds  # noqa: E402
from temporalio import workflow  # noqa: E402
from temporalio.worker import UnsandboxedWorkflowRunner, Worker  # noqa: E402

SIZES = {"small (0.8 KB)": (500, 300), "large (10 KB)": (7000, 3000)}  # start input padding, signal padding


@workflow.defn
class Sleeper:
    """Waits on its timer; every signal restarts it."""

    def __init__(self) -> None:
        self.woken = 0
        self.seen = 0

    @workflow.signal
    def wake(self, plan: str) -> None:
        self.woken += 1

    @workflow.run
    async def run(self, profile: str) -> None:
        while True:
            try:
                await workflow.wait_condition(lambda: self.woken > self.seen, timeout=timedelta(days=60))
            except TimeoutError:
                return
            self.seen = self.woken


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    port = free_port()
    server = start_temporal(port, Path(tempfile.mkdtemp(prefix="cx-bench-wake-")) / "temporal.db")
    try:
        client = await connect_temporal(f"127.0.0.1:{port}")
        queue = f"bench-{uuid.uuid4()}"
        ids = {size: [f"{n}-{uuid.uuid4()}" for n in range(args.n)] for size in SIZES}
        async with Worker(client, task_queue=queue, workflows=[Sleeper], max_cached_workflows=0,
                          workflow_runner=UnsandboxedWorkflowRunner(), max_concurrent_workflow_task_polls=10):
            for size, (start_pad, _) in SIZES.items():
                await run_batch(args.n, 50, lambda i, size=size, pad=start_pad: client.start_workflow(
                    Sleeper.run, "x" * pad, id=ids[size][i], task_queue=queue))
            await asyncio.sleep(10)  # every first task done
            for round_ in range(2):
                for size, (_, signal_pad) in SIZES.items():
                    before = cpu_seconds(server.pid)
                    started = time.perf_counter()
                    await run_batch(args.n, 50, lambda i, size=size, pad=signal_pad: client.get_workflow_handle(
                        ids[size][i]).signal(Sleeper.wake, "y" * pad))
                    await asyncio.sleep(6)  # the woken tasks done
                    spent = cpu_seconds(server.pid) - before
                    print(f"round {round_ + 1}, {size}: {args.n} woken, dev server {1000 * spent / args.n:.1f} ms CPU "
                          f"per wake ({time.perf_counter() - started:.1f} s)", flush=True)
    finally:
        stop_all([server])


if __name__ == "__main__":
    asyncio.run(main())
