"""Send a case action to its workflow as an Update, and tell the caller the truth about it.

- The request's database connection is given back before the wait (the worker needs connections to apply
  the Update; a pool of waiting requests froze the whole process).
- A refusal by the workflow (validator or handler) is 409 naming the state, or 403/404/422.
- Every Update carries an id: the caller's Idempotency-Key, or a fresh one. When the answer is lost on the way
  (an RPC timed out, the engine restarted), sending the same id again returns the first outcome instead of
  acting twice, so an applied action is never reported as failed.
- One process sends one Update at a time to a case (`CaseGate`): a burst on one case queues in the API instead
  of filling the engine's 10 in-flight Updates per workflow and making every caller retry; the workflow's
  validator then refuses the late ones at once (409).
- With no outcome within UPDATE_WAIT_SECONDS (the wait for the case's turn included) the answer is 503 with
  Retry-After and the case's state as the database shows it at that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import release
from api.idempotency import claim_action_key
from api.problems import Problem
from domain.commitment import STATE_LABELS_ZH as COMMITMENT_STATES
from domain.complaint import COMPLAINT_STATES_ZH
from domain.objection import OBJECTION_STATES_ZH
from domain.record import STATE_LABELS_ZH as RECORD_STATES

STATE_LABELS = {**COMPLAINT_STATES_ZH, **OBJECTION_STATES_ZH, **COMMITMENT_STATES, **RECORD_STATES}
UPDATE_WAIT_SECONDS = 30.0
RETRY_AFTER_SECONDS = 5
RESEND_PAUSE_SECONDS = 0.5
# Answers after which the same Update id is sent again: the engine may still apply, or has applied, it.
TRANSIENT = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED,
                       RPCStatusCode.CANCELLED, RPCStatusCode.ABORTED, RPCStatusCode.INTERNAL, RPCStatusCode.UNKNOWN})

StateReader = Callable[[], str | None]


def _label(state: str | None) -> str | None:
    return STATE_LABELS.get(state or "", state)


def _refusal(err: WorkflowUpdateFailedError) -> Problem | None:
    """The workflow's own answer, or None when the Update failed for another reason (e.g. the case ended)."""
    cause = err.cause
    if not isinstance(cause, ApplicationError):
        return None
    details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
    if cause.type == "InvalidState":
        state = details.get("state")
        extra = {k: v for k, v in details.items() if k not in ("state", "field")}
        return Problem(409, cause.message, state=state, state_label=_label(state), **extra)
    if cause.type == "Forbidden":
        return Problem(403, cause.message)
    if cause.type == "NotFound":
        return Problem(404, cause.message)
    field = details.get("field", "body")
    return Problem(422, cause.message, errors=[{"field": field, "message": cause.message}])


def _ended(state: str | None) -> Problem:
    """The case's workflow is no longer running: its final state (from the read model) explains the refusal."""
    if state is None:
        return Problem(404, "流程不存在")
    return Problem(409, f"当前状态（{_label(state)}）不允许此操作", state=state, state_label=_label(state))


async def _running(handle: WorkflowHandle) -> bool:
    try:
        return (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    except RPCError as err:
        return err.status != RPCStatusCode.NOT_FOUND


class CaseGate:
    """Per workflow id, one Update in flight from this process; the lock is dropped when nobody waits on it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def turn(self, workflow_id: str, wait_seconds: float) -> AsyncIterator[bool]:
        """Yields True once it is this caller's turn, False if `wait_seconds` passed first."""
        lock, users = self._locks.get(workflow_id, (asyncio.Lock(), 0))
        self._locks[workflow_id] = (lock, users + 1)
        try:
            try:
                await asyncio.wait_for(lock.acquire(), wait_seconds)
            except TimeoutError:
                yield False
                return
            try:
                yield True
            finally:
                lock.release()
        finally:
            lock, users = self._locks[workflow_id]
            if users == 1:
                del self._locks[workflow_id]
            else:
                self._locks[workflow_id] = (lock, users - 1)


GATE = CaseGate()


def _no_answer(read_state: StateReader) -> Problem:
    state = read_state()
    return Problem(503, "流程引擎暂未答复，操作是否生效尚不确定：请稍后刷新查看案件状态；"
                        "用同一 Idempotency-Key 重试不会重复办理",
                   retry_after=RETRY_AFTER_SECONDS, state=state, state_label=_label(state))


async def run_update(handle: WorkflowHandle, update: Any, arg: Any, *, update_id: str, read_state: StateReader) -> Any:
    """Await the Update's outcome, re-sending the same id after a lost answer, for at most UPDATE_WAIT_SECONDS
    counted from the call, the wait for the case's turn included."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + UPDATE_WAIT_SECONDS
    async with GATE.turn(handle.id, UPDATE_WAIT_SECONDS) as ours:
        if not ours:
            raise _no_answer(read_state)
        return await _send_until(handle, update, arg, update_id, read_state, deadline)


async def _send_until(handle: WorkflowHandle, update: Any, arg: Any, update_id: str, read_state: StateReader,
                      deadline: float) -> Any:
    loop = asyncio.get_running_loop()
    while (left := deadline - loop.time()) > 0:
        try:
            return await asyncio.wait_for(handle.execute_update(update, arg, id=update_id), left)
        except WorkflowUpdateFailedError as err:
            refused = _refusal(err)
            if refused is not None:
                raise refused from None
            if not await _running(handle):
                raise _ended(read_state()) from None
            raise Problem(500, "办理失败：系统记录了一个错误，请联系管理员") from err  # a bug, not lost
        except RPCError as err:
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                if not await _running(handle):
                    raise _ended(read_state()) from None
            elif err.status not in TRANSIENT:
                break
        except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError):
            pass
        await asyncio.sleep(min(RESEND_PAUSE_SECONDS, max(deadline - loop.time(), 0)))
    raise _no_answer(read_state)


def state_reader(session: Session, row: Any) -> StateReader:
    """Reads the case's state afresh from the database, and gives the connection back at once."""
    model, case_id = type(row), row.id

    def read() -> str | None:
        try:
            fresh = session.get(model, case_id, populate_existing=True)
            return None if fresh is None else str(fresh.state)
        finally:
            release(session)

    return read


async def send_update(session: Session, row: Any, handle: WorkflowHandle, update: Any, arg: Any, key: str | None,
                      caller: str) -> BaseModel:
    """Send an action on `row`'s case. An Idempotency-Key becomes the Update id, scoped to caller and action, so a
    repeat returns the first outcome; the same key with another body is refused (422). The answer is the workflow's
    view of the case (CommitmentView, RecordView, ...), the response model of the action's route."""
    if key:
        body = arg.model_dump(mode="json", exclude={"actor"})
        claim_action_key(session, caller, f"{handle.id}:{update.__name__}", key, body)
    update_id = f"{caller}:{update.__name__}:{key or uuid.uuid4().hex}"
    release(session)
    view = await run_update(handle, update, arg, update_id=update_id, read_state=state_reader(session, row))
    assert isinstance(view, BaseModel)
    return view
