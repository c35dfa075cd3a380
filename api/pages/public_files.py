"""The evidence files a public page lists: those the public may download (department evidence the credit office
made public on a public case), with what a reader needs to check them — name, size, step and SHA-256."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.schemas.common import local
from api.services.attachments import case_files, step_of
from domain.attachments import Viewer


def size_zh(size: int) -> str:
    """Bytes as a reader reads them: KB below one megabyte (at least 1 KB), MB above, one decimal."""
    if size < 1024:
        return "1 KB"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def public_files(session: Session, case_type: str, case_id: int) -> list[dict[str, Any]]:
    out = []
    for row in case_files(session, case_type, case_id, Viewer()):
        step = step_of(row)
        bound = local(row.bound_at)
        out.append({"id": row.id, "name": row.name, "size": size_zh(row.size), "step": step.label if step else "",
                    "date": bound.date().isoformat() if bound else "", "sha256": row.sha256})
    return out
