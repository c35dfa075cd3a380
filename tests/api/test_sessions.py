"""Sessions are revocable server-side: logout and disabling an account end bearer tokens and page
sessions at once, on every replica; a page's CSRF token is good only for its own session."""

from __future__ import annotations

import re

import httpx
from sqlmodel import select

from api.app import create_app
from store.db import session_scope
from store.models import User
from tests.api.test_staff_pages import _csrf


def _replica(temporal_client) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    app = create_app()
    app.state.temporal = temporal_client
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://chengxin.test")


async def _page_login(c: httpx.AsyncClient, username: str) -> str:
    token = _csrf((await c.get("/login")).text)
    r = await c.post("/login", data={"username": username, "password": f"{username}-pw", "csrf": token})
    assert r.status_code == 303
    return c.cookies["cx_session"]


async def test_logout_revokes_the_bearer_token_at_once_on_every_replica(api, tokens, temporal_client) -> None:
    async with _replica(temporal_client) as other:
        assert (await other.get("/api/deadlines", headers=tokens["fgw"])).status_code == 200
        assert (await api.post("/api/auth/logout", headers=tokens["fgw"])).status_code == 204
        for c in (api, other):
            r = await c.get("/api/deadlines", headers=tokens["fgw"])
            assert r.status_code == 401 and r.json()["detail"] == "登录已失效，请重新登录"
    assert (await api.get("/api/deadlines", headers=tokens["scjg"])).status_code == 200  # others stay in


async def test_page_logout_revokes_the_session_cookie_itself(api, tokens, temporal_client) -> None:
    async with _replica(temporal_client) as browser, _replica(temporal_client) as thief:
        stolen = await _page_login(browser, "xyb")
        thief.cookies.set("cx_session", stolen, domain="chengxin.test")
        assert (await thief.get("/staff")).status_code == 200
        staff = await browser.get("/staff")
        assert (await browser.post("/logout", data={"csrf": _csrf(staff.text)})).status_code == 303
        page = await thief.get("/staff")  # the copied cookie is dead too, not only the browser's
        assert page.status_code == 303 and page.headers["location"] == "/login"
        assert (await thief.get("/api/deadlines", headers={"Authorization": f"Bearer {stolen}"})).status_code == 401


async def test_disabling_a_user_revokes_tokens_and_sessions_at_once(api, tokens, temporal_client) -> None:
    async with _replica(temporal_client) as other:
        await _page_login(other, "fgw")
        assert (await other.get("/staff")).status_code == 200
        assert (await other.get("/api/deadlines", headers=tokens["fgw"])).status_code == 200
        with session_scope() as s:
            fgw = s.exec(select(User).where(User.username == "fgw")).one().id
        r = await api.post(f"/api/users/{fgw}/active", json={"active": False}, headers=tokens["admin"])
        assert r.status_code == 200 and r.json()["active"] is False
        assert (await other.get("/api/deadlines", headers=tokens["fgw"])).status_code == 401
        assert (await other.get("/staff")).status_code == 303
        await api.post(f"/api/users/{fgw}/active", json={"active": True}, headers=tokens["admin"])
        assert (await other.get("/api/deadlines", headers=tokens["fgw"])).status_code == 401  # stays revoked
        fresh = await api.post("/api/auth/token", data={"username": "fgw", "password": "fgw-pw"})
        headers = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
        assert (await other.get("/api/deadlines", headers=headers)).status_code == 200


async def test_a_csrf_token_from_another_session_is_refused(api, tokens, temporal_client) -> None:
    async with _replica(temporal_client) as first, _replica(temporal_client) as second:
        await _page_login(first, "xyb")
        await _page_login(second, "xyb")  # the same person, signed in twice
        theirs = _csrf((await first.get("/staff")).text)
        mine = _csrf((await second.get("/staff")).text)
        assert theirs != mine
        r = await second.post("/logout", data={"csrf": theirs})
        assert r.status_code == 400 and "页面已过期" in r.text  # a page, not the API's JSON
        assert r.headers["content-type"].startswith("text/html")
        r = await second.post("/staff/records/new", data={"csrf": theirs, "subject_department": "fgw"})
        assert r.status_code == 400
        assert (await second.get("/staff")).status_code == 200  # still signed in
        assert (await second.post("/logout", data={"csrf": mine})).status_code == 303
        # after logout, that session's old token is no good either (a new session has a new token)
        await _page_login(second, "xyb")
        assert (await second.post("/logout", data={"csrf": mine})).status_code == 400
        assert re.fullmatch(r"[0-9a-f]{64}", _csrf((await second.get("/staff")).text))
