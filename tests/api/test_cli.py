"""`chengxin` CLI: accounts, departments and calendar overrides, with clear errors."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from api.cli import main
from store.db import session_scope
from store.models import CalendarOverride, CalendarVersion, Department, User


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


def test_calendar_import_saves_the_2026_notice_as_one_version_confirming_the_year(capsys, monkeypatch) -> None:
    from domain.settings import get_settings
    from store.calendars import load_calendar
    from store.models import CalendarYear
    from tests.conftest import free_port

    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")  # no engine: saved, re-projection deferred
    get_settings.cache_clear()
    notice = "tests/data/notice_2026.txt"
    assert main(["calendar", "import", notice, "--dry-run"]) == 0
    assert "此变更将影响 0 个未到期时限（仅预览，未保存）" in capsys.readouterr().out
    with session_scope() as s:
        assert s.exec(select(CalendarVersion)).first() is None
    assert main(["calendar", "import", notice, "--by", "admin"]) == 0
    out = capsys.readouterr()
    assert "通知：国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）" in out.out
    assert ("春节：放假 2026年2月15日（周日）至2月23日（周一），共9天；"
            "调休上班 2026年2月14日（周六）、2026年2月28日（周六）") in out.out
    assert "2026年放假安排已全部录入（放假 33 天，调休上班 6 天）" in out.out
    assert "chengxin calendar reproject" in out.err
    with session_scope() as s:
        version = s.exec(select(CalendarVersion)).one()
        assert version.created_by == "admin" and version.reason.startswith("国务院办公厅关于2026年部分节假日安排的通知")
        assert len(s.exec(select(CalendarOverride).where(CalendarOverride.version_id == version.id)).all()) == 39
        assert s.exec(select(CalendarYear)).one().year == 2026
        cal = load_calendar(s)
    assert "春节放假" in cal.day(date(2026, 2, 20)).note and cal.day(date(2026, 10, 10)).working
    get_settings.cache_clear()


def test_calendar_import_refuses_a_notice_it_cannot_read_whole(capsys, tmp_path) -> None:
    bad = tmp_path / "notice.txt"
    bad.write_text("国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：1月1日（周四）至3日（周日）放假，共3天。\n",
                   encoding="utf-8")
    assert main(["calendar", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "第 2 行" in err and "1月1日是周五，通知写作周四" in err and "未导入" in err
    assert main(["calendar", "import", str(tmp_path / "missing.txt")]) == 2
    with session_scope() as s:
        assert s.exec(select(CalendarVersion)).first() is None
