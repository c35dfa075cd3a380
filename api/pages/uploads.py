"""Files posted with a page form (multipart, no JavaScript): stored through the same service as
POST /api/attachments, so the step that follows names them by id exactly as an API client does."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile

from api import ratelimit
from api.services import attachments as service
from domain.attachments import ACCEPTED_ZH
from domain.messages import Actor
from domain.settings import get_settings
from store.models import Attachment

FILES_FIELD = "attachments"  # the form's <input type=file>, and the body field the ids go to


def files_hint() -> str:
    settings = get_settings()
    return (f"可上传 {ACCEPTED_ZH}；每个文件不超过 {settings.attachment_max_mb} MB，"
            f"一次最多 {settings.attachment_max_files} 个")


async def posted_files(request: Request, field: str = FILES_FIELD) -> list[service.Upload]:
    """The files chosen in the form's file input (a browser sends one empty part when none is chosen)."""
    form = await request.form()  # parsed once per request: Starlette keeps it
    return [service.Upload(f.filename, f.file) for f in form.getlist(field)
            if isinstance(f, UploadFile) and f.filename]


async def store_posted(request: Request, actor: Actor | None, field: str = FILES_FIELD) -> list[str]:
    """Store the posted files (all or none) and return their ids; a refusal is a Problem naming `field`.
    Anonymous uploads count against the same hourly limit as the API's."""
    uploads = await posted_files(request, field)
    if not uploads:
        return []
    if actor is None:
        ratelimit.take(request, ratelimit.UPLOAD)
    return [row.id for row in await service.upload(uploads, actor, field=field)]


def names_of(session: Session, ids: Sequence[str]) -> list[str]:
    """The names of uploads, in the order given (for a check-your-answers page)."""
    if not ids:
        return []
    rows = {a.id: a.name for a in session.exec(select(Attachment).where(col(Attachment.id).in_(list(ids))))}
    return [rows[i] for i in ids if i in rows]
