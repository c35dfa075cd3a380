"""Health, login token, departments and users, open deadlines and the audit log."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import col, func, select

from api import login
from api.accounts import DepartmentIn, UserIn, create_department, create_user, list_users, set_user_active
from api.auth import CurrentActor, issue_token, oauth2, require, revoke_session, session_id
from api.deps import ClientDep, SessionDep, release
from api.idempotency import idempotent
from api.problems import Problem, problem_response
from api.recipients import official_addresses, shown_error, shown_recipient
from api.schemas.common import Page, local, local_at
from api.schemas.system import AuditEntry, DepartmentOut, Health, NoticeOut, OpenDeadline, Token, UserOut
from domain.calendar import TZ, end_of_day
from domain.capabilities import Capability, may
from domain.messages import Actor
from store.models import AuditEvent, DeadlineRow, Department, Outbox

router = APIRouter()


@router.get("/healthz", tags=["system"], response_model=Health)
async def healthz(session: SessionDep, client: ClientDep) -> Any:
    failed = []
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except Exception:
        failed.append("database")
    release(session)  # not held while Temporal is asked
    try:
        await client.service_client.check_health(timeout=timedelta(seconds=3))
    except Exception:
        failed.append("temporal")
    if failed:
        return problem_response(503, "不可用：" + "、".join(failed), failed=failed)
    return Health(status="ok", database="ok", temporal="ok")


@router.post("/api/auth/token", tags=["auth"], response_model=Token)
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep) -> Any:
    """A bearer token; 401 for a wrong password, 429 with Retry-After while the account or this client
    address is throttled after repeated failures (then even the right password is refused)."""
    result = login.attempt(session, request, form.username, form.password, via="api")
    user = result.user
    if user is None:
        assert result.refusal is not None
        headers = result.headers() or {"WWW-Authenticate": "Bearer"}
        response = problem_response(result.refusal.status, result.refusal.detail, headers=headers,
                                    **result.refusal.extra)
        response.background = result.background()
        return response
    return Token(access_token=issue_token(user), token_type="bearer", role=user.role,
                 department=user.department_code or "")


@router.post("/api/auth/logout", status_code=204, tags=["auth"])
def logout(token: Annotated[str | None, Depends(oauth2)]) -> Response:
    """Revoke the presented bearer token now (on every replica): later requests with it get 401."""
    if not token:
        raise Problem(401, "请先登录（Authorization: Bearer <token>）")
    revoke_session(session_id(token))
    return Response(status_code=204)


@router.get("/api/departments", tags=["departments"], response_model=Page[DepartmentOut])
def departments(session: SessionDep) -> Page[DepartmentOut]:
    rows = session.exec(select(Department).order_by(col(Department.code)))
    return Page[DepartmentOut].whole([DepartmentOut.of(d) for d in rows])


@router.post("/api/departments", status_code=201, tags=["departments"], response_model=DepartmentOut)
async def add_department(body: DepartmentIn, session: SessionDep,
                         actor: Annotated[Actor, Depends(require(Capability.manage_accounts))],
                         idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> Any:
    async def create() -> tuple[int, Any]:
        return 201, DepartmentOut.of(create_department(session, body, actor.username))

    return await idempotent(idempotency_key, actor.username, body.model_dump(), create)


Admin = Annotated[Actor, Depends(require(Capability.manage_accounts))]


@router.get("/api/users", tags=["users"], response_model=Page[UserOut])
def users(session: SessionDep, actor: Admin) -> Page[UserOut]:
    return Page[UserOut].whole([UserOut.of(u) for u in list_users(session)])


@router.post("/api/users", status_code=201, tags=["users"], response_model=UserOut)
def add_user(body: UserIn, session: SessionDep, actor: Admin) -> UserOut:
    return UserOut.of(create_user(session, body, actor.username))


class UserActive(BaseModel):
    active: bool


@router.post("/api/users/{user_id}/active", tags=["users"], response_model=UserOut)
def user_active(user_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: UserActive, session: SessionDep,
                actor: Admin) -> UserOut:
    """Disable or re-enable an account; disabling revokes its tokens and page sessions at once."""
    return UserOut.of(set_user_active(session, user_id, body.active, actor.username))


@router.get("/api/deadlines", tags=["deadlines"], response_model=Page[OpenDeadline])
def open_deadlines(session: SessionDep, actor: CurrentActor, department: str | None = None,
                   due_before: date | None = None, overdue: bool | None = None,
                   page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                   page_size: Annotated[int, Query(ge=1, le=100)] = 50) -> Page[OpenDeadline]:
    query = select(DeadlineRow).where(col(DeadlineRow.status).in_(["open", "paused"]))
    if actor.role == "department":
        if department and department != actor.department:
            raise Problem(403, "不能查看其他单位的时限")
        department = actor.department
    if department:
        query = query.where(DeadlineRow.department_code == department)
    if due_before:
        query = query.where(col(DeadlineRow.due_at) <= end_of_day(due_before))
    if overdue is not None:
        now = datetime.now(TZ)
        query = query.where(col(DeadlineRow.due_at) < now if overdue else col(DeadlineRow.due_at) >= now)
    rows = list(session.exec(query.order_by(col(DeadlineRow.due_at))))
    return Page[OpenDeadline].of([OpenDeadline.of(r) for r in rows], page, page_size)


@router.get("/api/audit", tags=["audit"], response_model=Page[AuditEntry])
def audit(session: SessionDep,
          actor: Annotated[Actor, Depends(require(Capability.read_audit))],
          case: Annotated[str, Query(pattern=r"^[a-z_]{1,20}-\d{1,9}$", description="e.g. commitment-1")],
          ) -> Page[AuditEntry]:
    """A case's audit trail. Admins read only accounts' trails (user-{id}: created, disabled, failed
    logins; user-0: failed logins of unknown names), not cases'."""
    case_type, _, case_id = case.rpartition("-")
    if case_type != "user" and not may(actor.role, Capability.read_case_audit):
        raise Problem(403, "当前角色无权执行此操作")
    rows = session.exec(select(AuditEvent).where(AuditEvent.case_type == case_type,
                                                 AuditEvent.case_id == int(case_id)).order_by(col(AuditEvent.id)))
    return Page[AuditEntry].whole([AuditEntry.of(e) for e in rows])


@router.get("/api/notices", tags=["notices"], response_model=Page[NoticeOut])
def notices(session: SessionDep, actor: Annotated[Actor, Depends(require(Capability.read_notices))],
            status: Literal["pending", "sending", "sent", "failed"] | None = None,
            page: Annotated[int, Query(ge=1, le=100_000)] = 1,
            page_size: Annotated[int, Query(ge=1, le=100)] = 50) -> Page[NoticeOut]:
    """The outbox, for admins: what is waiting, what was sent, and what failed with which error.
    Citizens' addresses are masked unless the role may see personal data (the credit office)."""
    where = [Outbox.status == status] if status else []
    query = select(Outbox).where(*where)
    total = session.exec(select(func.count()).select_from(Outbox).where(*where)).one()  # not every rendered body
    rows = session.exec(query.order_by(col(Outbox.id).desc()).offset((page - 1) * page_size).limit(page_size))
    official, personal = official_addresses(session), may(actor.role, Capability.read_personal_data)
    items = [NoticeOut(id=o.id or 0, case=f"{o.case_type}-{o.case_id}", event_key=o.event_key,
                       recipient=shown_recipient(o.recipient, official, personal),
                       template=o.template, subject=o.subject, status=o.status, attempts=o.attempts,
                       last_error=shown_error(o.last_error, o.recipient, official, personal),
                       deliver_at=local_at(o.deliver_at), sent_at=local(o.sent_at))
             for o in rows]
    return Page[NoticeOut](items=items, total=total, page=page, page_size=page_size)
