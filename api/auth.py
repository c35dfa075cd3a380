"""Staff authentication: argon2 password hashes, OAuth2 password flow, signed bearer tokens that name a
session row (revocable server-side)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam, delete, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.problems import Problem
from domain.capabilities import Capability, may
from domain.messages import Actor
from domain.settings import get_settings
from store.db import get_engine, session_scope
from store.models import StaffSession, User

ROLES = ("department", "coordinator", "credit_office", "supervisor", "admin")
STAFF_ROLES = frozenset(ROLES)
_hasher = PasswordHasher()
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        _hasher.hash(password)  # same cost whether or not the user exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except VerificationError:
        return None
    return user


def issue_token(user: User) -> str:
    """A signed token naming a new session row: the signature proves who issued it, the row whether it
    still counts (logout and disabling revoke rows, on every replica at once)."""
    s = get_settings()
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=s.token_minutes)
    sid = secrets.token_urlsafe(32)
    assert user.id is not None
    with session_scope() as db:
        db.add(StaffSession(id=sid, user_id=user.id, created_at=now, expires_at=expires))
        db.execute(delete(StaffSession).where(col(StaffSession.expires_at) < now - timedelta(days=1)))
    claims = {"sub": user.username, "sid": sid, "role": user.role, "dept": user.department_code, "exp": expires}
    return jwt.encode(claims, s.secret_key, algorithm="HS256")


def session_id(token: str) -> str:
    """The session a token names, once its signature and expiry check out."""
    try:
        claims = jwt.decode(token, get_settings().secret_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise Problem(401, "令牌无效或已过期") from None
    sid = claims.get("sid")
    if not isinstance(sid, str):
        raise Problem(401, "令牌无效或已过期")
    return sid


_LIVE_SESSION = sa_select(col(User.username), col(User.role), col(User.department_code), col(User.active),
                          col(StaffSession.revoked_at), col(StaffSession.expires_at)).where(
    col(StaffSession.id) == bindparam("sid"), col(StaffSession.user_id) == col(User.id))


def actor_from_token(token: str) -> Actor:
    """Role and department come from the account, and the session must be live: one indexed query per
    request, no cache, so a logout, a disabled or demoted account takes effect at once everywhere."""
    sid = session_id(token)
    with get_engine().connect() as conn:  # Core, the columns it needs: no ORM session or rows per request
        found = conn.execute(_LIVE_SESSION, {"sid": sid}).first()
    if found is None:
        raise Problem(401, "登录已失效，请重新登录")
    username, role, department, active, revoked_at, expires_at = found
    if revoked_at is not None or expires_at <= datetime.now(UTC):
        raise Problem(401, "登录已失效，请重新登录")
    if not active:
        raise Problem(401, "账号不存在或已停用")
    return Actor(username=username, role=role, department=department)


def revoke_session(sid: str) -> None:
    with session_scope() as db:
        db.execute(update(StaffSession).where(col(StaffSession.id) == sid, col(StaffSession.revoked_at).is_(None))
                   .values(revoked_at=datetime.now(UTC)))


def revoke_user_sessions(db: Session, user_id: int) -> None:
    """Every live session of the account, in the caller's transaction (e.g. with disabling it)."""
    db.execute(update(StaffSession).where(col(StaffSession.user_id) == user_id,
                                          col(StaffSession.revoked_at).is_(None))
               .values(revoked_at=datetime.now(UTC)))


async def optional_actor(token: Annotated[str | None, Depends(oauth2)]) -> Actor | None:
    return actor_from_token(token) if token else None


async def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise Problem(401, "请先登录（Authorization: Bearer <token>）")
    return actor


def require(capability: Capability) -> Callable[[Actor], Awaitable[Actor]]:
    """Dependency: the caller's role must have `capability` (domain/capabilities.py)."""

    async def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if not may(actor.role, capability):
            raise Problem(403, "当前角色无权执行此操作")
        return actor

    return check


OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
