"""Staff authentication: argon2 password hashes, OAuth2 password flow, signed bearer tokens."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session, select

from activities.db import get_engine
from activities.models import User
from api.problems import Problem
from domain.messages import Actor
from domain.settings import get_settings

ROLES = ("department", "credit_office", "supervisor", "admin")
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
    s = get_settings()
    claims = {"sub": user.username, "role": user.role, "dept": user.department_code,
              "exp": datetime.now(UTC) + timedelta(minutes=s.token_minutes)}
    return jwt.encode(claims, s.secret_key, algorithm="HS256")


def actor_from_token(token: str) -> Actor:
    try:
        claims = jwt.decode(token, get_settings().secret_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise Problem(401, "令牌无效或已过期") from None
    return Actor(username=claims["sub"], role=claims["role"], department=claims.get("dept"))


ACCOUNT_CHECK_SECONDS = 5.0
_accounts: dict[str, tuple[Actor, float]] = {}


def current_account(actor: Actor) -> Actor:
    """Role and department come from the account, not the token: a disabled, demoted or moved user loses
    the old rights within ACCOUNT_CHECK_SECONDS (without a query per request)."""
    now = time.monotonic()
    cached = _accounts.get(actor.username)
    if cached and cached[1] > now:
        return cached[0]
    with Session(get_engine()) as session:
        user = session.exec(select(User).where(User.username == actor.username)).first()
    if user is None or not user.active:
        _accounts.pop(actor.username, None)
        raise Problem(401, "账号不存在或已停用")
    current = Actor(username=user.username, role=user.role, department=user.department_code)
    _accounts[actor.username] = (current, now + ACCOUNT_CHECK_SECONDS)
    return current


async def optional_actor(token: Annotated[str | None, Depends(oauth2)]) -> Actor | None:
    return current_account(actor_from_token(token)) if token else None


async def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise Problem(401, "请先登录（Authorization: Bearer <token>）")
    return actor


def require(*roles: str):  # type: ignore[no-untyped-def]
    """Dependency: the caller must hold one of `roles`."""

    async def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if actor.role not in roles:
            raise Problem(403, "当前角色无权执行此操作")
        return actor

    return check


OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
