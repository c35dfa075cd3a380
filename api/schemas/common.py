"""Parts every case's body shares: the list envelope, the pinned rule profile, deadlines and the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from starlette.responses import Response

from domain.calendar import TZ, Receipt
from domain.events import Event
from domain.profiles import rules_label_zh
from store.models import AuditEvent, DeadlineRow

T = TypeVar("T")


def local(at: datetime | None) -> datetime | None:
    """A stored instant in China Standard Time (+08:00), as every body shows it."""
    return at.astimezone(TZ) if at else None


def local_at(at: datetime) -> datetime:
    return at.astimezone(TZ)


class Page(BaseModel, Generic[T]):
    """The list envelope of ../shared/spec/api.md: {items, total, page, page_size}."""

    items: list[T]
    total: int
    page: int
    page_size: int

    def json_response(self) -> Response:
        """The page already serialized: FastAPI would otherwise validate the page it was given once more against
        the route's response_model (which still documents it) before encoding it."""
        return Response(self.model_dump_json(), media_type="application/json")

    @classmethod
    def whole(cls, items: list[T]) -> Self:
        """An unpaged list: every item on page 1."""
        return cls(items=items, total=len(items), page=1, page_size=len(items))

    @classmethod
    def of(cls, items: list[T], page: int, page_size: int) -> Self:
        """One page of a list held in memory."""
        start = (page - 1) * page_size
        return cls(items=items[start:start + page_size], total=len(items), page=page, page_size=page_size)


class AuditCheckpointOut(BaseModel):
    """A published daily checkpoint of the audit log (审计链校验值): `hash` pins every audit row up to `last_id`."""

    day: date
    hash: str
    prev_hash: str
    count: int
    first_id: int | None
    last_id: int | None


class Listing(BaseModel, Generic[T]):
    """An open-data list: every public item, {items, total}, and the newest audit checkpoint when there is one."""

    items: list[T]
    total: int
    audit_checkpoint: AuditCheckpointOut | None = None


class CaseRef(BaseModel):
    type: str
    id: int


class Profile(BaseModel):
    """The rule profile a case pinned: code and version for programs, `label` (Chinese) for people."""

    name: str
    version: str
    label: str

    @classmethod
    def of(cls, name: str, version: str) -> Profile:
        return cls(name=name, version=version, label=rules_label_zh(name, version))


DEADLINE_STATUS_ZH = {"open": "计时中", "paused": "中止计时", "met": "按期办结", "missed": "已逾期", "closed": "已结束"}


class Deadline(BaseModel):
    key: str
    label: str
    due_at: datetime
    provisional: bool
    status: str = Field(description="open | paused | met | missed | closed")
    status_label: str
    binds: str = Field(description="department:{code} | credit_office")
    calendar_version: int
    receipt: dict[str, Any] = Field(description="how the date was computed (../shared/spec/processes.md §1)")
    receipt_text: str

    @classmethod
    def of(cls, r: DeadlineRow) -> Deadline:
        return cls(key=r.key, label=r.label, due_at=local_at(r.due_at), provisional=r.provisional, status=r.status,
                   status_label=DEADLINE_STATUS_ZH.get(r.status, r.status), binds=r.binds,
                   calendar_version=r.calendar_version, receipt=r.receipt,
                   receipt_text=Receipt.model_validate(r.receipt).summary_zh())


def deadlines(session: Session, case_type: str, case_id: int) -> list[Deadline]:
    rows = session.exec(select(DeadlineRow).where(DeadlineRow.case_type == case_type, DeadlineRow.case_id == case_id)
                        .order_by(col(DeadlineRow.due_at)))
    return [Deadline.of(r) for r in rows]


class HistoryEntry(BaseModel):
    """One audit event of a case; `actor` (the login) is null in the public view, which names roles only."""

    at: datetime
    action: str
    action_label: str
    from_state: str | None
    to_state: str | None
    actor: str | None
    role: str
    reason: str | None


class PublicHistoryEntry(BaseModel):
    """What the holder of a tracking code sees of each step."""

    at: datetime
    action: str
    action_label: str
    to_state: str | None


def history(session: Session, case_type: str, case_id: int, staff: bool = True) -> list[HistoryEntry]:
    """The case's audit trail; the public version names roles, not the staff members' logins."""
    rows = session.exec(select(AuditEvent).where(AuditEvent.case_type == case_type, AuditEvent.case_id == case_id)
                        .order_by(col(AuditEvent.at), col(AuditEvent.id)))
    return [HistoryEntry(at=local_at(e.at), action=e.action, action_label=Event.label_of(e.action),
                         from_state=e.from_state, to_state=e.to_state, actor=e.actor if staff else None, role=e.role,
                         reason=e.reason) for e in rows]


def public_history(session: Session, case_type: str, case_id: int) -> list[PublicHistoryEntry]:
    return [PublicHistoryEntry(at=h.at, action=h.action, action_label=h.action_label, to_state=h.to_state)
            for h in history(session, case_type, case_id)]
