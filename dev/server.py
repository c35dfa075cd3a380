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
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dev.banner import Plan, banner, display_host, safe_url
from dev.lifecycle import StartupError, Stopped, Stopper
from dev.temporal import (
    DEFAULT_TEMPORAL_ADDRESS,
    EMBEDDED_TEMPORAL_HOST,
    EMBEDDED_TEMPORAL_PORT,
    VAR,
    answers,
    port_in_use,
    start_temporal,
    stop_temporal,
    wait_for_temporal,
)

WEB_STOP_TIMEOUT = 5  # seconds a request still running at Ctrl-C/SIGTERM may take before it is cut off
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

log = logging.getLogger("chengxin.devserver")


async def _call(fn: Callable[[], Any]) -> Any:
    """Call a start-up hook that may be sync (run in a thread) or async."""
    if inspect.iscoroutinefunction(fn):
        return await fn()
    result = await asyncio.to_thread(fn)
    if inspect.isawaitable(result):
        result = await result
    return result


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
    seed: Callable[[], Any]  # dev.seed.seed_demo_if_empty


def import_app() -> AppParts:
    import activities.worker as worker_module
    from api.app import app
    from dev.seed import seed_demo_if_empty
    from store.db import migrate

    return AppParts(migrate=migrate, worker_module=worker_module, app=app, seed=seed_demo_if_empty)


async def serve(plan: Plan, parts: AppParts, stopper: Stopper, temporal_log: Path | None) -> int:
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
        os.environ["PUBLIC_BASE_URL"] = f"http://{display_host(web_host)}:{web_port}"
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

    stopper = Stopper()
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
        if port_in_use(plan.web_host, plan.web_port):
            busy.append(f"{plan.web_host}:{plan.web_port} (web; set CHENGXIN_PORT)")
        if plan.sink and port_in_use(plan.smtp_host, plan.smtp_port):
            busy.append(f"{plan.smtp_host}:{plan.smtp_port} (SMTP sink; set SMTP_PORT)")
        if busy:
            raise StartupError("port already in use: " + ", ".join(busy) + " — is another `make run` running?")

        if plan.embedded_temporal:
            if answers(EMBEDDED_TEMPORAL_HOST, EMBEDDED_TEMPORAL_PORT):
                log.warning("something already listens on %s: using it as the Temporal server", plan.temporal_address)
                plan.embedded_temporal = False
            else:
                stopper.temporal, temporal_log = start_temporal(plan.namespace)
        stopper.check()

        if plan.sink and plan.mail_dir is not None:
            from dev.mailsink import start_mail_sink

            sink_controller = start_mail_sink(plan.smtp_host, plan.smtp_port, plan.mail_dir)
            log.info("SMTP sink listening on %s:%d, storing into %s", plan.smtp_host, plan.smtp_port, plan.mail_dir)
        stopper.check()

        log.info("running database migrations (%s)", safe_url(plan.database_url))
        result = parts.migrate()
        if inspect.isawaitable(result):
            asyncio.run(result)  # type: ignore[arg-type]
        stopper.check()

        rc = asyncio.run(serve(plan, parts, stopper, temporal_log))
    except (Stopped, KeyboardInterrupt, asyncio.CancelledError):
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
