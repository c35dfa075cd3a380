"""What the motion endpoints answer: the staff view (the deputy's contact only for the office that registered
it), the staff list row, and the public reply (建议提案复文) that never names a contact."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session

from api.schemas.common import Deadline, HistoryEntry, Profile, deadlines, history
from domain.calendar import TZ
from domain.motion import MOTION_KINDS, MOTION_STATES_ZH, RESULT_CLASSES
from store.models import Motion


class MotionCreated(BaseModel):
    id: int
    number: str
    title: str
    kind: str
    state: str
    department: str
    co_departments: list[str]
    url: str


class MotionListItem(BaseModel):
    id: int
    number: str
    title: str
    kind: str
    kind_zh: str
    state: str
    state_zh: str
    department: str
    department_name: str | None
    co_departments: list[str]
    late: bool

    @classmethod
    def of(cls, row: Motion, names: dict[str, str]) -> MotionListItem:
        assert row.id is not None
        return cls(id=row.id, number=row.number, title=row.title, kind=row.kind,
                   kind_zh=MOTION_KINDS.get(row.kind, row.kind), state=row.state,
                   state_zh=MOTION_STATES_ZH.get(row.state, row.state), department=row.department_code,
                   department_name=names.get(row.department_code), co_departments=list(row.co_departments or []),
                   late=row.late)


class MotionStaffView(MotionListItem):
    content: str
    deputy_name: str
    deputy_contact: str | None  # only with read_deputy_contact (domain/capabilities.py); None otherwise
    co_opinions: dict[str, str]
    co_late: list[str]
    extended: bool
    reopened: bool
    reply_text: str | None
    result_class: str | None
    result_class_zh: str | None
    promise: str | None
    promise_due: date | None
    approved_by_leader: str | None
    replied_at: datetime | None
    reply_public: bool
    feedback: str | None
    feedback_comment: str | None
    commitment_ids: list[int]
    state_label: str  # the staff case page's names
    profile: Profile
    deadlines: list[Deadline]
    history: list[HistoryEntry]

    @classmethod
    def build(cls, session: Session, row: Motion, names: dict[str, str], with_contact: bool) -> MotionStaffView:
        assert row.id is not None
        base = MotionListItem.of(row, names).model_dump()
        return cls(**base, state_label=base["state_zh"], profile=Profile.of(row.profile_name, row.profile_version),
                   deadlines=deadlines(session, "motion", row.id), history=history(session, "motion", row.id),
                   content=row.content, deputy_name=row.deputy_name,
                   deputy_contact=row.deputy_contact if with_contact else None,
                   co_opinions={k: str(v) for k, v in (row.co_opinions or {}).items()},
                   co_late=list(row.co_late or []), extended=row.extended, reopened=row.reopened,
                   reply_text=row.reply_text, result_class=row.result_class,
                   result_class_zh=RESULT_CLASSES.get(row.result_class or ""), promise=row.promise,
                   promise_due=row.promise_due, approved_by_leader=row.approved_by_leader,
                   replied_at=row.replied_at, reply_public=row.reply_public, feedback=row.feedback,
                   feedback_comment=row.feedback_comment, commitment_ids=list(row.commitment_ids or []))


class MotionPublicReply(BaseModel):
    """A reply the coordinator made public: no deputy contact, no internal opinions."""

    id: int
    number: str
    title: str
    kind: str
    kind_zh: str
    department_name: str | None
    result_class_zh: str | None
    reply_text: str | None
    replied_on: date | None

    @classmethod
    def of(cls, row: Motion, names: dict[str, str]) -> MotionPublicReply:
        assert row.id is not None
        return cls(id=row.id, number=row.number, title=row.title, kind=row.kind,
                   kind_zh=MOTION_KINDS.get(row.kind, row.kind), department_name=names.get(row.department_code),
                   result_class_zh=RESULT_CLASSES.get(row.result_class or ""), reply_text=row.reply_text,
                   replied_on=row.replied_at.astimezone(TZ).date() if row.replied_at else None)
