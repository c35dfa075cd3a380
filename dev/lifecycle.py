"""How `make run`'s process starts and stops: one signal handler for its whole life, and the errors that end
start-up (a part that could not start, a signal during start-up)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import subprocess
from dataclasses import dataclass
from types import FrameType
from typing import Any

log = logging.getLogger("chengxin.devserver")


class StartupError(RuntimeError):
    """A part could not start; the message says which and why."""


class Stopped(Exception):
    """A signal came during start-up: skip the remaining steps and clean up."""


@dataclass
class Stopper:
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
            raise Stopped

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
