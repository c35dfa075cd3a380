"""归集共享, receiving side and registration: check a subordinate instance's signed push, keep the newest
version of each of its items, answer with a signed receipt; register platforms we push to and senders we
receive from (domain/sharing.py holds the wire format and the signing rule)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.accounts import _audit
from api.problems import Problem
from domain.events import Event
from domain.messages import Actor
from domain.settings import get_settings
from domain.sharing import (
    KEY_HEADER,
    MAX_SKEW_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Push,
    Receipt,
    ReceiptStatus,
    body_digest,
    new_key,
    receipt_headers,
    signature_ok,
)
from store.db import session_scope
from store.models import Delivery, ForeignItem, InboundDelivery, Platform, Sender, SenderKey

if TYPE_CHECKING:
    from api.schemas.sharing import PlatformIn, PlatformKeyIn


@dataclass
class Answer:
    """A signed receipt: the exact bytes and the headers that sign them."""

    body: bytes
    headers: dict[str, str]


def receive(headers: dict[str, str], body: bytes) -> Answer:
    """Check, apply once, and sign the receipt. Refusals are problems (401 forged or stale, 409 a delivery id
    reused for other content, 422 not our schema); nothing is stored for a refused push."""
    key_id = headers.get(KEY_HEADER.lower(), "")
    with session_scope("api") as session:
        key = session.exec(select(SenderKey).where(SenderKey.key_id == key_id,
                                                   col(SenderKey.retired_at).is_(None))).first()
        if key is None:
            raise Problem(401, "推送密钥无效或已停用")
        sender = session.get(Sender, key.sender_id)
        assert sender is not None
        secret, sender_id, sender_code = key.secret, key.sender_id, sender.code
    try:
        ts = int(headers.get(TIMESTAMP_HEADER.lower(), ""))
    except ValueError:
        raise Problem(401, "缺少推送时间戳") from None
    if abs(time.time() - ts) > MAX_SKEW_SECONDS:
        raise Problem(401, f"推送时间与本平台相差超过 {MAX_SKEW_SECONDS // 60} 分钟，不予接收（可能是重放）")
    if not signature_ok(secret, ts, body, headers.get(SIGNATURE_HEADER.lower(), "")):
        raise Problem(401, "推送签名无效")
    try:
        push = Push.model_validate(json.loads(body))
    except (ValueError, ValidationError) as err:
        raise Problem(422, f"推送内容不符合 chengxin.push/1 格式：{str(err)[:300]}") from None
    if push.sender != sender_code:
        raise Problem(403, "推送中的发送方与密钥不符")
    if not push.retract and push.item is None:
        raise Problem(422, "非撤回推送须包含信息内容（item）")
    receipt = _apply_once(sender_id, push, body_digest(body))
    out = json.dumps(receipt, ensure_ascii=False, sort_keys=True).encode()
    return Answer(out, receipt_headers(secret, key_id, int(time.time()), out))


def _apply_once(sender_id: int, push: Push, digest: str) -> dict[str, Any]:
    for _ in range(2):  # a concurrent copy of the same delivery wins the insert: answer with its receipt
        with session_scope("api") as session:
            seen = session.exec(select(InboundDelivery).where(InboundDelivery.sender_id == sender_id,
                                                              InboundDelivery.uid == push.delivery_id)).first()
            if seen is not None:
                if seen.body_sha256 != digest:
                    raise Problem(409, "该推送编号已用于另一内容，不予接收")
                return seen.receipt
        try:
            with session_scope("api") as session:
                return _apply(session, sender_id, push, digest)
        except IntegrityError:
            continue
    raise Problem(409, "同一推送正在处理，请稍后重试")


def _apply(session: Session, sender_id: int, push: Push, digest: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    item = session.exec(select(ForeignItem).where(
        ForeignItem.sender_id == sender_id, ForeignItem.item_type == push.item_type,
        ForeignItem.remote_id == push.item_id)).first()
    status: ReceiptStatus = "applied"
    if item is not None and item.version >= push.version:
        status = "superseded"  # out of order: a newer change is already here
    elif push.retract:
        if item is None:  # the retraction of an item never received: remember it, so an older push stays out
            item = ForeignItem(sender_id=sender_id, item_type=push.item_type, remote_id=push.item_id,
                               version=push.version, public=False, title="", department_name="",
                               state_label=push.change_label, changed_at=push.changed_at, received_at=now)
        item.version, item.public, item.changed_at, item.received_at = push.version, False, push.changed_at, now
        item.state_label = push.change_label
        session.add(item)
    else:
        assert push.item is not None
        face = push.item
        values: dict[str, Any] = dict(
            version=push.version, public=True, title=face.title, department_name=face.department_name,
            state_label=face.state_label, url=push.url, changed_at=push.changed_at, received_at=now,
            data={"department_code": face.department_code, "state": face.state, "fields": face.fields,
                  "change": push.change_label})
        if item is None:
            item = ForeignItem(sender_id=sender_id, item_type=push.item_type, remote_id=push.item_id, **values)
        else:
            for name, value in values.items():
                setattr(item, name, value)
        session.add(item)
    sender = session.get(Sender, sender_id)
    assert sender is not None
    receipt = Receipt(delivery_id=push.delivery_id, receiver=get_settings().instance_name, sender=sender.code,
                      item_type=push.item_type, item_id=push.item_id, version=push.version, status=status,
                      received_at=now).model_dump(mode="json")
    session.add(InboundDelivery(sender_id=sender_id, uid=push.delivery_id, body_sha256=digest, status=status,
                                receipt=receipt, received_at=now))
    session.flush()
    return receipt


# --- registration (admins): each change is audited and committed here, for the API and the pages alike -----


def add_platform(session: Session, body: PlatformIn, actor: Actor) -> Platform:
    p = Platform(name=body.name, url=str(body.url), sender_code=body.sender_code, key_id=body.key_id,
                 secret=body.secret, record_severities=list(body.record_severities), commitments=body.commitments,
                 all_changes=body.all_changes, active=True, created_at=datetime.now(UTC))
    session.add(p)
    session.flush()
    _audit(session, "platform", p.id or 0, Event.platform_added, actor.username, actor.role, p.name,
           {"url": p.url, "key_id": p.key_id})
    session.commit()
    return p


def platform_by_id(session: Session, platform_id: int) -> Platform:
    p = session.get(Platform, platform_id)
    if p is None:
        raise Problem(404, f"没有接收平台 {platform_id}")
    return p


def change_platform_key(session: Session, platform_id: int, body: PlatformKeyIn, actor: Actor) -> Platform:
    """Key rotation, sending side: the receiver issued a new key; every attempt from now on signs with it."""
    p = platform_by_id(session, platform_id)
    old = p.key_id
    p.key_id, p.secret = body.key_id, body.secret
    session.add(p)
    _audit(session, "platform", platform_id, Event.platform_key_changed, actor.username, actor.role, p.name,
           {"from": old, "to": body.key_id})
    session.commit()
    return p


def set_platform_active(session: Session, platform_id: int, active: bool, actor: Actor) -> Platform:
    """A paused platform gets no new deliveries; those already queued go on trying."""
    p = platform_by_id(session, platform_id)
    p.active = active
    session.add(p)
    _audit(session, "platform", platform_id, Event.platform_resumed if active else Event.platform_paused,
           actor.username, actor.role, p.name, {})
    session.commit()
    return p


def add_sender(session: Session, code: str, name: str, actor: Actor) -> tuple[Sender, SenderKey]:
    if session.exec(select(Sender).where(Sender.code == code)).first() is not None:
        raise Problem(409, f"下级平台 {code} 已登记", errors=[{"field": "code", "message": "已登记"}])
    sender = Sender(code=code, name=name, created_at=datetime.now(UTC))
    session.add(sender)
    session.flush()
    key = _issue_key(session, sender)
    _audit(session, "sender", sender.id or 0, Event.sender_added, actor.username, actor.role, sender.name,
           {"code": sender.code, "key_id": key.key_id})
    session.commit()
    return sender, key


def _issue_key(session: Session, sender: Sender) -> SenderKey:
    key_id, secret = new_key()
    key = SenderKey(sender_id=sender.id or 0, key_id=key_id, secret=secret, created_at=datetime.now(UTC))
    session.add(key)
    session.flush()
    return key


def issue_key(session: Session, sender: Sender, actor: Actor) -> SenderKey:
    """Rotation, receiving side: the old key stays valid until it is retired, so no push is lost meanwhile."""
    key = _issue_key(session, sender)
    _audit(session, "sender", sender.id or 0, Event.sender_key_issued, actor.username, actor.role, sender.name,
           {"key_id": key.key_id})
    session.commit()
    return key


def sender_by_code(session: Session, code: str) -> Sender:
    sender = session.exec(select(Sender).where(Sender.code == code)).first()
    if sender is None:
        raise Problem(404, f"没有下级平台 {code}")
    return sender


def sender_keys(session: Session, sender: Sender) -> list[SenderKey]:
    return list(session.exec(select(SenderKey).where(SenderKey.sender_id == sender.id).order_by(col(SenderKey.id))))


def retire_key(session: Session, sender: Sender, key_id: str, actor: Actor) -> SenderKey:
    key = session.exec(select(SenderKey).where(SenderKey.sender_id == sender.id,
                                               SenderKey.key_id == key_id)).first()
    if key is None:
        raise Problem(404, f"没有密钥 {key_id}")
    if key.retired_at is None:
        live = session.exec(select(func.count()).select_from(SenderKey).where(
            SenderKey.sender_id == sender.id, col(SenderKey.retired_at).is_(None))).one()
        if live <= 1:
            raise Problem(409, "这是该下级平台唯一有效的密钥：请先签发新密钥，再停用旧密钥")
        key.retired_at = datetime.now(UTC)
        session.add(key)
        _audit(session, "sender", sender.id or 0, Event.sender_key_retired, actor.username, actor.role,
               sender.name, {"key_id": key_id})
        session.commit()
    return key


@dataclass
class PlatformState:
    """What an admin sees of a platform: the backlog, the failing deliveries and the receipts."""

    platform: Platform
    delivered: int
    pending: int
    failing: int
    overdue: int
    oldest_pending: datetime | None


def platform_states(session: Session) -> list[PlatformState]:
    out = []
    for p in session.exec(select(Platform).order_by(col(Platform.id))).all():
        counts = session.exec(select(
            func.count(col(Delivery.delivered_at)),
            func.count() - func.count(col(Delivery.delivered_at)),
            func.count(col(Delivery.last_error)),
            func.count(col(Delivery.escalated_at)),
        ).where(Delivery.platform_id == p.id)).one()
        oldest = session.exec(select(func.min(Delivery.created_at)).where(
            Delivery.platform_id == p.id, col(Delivery.delivered_at).is_(None))).one()
        if isinstance(oldest, datetime) and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        out.append(PlatformState(p, delivered=counts[0], pending=counts[1], failing=counts[2],
                                 overdue=counts[3], oldest_pending=oldest))
    return out


def senders(session: Session) -> list[tuple[Sender, list[SenderKey]]]:
    return [(s, sender_keys(session, s)) for s in session.exec(select(Sender).order_by(col(Sender.code)))]


def recent_deliveries(session: Session, platform_id: int, limit: int = 50) -> list[Delivery]:
    """Undelivered first (oldest first), then the latest receipts."""
    pending = session.exec(select(Delivery).where(Delivery.platform_id == platform_id,
                                                  col(Delivery.delivered_at).is_(None))
                           .order_by(col(Delivery.id)).limit(limit)).all()
    done = session.exec(select(Delivery).where(Delivery.platform_id == platform_id,
                                               col(Delivery.delivered_at).is_not(None))
                        .order_by(col(Delivery.id).desc()).limit(limit)).all()
    return [*pending, *done]


def foreign_summary(session: Session) -> list[dict[str, Any]]:
    """Per source and department: how many of its commitments and records are public here (for /ranking)."""
    rows = session.exec(select(Sender.name, ForeignItem.department_name, ForeignItem.item_type, func.count())
                        .join(Sender, col(Sender.id) == col(ForeignItem.sender_id))
                        .where(col(ForeignItem.public).is_(True))
                        .group_by(Sender.name, ForeignItem.department_name, ForeignItem.item_type)).all()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for source, department, item_type, count in rows:
        entry = out.setdefault((source, department), {"source": source, "department_name": department,
                                                      "commitment": 0, "record": 0})
        entry[item_type] = count
    return [out[k] for k in sorted(out)]
