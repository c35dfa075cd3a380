"""New staff passwords must be at least 12 characters and not a well-known one — on the API, the admin
page and the CLI alike, with a Chinese message that says why."""

from __future__ import annotations

from sqlmodel import select

from api.cli import main
from store.db import session_scope
from store.models import User
from tests.api.test_staff_pages import _login

WEAK = {"short-pw": "密码至少 12 个字符", "password1234!": "密码过于常见", "Woaini1314520": "密码过于常见",
        "qwertyuiopasdf": "密码过于简单", "zhaoliu-2026-ok": "密码不能包含用户名"}


def _exists(name: str) -> bool:
    with session_scope() as s:
        return s.exec(select(User).where(User.username == name)).first() is not None


async def test_the_api_refuses_weak_passwords_with_a_reason(api, tokens) -> None:
    for password, reason in WEAK.items():
        r = await api.post("/api/users", json={"username": "zhaoliu", "password": password, "role": "supervisor"},
                           headers=tokens["admin"])
        assert r.status_code == 422, password
        assert r.json()["errors"][0]["field"] == "password" and r.json()["errors"][0]["message"].startswith(reason)
    assert not _exists("zhaoliu")
    r = await api.post("/api/users", json={"username": "zhaoliu", "password": "Songshan peak at dawn",
                                           "role": "supervisor"}, headers=tokens["admin"])
    assert r.status_code == 201


async def test_the_admin_page_says_why_and_does_not_echo_the_password(api, tokens) -> None:
    csrf = await _login(api, "admin")
    r = await api.post("/admin/users", data={"csrf": csrf, "username": "zhaoliu", "password": "iloveyou2024!",
                                             "role": "supervisor"})
    assert r.status_code == 422 and "密码过于常见，容易被猜中，请换一个" in r.text and "iloveyou2024!" not in r.text
    assert not _exists("zhaoliu")


def test_the_cli_refuses_weak_passwords(capsys) -> None:
    assert main(["user", "add", "zhaoliu", "--role", "supervisor", "--password", "123456789012"]) == 2
    assert "密码过于" in capsys.readouterr().err and not _exists("zhaoliu")
    assert main(["user", "add", "zhaoliu", "--role", "supervisor", "--password", "Songshan peak at dawn"]) == 0
    assert _exists("zhaoliu")
