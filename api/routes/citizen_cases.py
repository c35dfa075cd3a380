"""What the objection and complaint endpoints share: finding a case by its tracking code (with the guessing
limit), a public filing (one rate-limit slot, idempotent), a staff member's access to a case, and an action as
the Update of the case's workflow."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import Header, Request
from pydantic import BaseModel
from sqlmodel import Session, col, select
from temporalio.client import Client

from api import ratelimit
from api.idempotency import idempotent
from api.problems import Problem
from api.scope import own_department, reads_in_full
from api.services.citizen import code_mail_task, find_by_code
from api.temporal_errors import send_update
from domain.messages import (
    Actor,
)
from store.models import Complaint, Objection

IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def by_code(request: Request, session: Session, model: type[Objection] | type[Complaint], code: str) -> Any:
    """404 for a wrong code (never revealing existence); too many wrong codes from one client → 429.
    Only wrong codes count, and a valid code is always answered: a citizen behind the same address as a
    guesser still reads their own case (guessing stays hopeless: 120-bit codes)."""
    row = find_by_code(session, model, code)
    if row is None:
        ratelimit.check(request, ratelimit.TRACKING_MISS)
        ratelimit.hit(request, ratelimit.TRACKING_MISS)
        raise Problem(404, "查询码无效")
    return row



async def file_publicly(request: Request, body: Any, key: str | None, file: Any) -> Any:
    """A public filing: one rate-limit slot, idempotent per client and key — a replay of a stored answer
    takes no slot. A filing with an e-mail address mails the code once, after the answer (api/services/code_mail.py)."""
    filed: dict[str, Any] = {}

    async def create() -> tuple[int, Any]:
        filed.update(await file())
        return 201, filed

    response = await idempotent(key, f"public:{ratelimit.client_key(request)}", body.model_dump(), create,
                                admit=lambda: ratelimit.take(request, ratelimit.SUBMISSION))
    if (task := code_mail_task(body, filed)) is not None:
        response.background = task
    return response


def for_staff(session: Session, model: type[Objection] | type[Complaint], case_id: int, actor: Actor,
               what: str) -> Any:
    """The case, if this staff member may see it: a department only its own department's."""
    row = cast(Objection | Complaint | None, session.get(model, case_id))
    if row is None:
        raise Problem(404, f"{what} {case_id} 不存在")
    if not reads_in_full(actor, row.department_code):
        raise Problem(403, f"不能查看或办理其他单位的{what}")
    return row


def staff_rows(session: Session, actor: Actor, model: type[Objection] | type[Complaint], state: str | None) -> list:
    query = select(model)
    if (own := own_department(actor)) is not None:
        query = query.where(model.department_code == own)
    if state:
        query = query.where(model.state == state)
    return list(session.exec(query.order_by(col(model.id).desc())))



async def act(session: Session, client: Client, row: Objection | Complaint, update: Any, arg: Any,
               key: str | None, caller: str) -> BaseModel:
    """An action on an objection or complaint: the Update of its workflow (`objection-{id}`, `complaint-{id}`)."""
    kind = "objection" if isinstance(row, Objection) else "complaint"
    return await send_update(session, row, client.get_workflow_handle(f"{kind}-{row.id}"), update, arg, key, caller)
