"""`chengxin` CLI: accounts, departments and calendar overrides, with clear errors."""

from __future__ import annotations

from sqlmodel import select

from activities.db import session_scope
from activities.models import CalendarOverride, CalendarVersion, Department, User
from api.cli import main


def test_department_and_user_add(capsys) -> None:
    assert main(["department", "add", "jyj", "--name", "市教育局", "--email", "jyj@test.local",
                 "--supervisor-email", "sup@test.local"]) == 0
    assert main(["department", "add", "jyj", "--name", "重复", "--email", "x@test.local"]) == 2
    assert "已存在" in capsys.readouterr().err
    assert main(["department", "add", "BAD CODE", "--name", "x", "--email", "x@test.local"]) == 2
    assert main(["user", "add", "li", "--role", "department", "--department", "jyj", "--password", "pw"]) == 2
    assert "password" in capsys.readouterr().err  # at least 12 characters
    assert main(["user", "add", "li", "--role", "department", "--department", "jyj", "--password", "Songhua-88-x"]) == 0
    assert main(["user", "add", "wang", "--role", "department", "--password", "pw"]) == 2
    assert main(["user", "add", "zhao", "--role", "department", "--department", "nope", "--password", "pw"]) == 2
    with session_scope() as s:
        assert s.get(Department, "jyj").supervisor_email == "sup@test.local"
        user = s.exec(select(User).where(User.username == "li")).one()
        assert user.department_code == "jyj" and user.password_hash.startswith("$argon2")
        assert s.exec(select(User).where(User.username == "wang")).first() is None


def test_calendar_add_creates_a_version_with_reason(capsys) -> None:
    assert main(["calendar", "add", "2027-01-04", "holiday", "--reason", "国办发明电〔2026〕X号", "--by", "admin"]) == 0
    assert "日历版本" in capsys.readouterr().out
    with session_scope() as s:
        version = s.exec(select(CalendarVersion)).one()
        override = s.exec(select(CalendarOverride)).one()
        assert version.created_by == "admin" and override.reason.startswith("国办发明电")
        assert override.working is False and override.version_id == version.id
