"""Staff workspace: login with a session cookie and CSRF token; the queue shows only my deadlines."""

from __future__ import annotations

import re

from tests.api.test_commitments_api import body, settled


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def test_login_needs_the_csrf_token_and_the_queue_is_mine(api, tokens) -> None:
    fgw = (await api.post("/api/commitments", json=body(title="发改委承诺"), headers=tokens["fgw"])).json()["id"]
    scjg = (await api.post("/api/commitments", json=body(title="市场监管承诺"), headers=tokens["scjg"])).json()["id"]
    for cid in (fgw, scjg):
        await settled(api, cid, {}, lambda c: c["deadlines"])
    assert (await api.get("/staff")).status_code == 303
    form = await api.get("/login")
    token = _csrf(form.text)
    r = await api.post("/login", data={"username": "fgw", "password": "fgw-pw", "csrf": "forged"})
    assert r.status_code == 400 and "cx_session" not in r.cookies
    r = await api.post("/login", data={"username": "fgw", "password": "wrong", "csrf": token})
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = await api.post("/login", data={"username": "fgw", "password": "fgw-pw", "csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/staff"
    queue = await api.get("/staff")
    assert queue.status_code == 200 and f"政务承诺 {fgw}" in queue.text and f"政务承诺 {scjg}" not in queue.text
    assert "承诺履行期限" in queue.text
    r = await api.post("/logout", data={"csrf": _csrf(queue.text)})
    assert r.status_code == 303
    api.cookies.delete("cx_session")
    assert (await api.get("/staff")).status_code == 303
