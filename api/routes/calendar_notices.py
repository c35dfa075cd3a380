"""State Council holiday notices over the API: preview what a pasted notice says and moves, then import it
as one calendar version (api/notice_import.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import AfterValidator, BaseModel, Field

from api.deps import ClientDep, SessionDep
from api.idempotency import idempotent
from api.notice_import import check, import_notice
from api.routes.calendar import Editor
from api.schemas.calendar import NoticeImported, NoticePreview
from api.validation import plain_text

router = APIRouter(prefix="/api/calendar/notices", tags=["calendar"])


class NoticeIn(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=20000, description="通知全文（含标题）"),
                    AfterValidator(plain_text)]


@router.post("/preview", response_model=NoticePreview)
def notice_preview(body: NoticeIn, session: SessionDep, actor: Editor) -> NoticePreview:
    """Every holiday and adjusted working day read from the notice, what could not be read, and the open
    deadlines the import would move. Saves nothing."""
    return check(session, body.text)


@router.post("", status_code=201, response_model=NoticeImported)
async def notice_save(body: NoticeIn, session: SessionDep, client: ClientDep, actor: Editor,
                      idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> Any:
    """One calendar version citing the notice, holding all its days and confirming its year (no longer 暂定);
    refused (422, nothing saved) while a sentence about 放假 or 上班 cannot be read."""

    async def create() -> tuple[int, Any]:
        return 201, await import_notice(session, client, body.text, actor.username)

    return await idempotent(idempotency_key, actor.username, body.model_dump(mode="json"), create)
