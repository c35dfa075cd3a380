"""Tracking by code in the body (../shared/spec/api.md): the code never appears in a URL."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import SessionDep
from api.routes.citizen_cases import by_code
from api.schemas.citizens import (
    ComplaintStatus,
    ObjectionStatus,
    TrackedCase,
)
from api.services.citizen import find_by_code
from store.models import Complaint, Objection

router = APIRouter(tags=["objections & complaints"])


class TrackBody(BaseModel):
    code: str = Field(min_length=1, max_length=100, description="查询码，大小写和短横线、空格均可")


@router.post("/api/track", response_model=TrackedCase)
def track_by_body(request: Request, body: TrackBody, session: SessionDep) -> ObjectionStatus | ComplaintStatus:
    """Status of the objection or complaint of a tracking code sent in the body, so that it never appears in a
    URL (access logs, Referer). Same answer as the GET …/track/{tracking_code} endpoints, with `kind`."""
    objection = find_by_code(session, Objection, body.code)
    if objection is not None:
        return ObjectionStatus.build(session, cast(Objection, objection))
    return ComplaintStatus.build(session, by_code(request, session, Complaint, body.code))
