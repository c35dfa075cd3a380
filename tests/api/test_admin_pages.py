"""Admin pages: departments and users with Chinese form messages and an audit trail; the calendar page
previews every open deadline a change moves before saving, and saving re-projects them."""

from __future__ import annotations

import asyncio
import re
from datetime import date

from sqlmodel import select

from api.validation import today_local
from store.db import session_scope
from store.models import AuditEvent, CalendarVersion, Department, User
from tests.api.test_calendar_reprojection import _working_days
from tests.api.test_commitments_api import body, settled
from tests.api.test_staff_pages import _login


async def test_admin_adds_departments_and_users_and_disables_an_account(api, tokens) -> None:
    await _login(api, "fgw")
    assert (await api.get("/admin")).status_code == 404  # not for department staff
    csrf = await _login(api, "admin")
    page = await api.get("/admin")
    assert page.status_code == 200 and "市发展和改革委员会" in page.text and "fgw" in page.text
    r = await api.post("/admin/departments", data={"csrf": csrf, "code": "Bad Code", "name": "市教育局",
                                                   "email": "jyj@test.local"})
    assert r.status_code == 422 and "代码只能包含小写字母" in r.text and 'value="市教育局"' in r.text
    r = await api.post("/admin/departments", data={"csrf": csrf, "code": "jyj", "name": "市教育局",
                                                   "email": "jyj@test.local"})
    assert r.status_code == 303
    assert "已添加单位" in (await api.get(r.headers["location"])).text
    r = await api.post("/admin/users", data={"csrf": csrf, "username": "liu", "password": "short",
                                             "role": "department", "department": "jyj"})
    assert r.status_code == 422 and "至少" in r.text and 'value="short"' not in r.text
    r = await api.post("/admin/users", data={"csrf": csrf, "username": "liu", "password": "Huanghe-42-x",
                                             "role": "department"})
    assert r.status_code == 422 and "部门角色须指定所属单位" in r.text
    r = await api.post("/admin/users", data={"csrf": csrf, "username": "liu", "password": "Huanghe-42-x",
                                             "role": "department", "department": "jyj"})
    assert r.status_code == 303
    with session_scope() as s:
        liu = s.exec(select(User).where(User.username == "liu")).one()
        assert liu.department_code == "jyj" and s.get(Department, "jyj").name == "市教育局"
        audit = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.actor == "admin"))]
        assert audit == ["department_created", "user_created"]
        liu_id = liu.id
    token = await api.post("/api/auth/token", data={"username": "liu", "password": "Huanghe-42-x"})
    assert token.status_code == 200 and token.json()["department"] == "jyj"
    r = await api.post(f"/admin/users/{liu_id}/active", data={"csrf": csrf, "active": "false"})
    assert r.status_code == 303 and "已停用" in (await api.get("/admin")).text
    assert (await api.post("/api/auth/token", data={"username": "liu", "password": "Huanghe-42-x"})).status_code == 401


async def test_users_api_is_admin_only(api, tokens) -> None:
    assert (await api.get("/api/users", headers=tokens["xyb"])).status_code == 403
    r = await api.post("/api/users", json={"username": "sun", "password": "Songshan-peak-77", "role": "supervisor"},
                       headers=tokens["admin"])
    assert r.status_code == 201 and r.json()["role"] == "supervisor"
    names = [u["username"] for u in (await api.get("/api/users", headers=tokens["admin"])).json()["items"]]
    assert "sun" in names and all("password" not in u for u in (await api.get(
        "/api/users", headers=tokens["admin"])).json()["items"])


async def test_calendar_page_previews_the_moved_deadlines_then_saves_and_reprojects(api, tokens) -> None:
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "已办结"}, headers=tokens["fgw"])
    detail = await settled(api, cid, {}, lambda c: any(d["key"].startswith("verification") for d in c["deadlines"]))
    verification = next(d for d in detail["deadlines"] if d["key"].startswith("verification"))
    old_due = date.fromisoformat(verification["due_at"][:10])
    day = _working_days(verification["receipt"], today_local(), old_due)[0]

    csrf = await _login(api, "xyb")  # the credit office keeps calendars too (../shared/spec/processes.md §10)
    page = await api.get("/admin/calendar")
    assert page.status_code == 200 and "新增日历调整" in page.text
    r = await api.post("/admin/calendar", data={"csrf": csrf, "date": day, "kind": "holiday", "reason": "",
                                                "step": "preview"})
    assert r.status_code == 422 and "请填写依据" in r.text
    preview = await api.post("/admin/calendar", data={"csrf": csrf, "date": day, "kind": "holiday",
                                                      "reason": "测试：临时放假", "step": "preview"})
    assert preview.status_code == 200
    count = int(re.search(r"此变更将影响 (\d+) 个未到期时限", preview.text).group(1))
    assert count >= 1 and f"政务承诺 {cid}" in preview.text and "确认保存" in preview.text
    with session_scope() as s:
        assert s.exec(select(CalendarVersion)).first() is None  # a preview saves nothing
    fields = dict(re.findall(r'<input type="hidden" name="(nonce|previewed)" value="([^"]*)"', preview.text))
    edited = await api.post("/admin/calendar", data={"csrf": csrf, "date": "2030-05-06", "kind": "holiday",
                                                     "reason": "测试：临时放假", "step": "save", **fields})
    assert edited.status_code == 200 and "确认保存" in edited.text  # changed after the preview: preview again
    r = await api.post("/admin/calendar", data={"csrf": csrf, "date": day, "kind": "holiday",
                                                "reason": "测试：临时放假", "step": "save", **fields})
    assert r.status_code == 303
    saved = await api.get(r.headers["location"])
    assert f"{count} 个未到期时限已按新日历重新计算" in saved.text and "测试：临时放假" in saved.text
    for _ in range(400):
        moved = next(d for d in (await api.get(f"/api/commitments/{cid}")).json()["deadlines"]
                     if d["key"].startswith("verification"))
        if moved["due_at"][:10] != old_due.isoformat():
            break
        await asyncio.sleep(0.05)
    assert date.fromisoformat(moved["due_at"][:10]) > old_due
    version = r.headers["location"].split("version=")[1].split("&")[0]
    for _ in range(100):
        progress = (await api.get(r.headers["location"])).text
        if "重新计算进度" in progress:
            break
        await asyncio.sleep(0.1)
    assert re.search(rf"\d+ 个未到期时限已按第 {version} 版日历重新计算，其中 [1-9]\d* 个时限变动", progress)


async def test_calendar_page_imports_a_pasted_notice_after_checking_it(api, tokens) -> None:
    from tests.api.test_calendar_notice_import import NOTICE_2027

    cid = (await api.post("/api/commitments", json=body(due_date="2027-02-04"), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: any(d["key"] == "due" and d["provisional"] for d in c["deadlines"]))
    csrf = await _login(api, "admin")
    r = await api.post("/admin/calendar/notice", data={"csrf": csrf, "text": " ", "step": "preview"})
    assert r.status_code == 422 and "存在以下问题" in r.text and '<a href="#notice-text">请粘贴通知全文</a>' in r.text
    bad = NOTICE_2027.replace("5月8日（周六）上班", "5月8日（周五）上班")
    r = await api.post("/admin/calendar/notice", data={"csrf": csrf, "text": bad, "step": "preview"})
    assert r.status_code == 422 and "5月8日是周六，通知写作周五" in r.text and "确认导入" not in r.text
    assert "2027年2月5日（周五）至2月12日（周五），共8天" in r.text  # what was read is still shown

    r = await api.post("/admin/calendar/notice", data={"csrf": csrf, "text": NOTICE_2027, "step": "preview"})
    assert r.status_code == 200 and "请核对通知内容" in r.text and "确认导入" in r.text
    assert "国务院办公厅关于2027年部分节假日安排的通知" in r.text and "2027 年（导入后该年时限不再暂定）" in r.text
    assert ("<td>春节</td><td>2027年2月5日（周五）至2月12日（周五），共8天</td>"
            "<td>2027年2月14日（周日）、2027年2月20日（周六）</td>") in r.text
    count = int(re.search(r"此变更将影响 (\d+) 个未到期时限", r.text).group(1))
    assert count >= 1 and re.search(rf"政务承诺 {cid}</td><td>承诺履行期限</td><td>[^<]*</td><td>2027-02-04</td>"
                                    r"<td>2027-02-04（确定）</td>", r.text)
    fields = dict(re.findall(r'<input type="hidden" name="(nonce|checked)" value="([^"]*)"', r.text))
    with session_scope() as s:
        assert s.exec(select(CalendarVersion)).first() is None  # checking saves nothing
    edited = NOTICE_2027.replace("5月8日（周六）上班。", "")
    r = await api.post("/admin/calendar/notice", data={"csrf": csrf, "text": edited, "step": "save", **fields})
    assert r.status_code == 200 and "确认导入" in r.text  # changed after the check: checked again, not saved
    r = await api.post("/admin/calendar/notice", data={"csrf": csrf, "text": NOTICE_2027, "step": "save", **fields})
    assert r.status_code == 303
    saved = await api.get(r.headers["location"])
    assert f"{count} 个未到期时限已按新日历重新计算" in saved.text
    assert "国务院办公厅关于2027年部分节假日安排的通知：春节调休上班" in saved.text
    with session_scope() as s:
        assert len(s.exec(select(CalendarVersion)).all()) == 1
    for _ in range(400):
        due = next(d for d in (await api.get(f"/api/commitments/{cid}")).json()["deadlines"] if d["key"] == "due")
        if not due["provisional"]:
            break
        await asyncio.sleep(0.05)
    assert due["provisional"] is False
