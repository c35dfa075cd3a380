"""归集共享 over HTTP: the signed inbound endpoint a subordinate instance pushes to, the admins' registration of
platforms and senders (with key rotation), their backlog and receipts, and the public list of foreign items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.deps import SessionDep
from api.problems import PROBLEM, Problem
from api.schemas.common import Page
from api.schemas.sharing import (
    DeliveryOut,
    ForeignItemOut,
    PlatformActiveIn,
    PlatformIn,
    PlatformKeyIn,
    PlatformOut,
    SenderIn,
    SenderKeyOut,
)
from api.services.sharing import (
    add_platform,
    add_sender,
    change_platform_key,
    issue_key,
    platform_by_id,
    platform_states,
    receive,
    recent_deliveries,
    retire_key,
    sender_by_code,
    sender_keys,
    set_platform_active,
)
from domain.capabilities import Capability
from domain.events import Event
from domain.messages import Actor
from domain.sharing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, Push, Receipt
from store.models import AuditEvent, Delivery, ForeignItem, Sender

router = APIRouter(tags=["sharing"])
Manager = Annotated[Actor, Depends(require(Capability.manage_sharing))]
Reader = Annotated[Actor, Depends(require(Capability.read_sharing))]
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_PUSH_BYTES = 256 * 1024

SIGNED_PUSH_DOC = f"""A subordinate Chengxin pushes one change of one public item (`schema_version`
`chengxin.push/1`, below as the request body). Headers: `{KEY_HEADER}` (the key id this platform issued to the sender),
`{TIMESTAMP_HEADER}` (Unix seconds; more than 5 minutes off is refused as a replay) and `{SIGNATURE_HEADER}`
(`sha256=` + hex HMAC-SHA256 of `"{{timestamp}}.{{body}}"` with the key's secret). The answer is a receipt
(`chengxin.receipt/1`) signed the same way in the same headers. A delivery id seen before returns the receipt it
got then; an older `version` of an item than the one held is kept out (`status: superseded`)."""


@router.post("/api/sharing/v1/deliveries", response_model=Receipt, summary="接收下级平台推送（签名）",
             description=SIGNED_PUSH_DOC,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": Push.model_json_schema()}}}},
             responses={401: {"description": "密钥、时间戳或签名无效", "content": {PROBLEM: {}}},
                        409: {"description": "推送编号已用于另一内容", "content": {PROBLEM: {}}},
                        422: {"description": "不符合推送格式", "content": {PROBLEM: {}}}})
async def inbound(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_PUSH_BYTES:
        raise Problem(413, "推送内容过大")
    answer = await run_in_threadpool(receive, dict(request.headers), body)
    return Response(answer.body, media_type="application/json", headers=answer.headers)


# --- platforms this instance pushes to ------------------------------------------------------------------------


@router.get("/api/sharing/platforms", response_model=Page[PlatformOut], summary="接收平台及推送积压")
def platforms(session: SessionDep, actor: Reader) -> Page[PlatformOut]:
    return Page[PlatformOut].whole([PlatformOut.of(s) for s in platform_states(session)])


def platform_out(session: Session, platform_id: int) -> PlatformOut:
    return next(PlatformOut.of(s) for s in platform_states(session) if s.platform.id == platform_id)


@router.post("/api/sharing/platforms", status_code=201, response_model=PlatformOut, summary="登记接收平台")
def register_platform(body: PlatformIn, session: SessionDep, actor: Manager) -> PlatformOut:
    return platform_out(session, add_platform(session, body, actor).id or 0)


@router.put("/api/sharing/platforms/{platform_id}/key", response_model=PlatformOut, summary="更换推送密钥")
def platform_key(platform_id: IdPath, body: PlatformKeyIn, session: SessionDep, actor: Manager) -> PlatformOut:
    """Key rotation, sending side: the receiver issued a new key; every attempt from now on signs with it."""
    change_platform_key(session, platform_id, body, actor)
    return platform_out(session, platform_id)


@router.put("/api/sharing/platforms/{platform_id}/active", response_model=PlatformOut, summary="暂停或恢复推送")
def platform_active(platform_id: IdPath, body: PlatformActiveIn, session: SessionDep, actor: Manager) -> PlatformOut:
    """A paused platform gets no new deliveries; those already queued go on trying."""
    set_platform_active(session, platform_id, body.active, actor)
    return platform_out(session, platform_id)


@router.get("/api/sharing/platforms/{platform_id}/deliveries", response_model=Page[DeliveryOut],
            summary="推送记录与回执")
def deliveries(platform_id: IdPath, session: SessionDep, actor: Reader) -> Page[DeliveryOut]:
    platform_by_id(session, platform_id)
    return Page[DeliveryOut].whole(delivery_rows(session, platform_id))


def delivery_rows(session: Session, platform_id: int) -> list[DeliveryOut]:
    rows = recent_deliveries(session, platform_id)
    actions = _actions(session, rows)
    return [DeliveryOut.of(d, actions.get((d.item_type, d.item_id, d.event_key), "")) for d in rows]


def _actions(session: Session, rows: list[Delivery]) -> dict[tuple[str, int, str], str]:
    """The label of the change each delivery carries, from the audit event it was made for."""
    if not rows:
        return {}
    events = session.exec(select(AuditEvent).where(col(AuditEvent.id).in_([d.version for d in rows]))).all()
    return {(e.case_type, e.case_id, e.event_key): Event.label_of(e.action) for e in events}


# --- senders that push to this instance -----------------------------------------------------------------------


@router.post("/api/sharing/senders", status_code=201, response_model=SenderKeyOut, summary="登记下级平台并签发密钥")
def register_sender(body: SenderIn, session: SessionDep, actor: Manager) -> SenderKeyOut:
    """The answer holds the key's secret, shown this once: hand it to the sender's admin."""
    sender, key = add_sender(session, body.code, body.name, actor)
    return SenderKeyOut.of(sender, key, with_secret=True)


@router.get("/api/sharing/senders/{code}/keys", response_model=Page[SenderKeyOut], summary="下级平台的密钥")
def keys_of_sender(code: str, session: SessionDep, actor: Reader) -> Page[SenderKeyOut]:
    sender = sender_by_code(session, code)
    return Page[SenderKeyOut].whole([SenderKeyOut.of(sender, k) for k in sender_keys(session, sender)])


@router.post("/api/sharing/senders/{code}/keys", status_code=201, response_model=SenderKeyOut,
             summary="签发新密钥（轮换）")
def new_sender_key(code: str, session: SessionDep, actor: Manager) -> SenderKeyOut:
    """Rotation, receiving side: the old key stays valid until it is retired, so no push is lost meanwhile."""
    sender = sender_by_code(session, code)
    return SenderKeyOut.of(sender, issue_key(session, sender, actor), with_secret=True)


@router.delete("/api/sharing/senders/{code}/keys/{key_id}", response_model=SenderKeyOut, summary="停用密钥")
def retire_sender_key(code: str, key_id: str, session: SessionDep, actor: Manager) -> SenderKeyOut:
    sender = sender_by_code(session, code)
    return SenderKeyOut.of(sender, retire_key(session, sender, key_id, actor))


# --- what subordinate instances reported, for everyone ----------------------------------------------------------


def foreign_items(session: Session, page: int, page_size: int) -> Page[ForeignItemOut]:
    query = select(ForeignItem).where(col(ForeignItem.public).is_(True))
    total = session.exec(select(func.count()).select_from(ForeignItem).where(col(ForeignItem.public).is_(True))).one()
    rows = session.exec(query.order_by(col(ForeignItem.changed_at).desc(), col(ForeignItem.id).desc())
                        .offset((page - 1) * page_size).limit(page_size)).all()
    senders = {s.id: s for s in session.exec(select(Sender))}
    return Page[ForeignItemOut](items=[ForeignItemOut.of(r, senders[r.sender_id]) for r in rows], total=total,
                                page=page, page_size=page_size)


@router.get("/api/shared", response_model=Page[ForeignItemOut], summary="下级平台报送的公开信息")
def shared(session: SessionDep, page: Annotated[int, Query(ge=1, le=100_000)] = 1,
           page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> Page[ForeignItemOut]:
    return foreign_items(session, page, page_size)
