"""Staff accounts and departments, as the admin changes them — shared by the API, the admin pages and the
CLI. Every change is written to the audit log (who, when, what, why)."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from sqlmodel import Session, col, select

from api import passwords
from api.auth import hash_password, revoke_user_sessions
from api.problems import Problem, field_error
from api.validation import Email, Name
from domain.events import Event
from domain.profiles import available_profiles, load_profile
from domain.settings import get_settings
from store.audit_chain import append_audit
from store.models import AuditEvent, Department, User

Role = Literal["department", "coordinator", "credit_office", "supervisor", "admin"]
ROLE_LABELS = {"department": "单位", "coordinator": "政府办（督查室）", "credit_office": "信用办", "supervisor": "督查",
               "admin": "管理员"}


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(max_length=200)  # rules in api.passwords
    role: Role
    department: str | None = Field(default=None, max_length=32)
    email: Email | None = None

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,63}", v):
            raise ValueError("用户名只能包含字母、数字、.、- 和 _")
        return v

    @field_validator("password")
    @classmethod
    def _strong_password(cls, v: str, info: ValidationInfo) -> str:
        refused = passwords.problem(v, info.data.get("username"))
        if refused:
            raise ValueError(refused)
        return v

    @model_validator(mode="after")
    def _department_for_department_role(self) -> UserIn:
        if self.role == "department" and not self.department:
            raise ValueError("部门角色须指定所属单位")
        return self


class DepartmentIn(BaseModel):
    code: str = Field(max_length=32)
    name: Name  # type: ignore[valid-type]
    email: Email
    supervisor_email: Email | None = None
    profile: str | None = Field(default=None, max_length=32)  # None: the deployment's DEFAULT_PROFILE

    @field_validator("profile")
    @classmethod
    def _profile(cls, v: str | None) -> str | None:
        if v is not None and v not in available_profiles():
            choices = "、".join(f"{n}（{load_profile(n).regulation}）" for n in available_profiles())
            raise ValueError(f"没有这套规则，可选：{choices}")
        return v

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,31}", v):
            raise ValueError("代码只能包含小写字母、数字、- 和 _")
        return v


def _audit(session: Session, case_type: str, case_id: int, action: Event, by: str, role: str, reason: str,
           data: dict[str, Any]) -> None:
    append_audit(session, AuditEvent(
        case_type=case_type, case_id=case_id, event_key=f"{action.value}-{uuid.uuid4().hex}", action=action.value,
        actor=by, role=role, reason=reason, at=datetime.now(UTC), data=data))


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.username))))


def create_user(session: Session, body: UserIn, by: str, role: str = "admin") -> User:
    if body.department and session.get(Department, body.department) is None:
        raise field_error("department", f"单位 {body.department} 不存在")
    if session.exec(select(User).where(User.username == body.username)).first():
        raise Problem(409, f"用户 {body.username} 已存在")
    user = User(username=body.username, password_hash=hash_password(body.password), role=body.role,
                department_code=body.department if body.role == "department" else None, email=body.email)
    session.add(user)
    session.flush()
    assert user.id is not None
    _audit(session, "user", user.id, Event.user_created, by, role, f"添加账号 {body.username}",
           {"role": body.role, "department": user.department_code})
    session.commit()
    return user


def set_user_active(session: Session, user_id: int, active: bool, by: str, role: str = "admin") -> User:
    user = session.get(User, user_id)
    if user is None:
        raise Problem(404, f"用户 {user_id} 不存在")
    if user.username == by and not active:
        raise Problem(409, "不能停用自己的账号")
    if user.active != active:
        user.active = active
        session.add(user)
        if not active:  # its tokens and page sessions stop working now, and stay dead if re-enabled
            assert user.id is not None
            revoke_user_sessions(session, user.id)
        _audit(session, "user", user_id, Event.user_enabled if active else Event.user_disabled, by, role,
               f"{'启用' if active else '停用'}账号 {user.username}", {})
        session.commit()
    return user


def create_department(session: Session, body: DepartmentIn, by: str, role: str = "admin") -> Department:
    if session.get(Department, body.code) is not None:
        raise Problem(409, f"单位代码 {body.code} 已存在")
    profile = body.profile or get_settings().default_profile
    dept = Department(code=body.code, name=body.name, email=body.email, supervisor_email=body.supervisor_email,
                      feed_token=secrets.token_urlsafe(24), profile=profile)
    session.add(dept)
    _audit(session, "department", 0, Event.department_created, by, role, f"添加单位 {body.code} {body.name}",
           {"code": body.code, "profile": profile})
    session.commit()
    return dept
