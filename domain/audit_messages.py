"""Messages of the daily audit checkpoint (workflows/audit_checkpoint.py ↔ activities/audit_checkpoint.py)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class AuditCheckpointRun(BaseModel):
    """The Schedule's input: empty (the local day that has just ended); a test or an operator may name it."""

    day: date | None = None


class AuditCheckpointRequest(BaseModel):
    day: date
    at: datetime


class AuditCheckpointDone(BaseModel):
    day: date
    count: int
    first_id: int | None
    last_id: int | None
    hash: str
