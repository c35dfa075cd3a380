"""Evidence files over HTTP: upload (then name the ids in a step's `attachments`), download, and the credit
office's choice of which department evidence is public."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import StreamingResponse

from api import ratelimit
from api.auth import OptionalActor, require
from api.deps import SessionDep
from api.pages.session import session_actor
from api.problems import Problem
from api.schemas.attachments import AttachmentOut, PublicityIn, Uploaded
from api.services import attachments as service
from domain.capabilities import Capability
from domain.messages import Actor
from store import blobs
from store.models import Attachment

router = APIRouter(tags=["attachments"])


class FileStream(StreamingResponse):
    """The stored bytes (documented as a binary download, not JSON); the real type is set per file."""

    media_type = "application/octet-stream"



@router.post("/api/attachments", status_code=201, response_model=Uploaded)
async def upload(actor: OptionalActor, request: Request,
                 files: Annotated[list[UploadFile], File(description="证明材料（PDF、OFD、JPEG、PNG、docx、xlsx）")]
                 ) -> Uploaded:
    """Store the files (each at most ATTACHMENT_MAX_MB, at most ATTACHMENT_MAX_FILES): 413 too large, 415 not an
    accepted type by its content, 422 none or too many. Nothing is stored unless every file is accepted."""
    if actor is None:
        ratelimit.take(request, ratelimit.UPLOAD)
    rows = await service.upload([service.Upload(f.filename, f.file) for f in files], actor)
    return Uploaded(attachments=[AttachmentOut.of(r) for r in rows])


def _disposition(name: str) -> str:
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _download(session: SessionDep, attachment_id: str, actor: Actor | None, signed: bool) -> FileStream:
    row = session.get(Attachment, attachment_id)
    if row is None or not service.readable(session, row, service.viewer_of(actor, holds_code=signed)):
        raise Problem(404, "文件不存在或无权查看")
    headers = {"Content-Disposition": _disposition(row.name), "Content-Length": str(row.size),
               "X-Content-Type-Options": "nosniff", "ETag": f'"{row.sha256}"',
               "X-Content-SHA256": row.sha256, "Cache-Control": "private, no-store",
               "Content-Security-Policy": "sandbox; default-src 'none'"}
    return FileStream(blobs.read(row.sha256), media_type=row.content_type, headers=headers)


@router.get("/api/attachments/{attachment_id}", response_class=FileStream,
            responses={200: {"content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                "format": "binary"}}}}})
def download(attachment_id: str, session: SessionDep, actor: OptionalActor) -> FileStream:
    """The file as uploaded, to whoever may read it (processes.md §10; domain/attachments.py); else 404."""
    return _download(session, attachment_id, actor, signed=False)


@router.get("/files/{attachment_id}", response_class=FileStream, include_in_schema=False)
def download_page(attachment_id: str, request: Request, session: SessionDep,
                  e: Annotated[int | None, Query(ge=0, le=2**40)] = None,
                  s: Annotated[str | None, Query(max_length=64)] = None) -> FileStream:
    """The pages' link: the signed-in staff member, the applicant by the tracking page's signed link, or the
    public."""
    signed = service.link_ok(attachment_id, e, s)
    return _download(session, attachment_id, session_actor(request), signed=signed)


@router.post("/api/attachments/{attachment_id}/publicity", response_model=AttachmentOut)
def publicity(attachment_id: str, body: PublicityIn, session: SessionDep,
              actor: Annotated[Actor, Depends(require(Capability.publish_evidence))]) -> AttachmentOut:
    """The credit office shows a department's evidence on the public page of a public case (or stops)."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.case_id is None:
        raise Problem(404, "文件不存在")
    return AttachmentOut.of(service.set_public(session, row, body.public, actor))
