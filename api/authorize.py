"""The API's early answer to "may this caller take this action on this case": the process's action table
(domain/actions.py), asked before the Update is sent, so a wrong role or department is 403 without a round trip
to the workflow (which asks the same table again, with the state and conditions)."""

from __future__ import annotations

from api.problems import Problem
from domain.actions import ActionTable
from domain.messages import Actor


def authorize(table: ActionTable, action: str, actor: Actor, department: str) -> None:
    refused = table.authorize(action, actor.role, actor.department, department)
    if refused is not None:
        raise Problem(403, refused.message)


def authorize_create(table: ActionTable, actor: Actor, department: str | None) -> None:
    refused = table.authorize_create(actor.role, actor.department, department or "")
    if refused is not None:
        raise Problem(403, refused.message)
