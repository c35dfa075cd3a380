"""Turn a refused workflow Update into the problem the caller should see (409 names the state)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.problems import Problem
from domain.commitment import STATE_LABELS_ZH as COMMITMENT_STATES
from domain.objection import COMPLAINT_STATES_ZH, OBJECTION_STATES_ZH
from domain.record import STATE_LABELS_ZH as RECORD_STATES

T = TypeVar("T")
STATE_LABELS = {**COMPLAINT_STATES_ZH, **OBJECTION_STATES_ZH, **COMMITMENT_STATES, **RECORD_STATES}


async def run_update(call: Awaitable[T], current_state: str | None = None) -> T:
    """Await a workflow Update; `current_state` (from the read model) names the state when the case's
    workflow has already ended, so the caller still gets 409 rather than 404."""
    try:
        return await call
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if not isinstance(cause, ApplicationError):
            raise
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        if cause.type == "InvalidState":
            state = details.get("state")
            label = STATE_LABELS.get(state or "", state)
            extra = {k: v for k, v in details.items() if k not in ("state", "field")}
            raise Problem(409, cause.message, state=state, state_label=label, **extra) from None
        if cause.type == "Forbidden":
            raise Problem(403, cause.message) from None
        if cause.type == "NotFound":
            raise Problem(404, cause.message) from None
        field = details.get("field", "body")
        raise Problem(422, cause.message, errors=[{"field": field, "message": cause.message}]) from None
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            if current_state:
                label = STATE_LABELS.get(current_state, current_state)
                raise Problem(409, f"当前状态（{label}）不允许此操作", state=current_state, state_label=label) from None
            raise Problem(404, "流程不存在") from None
        raise Problem(503, "流程引擎暂不可用，请稍后重试") from None


async def send_update(handle: WorkflowHandle, update: Any, arg: Any, current_state: str, key: str | None,
                      caller: str) -> dict[str, Any]:
    """Send an action as an Update; an Idempotency-Key becomes its update id, scoped to caller and action,
    so a repeat returns the first outcome."""
    update_id = f"{caller}:{update.__name__}:{key}" if key else None
    view = await run_update(handle.execute_update(update, arg, id=update_id), current_state)
    return view.model_dump(mode="json")
