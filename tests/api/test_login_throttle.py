"""Failed logins are throttled per account and per client address — the right password is refused too
while a throttle holds — each failure is audited where an admin can read it, and the admin is e-mailed
once per burst."""

from __future__ import annotations

import re

import httpx
from sqlmodel import select

from api.app import create_app
from store.db import session_scope
from store.models import User
from tests.api.test_commitments_api import PROBLEM
from tests.api.test_staff_pages import _csrf

ALERT = "登录失败次数过多"


def _from(temporal_client, peer: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    app = create_app()
    app.state.temporal = temporal_client
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(peer, 50000)),
                             base_url="http://chengxin.test")


def _user_id(name: str) -> int:
    with session_scope() as s:
        return s.exec(select(User).where(User.username == name)).one().id


async def test_five_wrong_passwords_then_even_the_right_one_is_refused(api, tokens, smtp_sink) -> None:
    statuses = [(await api.post("/api/auth/token", data={"username": "fgw", "password": f"guess-{i}"})).status_code
                for i in range(5)]
    assert statuses == [401] * 5
    right = await api.post("/api/auth/token", data={"username": "fgw", "password": "fgw-pw"})
    assert right.status_code == 429 and right.headers["content-type"].startswith(PROBLEM)
    assert 0 < int(right.headers["retry-after"]) <= 15 * 60 + 1
    assert re.fullmatch(r"该账号登录失败次数过多，请在 \d\d:\d\d 后再试（约 \d+ 分钟后）", right.json()["detail"])
    assert "access_token" not in right.text
    # another account from the same address is not locked out by fgw's throttle
    assert (await api.post("/api/auth/token", data={"username": "scjg", "password": "scjg-pw"})).status_code == 200
    # each failure is in the account's audit trail, which the admin can read
    trail = (await api.get(f"/api/audit?case=user-{_user_id('fgw')}", headers=tokens["admin"])).json()["items"]
    failed = [e for e in trail if e["action"] == "login_failed"]
    assert len(failed) == 5 and failed[0]["action_label"] == "登录失败" and "密码错误" in failed[0]["reason"]
    # the admin is told once, however long the attacker goes on
    for _ in range(3):
        assert (await api.post("/api/auth/token", data={"username": "fgw", "password": "x"})).status_code == 429
    alerts = await smtp_sink.wait_for(lambda m: ALERT in str(m["Subject"]) and "admin@test.local" in str(m["To"]))
    assert len(alerts) == 1 and "账号 fgw" in str(alerts[0]["Subject"])
    assert "即使密码正确也无法登录" in alerts[0].get_body(("plain",)).get_content()
    assert (await api.get("/api/audit?case=commitment-1", headers=tokens["admin"])).status_code == 403


async def test_one_address_guessing_many_accounts_is_throttled(api, tokens, temporal_client, smtp_sink) -> None:
    async with _from(temporal_client, "198.51.100.9") as guesser, _from(temporal_client, "203.0.113.50") as office:
        for i in range(20):  # a new user name each time, and a forged X-Forwarded-For: neither helps
            r = await guesser.post("/api/auth/token", data={"username": f"user{i}", "password": "123456"},
                                   headers={"X-Forwarded-For": f"192.0.2.{i}"})
            assert r.status_code == 401
        r = await guesser.post("/api/auth/token", data={"username": "xyb", "password": "xyb-pw"})
        assert r.status_code == 429 and r.json()["detail"].startswith("登录失败次数过多，请在")
        assert (await office.post("/api/auth/token", data={"username": "xyb", "password": "xyb-pw"})).status_code == 200
    unknown = (await api.get("/api/audit?case=user-0", headers=tokens["admin"])).json()["items"]
    assert len(unknown) == 20 and all("198.51.100.9" in e["reason"] for e in unknown)
    assert all("user1" not in str(e) for e in unknown)  # what was typed for a non-account is not kept
    alerts = await smtp_sink.wait_for(lambda m: "地址 198.51.100.9" in str(m["Subject"]))
    assert len(alerts) == 1


async def test_the_login_page_says_when_to_retry(api, tokens) -> None:
    token = _csrf((await api.get("/login")).text)
    for i in range(5):
        r = await api.post("/login", data={"username": "ducha", "password": f"wrong-{i}", "csrf": token})
        assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = await api.post("/login", data={"username": "ducha", "password": "ducha-pw", "csrf": token})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert re.search(r"该账号登录失败次数过多，请在 \d\d:\d\d 后再试（约 \d+ 分钟后）", r.text)
    assert "cx_session" not in r.cookies and (await api.get("/staff")).status_code == 303
