"""A case's evidence files on pages: what each viewer may download (the table of domain/attachments.py), and
the credit office's button that shows a department's file on the public page (post/redirect/get)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep
from api.pages.session import checked_form, session_actor
from api.pages.track_view import day_zh
from api.problems import Problem
from api.queries import local_iso
from api.services import attachments as service
from domain.attachments import Viewer, may_publish
from domain.capabilities import Capability, may
from domain.messages import Actor
from store.models import Attachment

router = APIRouter(include_in_schema=False)
PUBLIC_CASES = {"commitment": "commitments", "record": "records"}  # case types with a public page
DONE = {"file-public": "证明材料已在公开页面公开", "file-private": "证明材料已取消公开"}  # the success banner


def shown(session: SessionDep, case_type: str, case_id: int, viewer: Viewer,
          link: Callable[[str], str] = lambda i: f"/files/{i}") -> list[dict[str, Any]]:
    """The files `viewer` may download, as the page lists them."""
    out = []
    for row in service.case_files(session, case_type, case_id, viewer):
        step = service.step_of(row)
        out.append({"id": row.id, "name": row.name, "size": row.size, "sha256": row.sha256, "public": row.public,
                    "label": step.label if step else "材料", "url": link(row.id),
                    "publishable": step is not None and may_publish(step.party) and case_type in PUBLIC_CASES,
                    "at": day_zh(local_iso(row.bound_at or row.created_at))})
    return out


def for_staff(session: SessionDep, case_type: str, case_id: int, actor: Actor) -> dict[str, Any]:
    """The staff case page's files, and whether this user may make them public."""
    return {"files": shown(session, case_type, case_id, service.viewer_of(actor)),
            "may_publish_files": may(actor.role, Capability.publish_evidence)}


@router.post("/staff/files/{attachment_id}/publicity")
async def publicity(request: Request, attachment_id: str, session: SessionDep) -> Response:
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    form = await checked_form(request)
    if not may(actor.role, Capability.publish_evidence):
        raise Problem(403, "只有信用办可以决定公开证明材料")
    row = session.get(Attachment, attachment_id)
    if row is None or row.case_id is None or row.case_type not in PUBLIC_CASES:
        raise Problem(404, "文件不存在")
    public = form.get("public") == "true"
    service.set_public(session, row, public, actor)
    kind = PUBLIC_CASES[row.case_type]
    done = "file-public" if public else "file-private"
    return RedirectResponse(f"/staff/{kind}/{row.case_id}?done={done}#files", status_code=303)
