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


async def _login(api, username: str) -> str:  # type: ignore[no-untyped-def]
    api.cookies.clear()
    token = _csrf((await api.get("/login")).text)
    r = await api.post("/login", data={"username": username, "password": f"{username}-pw", "csrf": token})
    assert r.status_code == 303
    return _csrf((await api.get("/staff")).text)


async def test_department_reports_and_credit_office_accepts_through_the_forms(api, tokens) -> None:
    cid = (await api.post("/api/commitments", json=body(title="表单办理的承诺"), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published" and c["deadlines"])
    csrf = await _login(api, "fgw")
    page = await api.get(f"/staff/commitments/{cid}")
    assert "报告履行情况" in page.text and "核验履行情况" not in page.text
    r = await api.post(f"/staff/commitments/{cid}/fulfilment", data={"csrf": csrf, "report": ""})
    assert r.status_code == 422 and "请填写履行情况" in r.text
    r = await api.post(f"/staff/commitments/{cid}/fulfilment", data={"csrf": "forged", "report": "完成"})
    assert r.status_code == 400
    r = await api.post(f"/staff/commitments/{cid}/fulfilment", data={"csrf": csrf, "report": "已按期办结"})
    assert r.status_code == 303 and r.headers["location"] == f"/staff/commitments/{cid}?done=fulfilment"
    csrf = await _login(api, "xyb")
    r = await api.post(f"/staff/commitments/{cid}/verification",
                       data={"csrf": csrf, "accepted": "true", "confirmed": "1"})
    assert r.status_code == 303
    public = await settled(api, cid, {}, lambda c: c["state"] == "fulfilled")
    assert public["report"] == "已按期办结"
    csrf = await _login(api, "scjg")
    assert (await api.get(f"/staff/commitments/{cid}")).status_code == 404
