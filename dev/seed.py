"""Demo departments and staff accounts for the embedded default (first start only)."""

from __future__ import annotations

import secrets

from sqlmodel import select

from api.auth import hash_password
from store.db import session_scope
from store.models import Department, User

DEPARTMENTS = [
    ("fgw", "市发展和改革委员会", "fgw@chengxin.localhost", "zfb-ducha@chengxin.localhost"),
    ("scjg", "市市场监督管理局", "scjg@chengxin.localhost", "zfb-ducha@chengxin.localhost"),
    ("zjj", "市住房和城乡建设局", "zjj@chengxin.localhost", "zfb-ducha@chengxin.localhost"),
]
USERS = [
    ("admin", "admin123", "admin", None),
    ("xyb", "xyb123", "credit_office", None),
    ("ducha", "ducha123", "supervisor", None),
    ("fgw", "fgw123", "department", "fgw"),
    ("scjg", "scjg123", "department", "scjg"),
    ("zjj", "zjj123", "department", "zjj"),
]


def seed_demo_if_empty() -> list[tuple[str, str, str]] | None:
    """Seed when there are no users yet; return the demo logins (username, password, role)."""
    with session_scope() as session:
        if session.exec(select(User.id)).first() is not None:
            return None
        for code, name, email, supervisor in DEPARTMENTS:
            if session.get(Department, code) is None:
                session.add(Department(code=code, name=name, email=email, supervisor_email=supervisor,
                                       feed_token=secrets.token_urlsafe(24)))
        session.flush()
        for username, password, role, dept in USERS:
            session.add(User(username=username, password_hash=hash_password(password), role=role,
                             department_code=dept, email=f"{username}@chengxin.localhost"))
    return [(u, p, r if d is None else f"{r}:{d}") for u, p, r, d in USERS]
