"""The public page of suggestion and proposal replies (建议提案复文): only replies the coordinator made public,
read through the same query as the anonymous API list, so no page can show a deputy's contact."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep
from api.pages.templating import templates
from api.routes.motions import list_motions

router = APIRouter(include_in_schema=False)


@router.get("/motions", response_class=HTMLResponse)
def motions_page(request: Request, session: SessionDep,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    listed = list_motions(session, None, None, page, 20)
    return templates.TemplateResponse(request, "pages/motions.html.j2", {"listing": listed, "page": page})
