"""Bodies of the 归集共享 endpoints: registering platforms and senders, their state, foreign items."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, Field, HttpUrl, field_validator

from api.schemas.common import local, local_at
from api.services.sharing import PlatformState
from domain.record import SEVERITIES
from domain.sharing import ITEM_TYPE_ZH
from store.models import Delivery, ForeignItem, Sender, SenderKey

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,63}$"


class PlatformIn(BaseModel):
    """A receiving platform: its push endpoint and the key it issued to us."""

    name: str = Field(min_length=1, max_length=100)
    url: HttpUrl
    sender_code: str = Field(pattern=CODE_PATTERN, description="本平台在接收平台登记的代码")
    key_id: str = Field(min_length=3, max_length=40)
    secret: str = Field(min_length=16, max_length=200)
    record_severities: list[Literal["minor", "general", "serious"]] = Field(default=["general", "serious"])
    commitments: bool = True
    all_changes: bool = False


class PlatformKeyIn(BaseModel):
    key_id: str = Field(min_length=3, max_length=40)
    secret: str = Field(min_length=16, max_length=200)


class PlatformActiveIn(BaseModel):
    active: bool


class PlatformOut(BaseModel):
    id: int
    name: str
    url: str
    sender_code: str
    key_id: str
    record_severities: list[str]
    record_severity_labels: list[str]
    commitments: bool
    all_changes: bool
    active: bool
    delivered: int
    pending: int
    failing: int
    overdue: int
    oldest_pending_at: datetime | None

    @classmethod
    def of(cls, s: PlatformState) -> Self:
        p = s.platform
        severities = p.record_severities or []
        return cls(id=p.id or 0, name=p.name, url=p.url, sender_code=p.sender_code, key_id=p.key_id,
                   record_severities=severities, record_severity_labels=[SEVERITIES[v] for v in severities],
                   commitments=p.commitments, all_changes=p.all_changes, active=p.active, delivered=s.delivered,
                   pending=s.pending, failing=s.failing, overdue=s.overdue, oldest_pending_at=local(s.oldest_pending))


class DeliveryOut(BaseModel):
    uid: str
    item_type: str
    item_type_label: str
    item_id: int
    change: str
    version: int
    retract: bool
    created_at: datetime
    due_at: datetime | None
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    escalated_at: datetime | None
    receipt: dict[str, object] | None
    receipt_received_at: datetime | None  # the receipt's instant, in China Standard Time

    @classmethod
    def of(cls, d: Delivery, change: str) -> Self:
        return cls(uid=d.uid, item_type=d.item_type, item_type_label=ITEM_TYPE_ZH.get(d.item_type, d.item_type),
                   item_id=d.item_id, change=change, version=d.version, retract=d.retract,
                   created_at=local_at(d.created_at), due_at=local(d.due_at), attempts=d.attempts,
                   last_error=d.last_error, delivered_at=local(d.delivered_at), escalated_at=local(d.escalated_at),
                   receipt=d.receipt, receipt_received_at=_received(d.receipt))


def _received(receipt: dict[str, object] | None) -> datetime | None:
    at = (receipt or {}).get("received_at")
    return local_at(datetime.fromisoformat(at)) if isinstance(at, str) else None


class SenderIn(BaseModel):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)

    @field_validator("name")
    @classmethod
    def _one_line(cls, v: str) -> str:
        if "\n" in v or "\r" in v:
            raise ValueError("只能填写一行")
        return v.strip()


class SenderKeyOut(BaseModel):
    """A key as issued: the secret is shown this once, to hand to the sender's admin."""

    sender: str
    key_id: str
    secret: str | None = None
    created_at: datetime
    retired_at: datetime | None = None

    @classmethod
    def of(cls, sender: Sender, key: SenderKey, *, with_secret: bool = False) -> Self:
        return cls(sender=sender.code, key_id=key.key_id, secret=key.secret if with_secret else None,
                   created_at=local_at(key.created_at), retired_at=local(key.retired_at))


class ForeignItemOut(BaseModel):
    """A subordinate instance's public item, marked with where it came from."""

    source: str
    source_code: str
    item_type: str
    item_type_label: str
    remote_id: int
    title: str
    department_name: str
    state_label: str
    fields: dict[str, object]
    details: list[str]  # the fields as a reader sees them: "类别：拖欠账款", a true flag by its name alone
    url: str | None
    changed_at: datetime
    received_at: datetime

    @classmethod
    def of(cls, item: ForeignItem, sender: Sender) -> Self:
        data = item.data or {}
        return cls(source=sender.name, source_code=sender.code, item_type=item.item_type,
                   item_type_label=ITEM_TYPE_ZH.get(item.item_type, item.item_type), remote_id=item.remote_id,
                   title=item.title, department_name=item.department_name, state_label=item.state_label,
                   fields=data.get("fields", {}), details=_details(data.get("fields", {})), url=item.url,
                   changed_at=local_at(item.changed_at),
                   received_at=local_at(item.received_at))


def _details(fields: dict[str, object]) -> list[str]:
    return [k if v is True else f"{k}：{v}" for k, v in fields.items() if v is not False and v is not None]
