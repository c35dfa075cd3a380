"""What the API says of an evidence file (never its bytes: those come from its download URL)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from domain.attachments import evidence_step
from store.models import Attachment

AttachmentIds = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
    Field(max_length=50,
          description="POST /api/attachments 返回的文件 id（每步最多 ATTACHMENT_MAX_FILES 个）")]


class AttachmentOut(BaseModel):
    id: str
    name: str
    size: int
    content_type: str
    sha256: str  # for 存证: anyone can check the downloaded bytes against it
    step: str | None
    step_label: str | None
    public: bool
    uploaded_at: datetime
    download_url: str

    @classmethod
    def of(cls, row: Attachment, download_url: str | None = None) -> AttachmentOut:
        step = evidence_step(row.case_type or "", row.step or "")
        return cls(id=row.id, name=row.name, size=row.size, content_type=row.content_type, sha256=row.sha256,
                   step=row.step, step_label=step.label if step else None, public=row.public,
                   uploaded_at=row.bound_at or row.created_at, download_url=download_url or f"/files/{row.id}")


class Uploaded(BaseModel):
    """Name these ids in the step's `attachments` (within a day; a step takes each upload once)."""

    attachments: list[AttachmentOut]


class PublicityIn(BaseModel):
    public: bool
