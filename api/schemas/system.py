"""Bodies of the system routes: health, login token, departments, users, open deadlines, audit log, outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.accounts import ROLE_LABELS
from api.schemas.common import local_at
from domain.events import Event
from domain.profiles import regulation_zh
from store.models import AuditEvent, DeadlineRow, Department, User


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]
    temporal: Literal["ok"]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    role: str
    department: str = Field(description="the department's code; empty for other roles")


class DepartmentOut(BaseModel):
    code: str
    name: str
    email: str
    supervisor_email: str | None
    profile: str
    profile_label: str

    @classmethod
    def of(cls, d: Department) -> DepartmentOut:
        return cls(code=d.code, name=d.name, email=d.email, supervisor_email=d.supervisor_email, profile=d.profile,
                   profile_label=regulation_zh(d.profile))


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    role_label: str
    department: str | None
    email: str | None
    active: bool

    @classmethod
    def of(cls, u: User) -> UserOut:
        assert u.id is not None
        return cls(id=u.id, username=u.username, role=u.role, role_label=ROLE_LABELS.get(u.role, u.role),
                   department=u.department_code, email=u.email, active=u.active)


class OpenDeadline(BaseModel):
    case_type: str
    case_id: int
    key: str
    label: str
    department: str | None
    binds: str
    due_at: datetime
    provisional: bool
    status: str

    @classmethod
    def of(cls, r: DeadlineRow) -> OpenDeadline:
        return cls(case_type=r.case_type, case_id=r.case_id, key=r.key, label=r.label, department=r.department_code,
                   binds=r.binds, due_at=local_at(r.due_at), provisional=r.provisional, status=r.status)


class AuditEntry(BaseModel):
    id: int
    at: datetime
    action: str
    action_label: str
    from_state: str | None
    to_state: str | None
    actor: str
    role: str
    reason: str | None
    data: dict[str, Any] | None

    @classmethod
    def of(cls, e: AuditEvent) -> AuditEntry:
        assert e.id is not None
        return cls(id=e.id, at=local_at(e.at), action=e.action, action_label=Event.label_of(e.action),
                   from_state=e.from_state, to_state=e.to_state, actor=e.actor, role=e.role, reason=e.reason,
                   data=e.data)


class NoticeOut(BaseModel):
    """An outbox row; `recipient` and `last_error` are masked unless the role may see personal data."""

    id: int
    case: str
    event_key: str
    recipient: str
    template: str
    subject: str
    status: str = Field(description="pending | sending | sent | failed")
    attempts: int
    last_error: str | None
    deliver_at: datetime
    sent_at: datetime | None
