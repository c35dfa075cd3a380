"""Follow by e-mail, on the real dev server and SMTP sink: a follow counts only once confirmed from the
mail; each public change then mails each follower once (however many of their follows it concerns), with an
unsubscribe link in the text and in List-Unsubscribe; unsubscribing (by the link or the mail program's
one-click POST) stops the mails. The department feed lists that department's changes only."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from urllib.parse import urlsplit

import httpx
from sqlmodel import select

from store.db import session_scope
from store.models import Follower, Outbox
from tests.api.test_citizens_api import APPLICANT, _published_record
from tests.api.test_commitments_api import body, settled
from tests.conftest import MailSink

ATOM = "{http://www.w3.org/2005/Atom}"
FAN, LURKER, WITNESS = "fan@example.org", "lurker@example.org", "witness@example.org"
LINK = re.compile(r"https?://\S+/follow/(?:confirm|unsubscribe)\?token=[\w.-]+")


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _plain(html: str) -> str:
    """What a reader sees of a page: its text without the tags."""
    return re.sub(r"<[^>]+>", "", html)


def _text(m: EmailMessage) -> str:
    part = m.get_body(("plain",))
    assert part is not None
    return part.get_content()  # type: ignore[attr-defined,no-any-return]


async def _follow(api: httpx.AsyncClient, sink: MailSink, target_type: str, target_id: object, email: str,
                  confirm: bool = True) -> None:
    before = len(sink.to(email))
    r = await api.post("/follow", data={"target_type": target_type, "target_id": str(target_id), "email": email})
    assert r.status_code == 303, r.text
    sent = await api.get(r.headers["location"])
    assert f"我们已向 {email} 发送确认邮件，请点击邮件中的链接完成关注" in _plain(sent.text)
    mail = (await sink.wait_for(lambda m: email in str(m["To"]) and "【请确认】" in str(m["Subject"])))
    assert len(sink.to(email)) == before + 1
    if confirm:
        link = LINK.search(_text(mail[-1]))
        assert link is not None
        page = await api.get(_path(link.group(0)))
        assert page.status_code == 200 and "关注成功" in page.text


async def _change_mails(sink: MailSink, email: str, subject: str) -> list[EmailMessage]:
    return [m for m in sink.to(email) if str(m["Subject"]) == subject]


def _outbox_recipients(event_suffix: str) -> set[str]:
    with session_scope() as s:
        return {o.recipient for o in s.exec(select(Outbox).where(Outbox.template == "follow_change")).all()
                if o.event_key.endswith(event_suffix)}


async def test_follow_confirm_one_mail_per_change_and_unsubscribe(api, tokens, smtp_sink) -> None:
    cid = (await api.post("/api/commitments", json=body(title="企业开办一日办结"), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published" and c["deadlines"])
    page = (await api.get(f"/commitments/{cid}")).text
    assert "关注此承诺" in page

    await _follow(api, smtp_sink, "commitment", cid, FAN)
    await _follow(api, smtp_sink, "department", "fgw", FAN)  # the same change must still come once
    await _follow(api, smtp_sink, "commitment", cid, WITNESS)
    await _follow(api, smtp_sink, "commitment", cid, LURKER, confirm=False)
    with session_scope() as s:  # the address is kept for the mails, never shown
        assert {f.email for f in s.exec(select(Follower))} == {FAN, WITNESS, LURKER}
    assert FAN not in (await api.get(f"/commitments/{cid}")).text

    # 1: a public change → one mail to each confirmed follower, none to the unconfirmed one
    r = await api.post(f"/api/commitments/{cid}/extension", json={"working_days": 5, "reason": "因系统升级顺延"},
                       headers=tokens["xyb"])
    assert r.status_code == 200, r.text
    subject = f"【关注】政务承诺 {cid}：延期"
    await smtp_sink.wait_for(lambda m: WITNESS in str(m["To"]) and str(m["Subject"]) == subject)
    await smtp_sink.wait_for(lambda m: FAN in str(m["To"]) and str(m["Subject"]) == subject)
    await asyncio.sleep(0.5)
    [mail] = await _change_mails(smtp_sink, FAN, subject)
    text = _text(mail)
    assert "企业开办一日办结" in text and "因系统升级顺延" in text and f"政务承诺 {cid}" in text
    unsubscribe = LINK.search(text)
    assert unsubscribe is not None and "/follow/unsubscribe" in unsubscribe.group(0)
    assert str(mail["List-Unsubscribe"]) == f"<{unsubscribe.group(0)}>"
    assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert not [m for m in smtp_sink.to(LURKER) if "【关注】" in str(m["Subject"])]
    assert LURKER not in _outbox_recipients(":extended")

    # the link unsubscribes at once, and a second click says the same
    for _ in range(2):
        done = await api.get(_path(unsubscribe.group(0)))
        assert done.status_code == 200 and "已取消关注" in done.text and f"编号 {cid}" in done.text

    # 2: the department follow still counts: one mail, from that follow; its mail program unsubscribes it
    r = await api.post(f"/api/commitments/{cid}/pause", json={"reason_code": "inspection", "reason": "送检"},
                       headers=tokens["xyb"])
    assert r.status_code == 200, r.text
    subject = f"【关注】政务承诺 {cid}：中止计时"
    await smtp_sink.wait_for(lambda m: FAN in str(m["To"]) and str(m["Subject"]) == subject)
    await asyncio.sleep(0.5)
    [mail] = await _change_mails(smtp_sink, FAN, subject)
    assert "单位“市发展和改革委员会”" in _text(mail)
    one_click = str(mail["List-Unsubscribe"]).strip("<>")
    r = await api.post(_path(one_click), data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "已取消关注" in r.text

    # 3: nobody but the witness is told any more
    r = await api.post(f"/api/commitments/{cid}/resume", headers=tokens["xyb"])
    assert r.status_code == 200, r.text
    subject = f"【关注】政务承诺 {cid}：恢复计时"
    await smtp_sink.wait_for(lambda m: WITNESS in str(m["To"]) and str(m["Subject"]) == subject)
    await asyncio.sleep(0.5)
    assert _outbox_recipients(":resumed") == {WITNESS}
    assert not await _change_mails(smtp_sink, FAN, subject)


async def test_a_record_follower_is_told_of_an_objection_on_it(api, tokens, smtp_sink) -> None:
    """The 异议处理中 mark is written on the record by the objection's workflow: its followers hear of it."""
    rid = await _published_record(api, tokens)
    assert "关注此记录" in (await api.get(f"/records/{rid}")).text
    await _follow(api, smtp_sink, "record", rid, FAN)
    r = await api.post("/api/objections", json={"target_type": "record", "target_id": rid, **APPLICANT,
                                                 "claim": "有误", "reasons": "理由"})
    assert r.status_code in (200, 201, 202), r.text
    subject = f"【关注】失信记录 {rid}：异议处理中"
    await smtp_sink.wait_for(lambda m: FAN in str(m["To"]) and str(m["Subject"]) == subject)
    await asyncio.sleep(0.5)
    assert len(await _change_mails(smtp_sink, FAN, subject)) == 1
    assert not [m for m in smtp_sink.to(FAN) if "提交" in str(m["Subject"])]  # the objection itself is not public


async def test_a_deadline_moved_by_a_calendar_change_is_told_to_followers(api, tokens, smtp_sink) -> None:
    """The calendar batch writes 时限调整 on many cases at once, outside their workflows: it mails their
    followers too."""
    from datetime import date

    from api.validation import today_local
    from tests.api.test_calendar_reprojection import _working_days

    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published" and c["deadlines"])
    await _follow(api, smtp_sink, "commitment", cid, FAN)
    r = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "已办结"}, headers=tokens["fgw"])
    assert r.status_code == 200, r.text
    detail = await settled(api, cid, {}, lambda c: any(d["key"].startswith("verification") for d in c["deadlines"]))
    due = next(d for d in detail["deadlines"] if d["key"].startswith("verification"))  # counted in working days
    first_day = _working_days(due["receipt"], today_local(), date.fromisoformat(due["due_at"][:10]))[0]
    r = await api.post("/api/calendar/overrides", headers=tokens["admin"],
                       json={"date": first_day, "kind": "holiday", "reason": "测试：临时放假"})
    assert r.status_code == 201, r.text
    subject = f"【关注】政务承诺 {cid}：时限调整"
    [mail] = await smtp_sink.wait_for(lambda m: FAN in str(m["To"]) and str(m["Subject"]) == subject)
    assert "因节假日安排调整" in _text(mail) and mail["List-Unsubscribe"]


async def test_follow_form_refuses_bad_input_and_tells_nobody_who_follows(api, tokens, smtp_sink) -> None:
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    bad = await api.post("/follow", data={"target_type": "commitment", "target_id": str(cid), "email": "不是邮箱"})
    assert bad.status_code == 400 and "电子邮箱格式无效" in bad.text and "存在以下问题" in bad.text
    draft = (await api.post("/api/commitments", json=body(publish=False), headers=tokens["fgw"])).json()["id"]
    assert (await api.post("/follow", data={"target_type": "commitment", "target_id": str(draft),
                                            "email": FAN})).status_code == 404
    await _follow(api, smtp_sink, "commitment", cid, FAN)
    again = await api.post("/follow", data={"target_type": "commitment", "target_id": str(cid), "email": FAN})
    assert again.status_code == 303  # the same answer as for a new address
    assert "我们已向" in (await api.get(again.headers["location"])).text
    assert (await api.get("/follow/confirm", params={"token": "forged"})).status_code == 400
    assert (await api.get("/follow/unsubscribe", params={"token": "forged"})).status_code == 400
    for _ in range(5):  # five confirmation mails per address and hour, then the form says when to retry
        r = await api.post("/follow", data={"target_type": "department", "target_id": "scjg", "email": LURKER})
    assert r.status_code == 303
    r = await api.post("/follow", data={"target_type": "department", "target_id": "scjg", "email": LURKER})
    assert r.status_code == 429 and "向该邮箱发送的确认邮件过多" in r.text


async def test_department_feed_lists_only_its_departments_changes(api, tokens) -> None:
    mine = (await api.post("/api/commitments", json=body(title="发改委的承诺"), headers=tokens["fgw"])).json()["id"]
    other = (await api.post("/api/commitments", json=body(title="市场监管局的承诺"),
                            headers=tokens["scjg"])).json()["id"]
    for cid in (mine, other):
        await settled(api, cid, {}, lambda c: c["state"] == "published")
    feed = await api.get("/feeds/departments/fgw.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    assert root.findtext(f"{ATOM}title") == "市发展和改革委员会：新增与变更"
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert f"政务承诺 {mine}：公开" in titles and not any(f"政务承诺 {other}：" in t for t in titles)
    assert (await api.get("/feeds/departments/nope.atom")).status_code == 404
    page = (await api.get("/departments/fgw")).text
    assert 'href="/feeds/departments/fgw.atom"' in page and "关注此单位" in page


def test_a_retried_activity_queues_each_follower_once_and_never_resends() -> None:
    """The activity itself, twice for the same change (as Temporal retries it): one row per follower; the
    retry hands back the row still to deliver, and once it is sent hands back nothing."""
    from datetime import UTC, date, datetime

    from activities.followers import queue_follower_mail
    from domain.follow_links import email_hash
    from domain.messages import SYSTEM, CaseRef, Transition
    from store.models import Commitment

    now = datetime.now(UTC)
    with session_scope() as s:
        c = Commitment(department_code="fgw", kind="processing_time", title="承诺", content="内容",
                       due_date=date(2030, 1, 1), state="published", profile_name="p", profile_version="1",
                       created_by="fgw", created_at=now, updated_at=now, published_at=now)
        s.add(c)
        s.flush()
        cid = c.id or 0
        for email, confirmed in ((FAN, now), (LURKER, None)):
            s.add(Follower(target_type="commitment", target_id=str(cid), email=email, email_hash=email_hash(email),
                           confirm_nonce="a", unsubscribe_nonce="b", created_at=now, confirmed_at=confirmed))
    t = Transition(case=CaseRef(case_type="commitment", case_id=cid), event_key="0007:extended", action="extended",
                   from_state="published", to_state=None, actor=SYSTEM, reason="顺延", at=now)
    first, retry = queue_follower_mail(t), queue_follower_mail(t)
    assert len(first) == 1 and [q.outbox_id for q in retry] == [q.outbox_id for q in first]
    with session_scope() as s:
        rows = s.exec(select(Outbox).where(Outbox.template == "follow_change")).all()
        assert [r.recipient for r in rows] == [FAN]
        rows[0].status = "sent"
        s.add(rows[0])
    assert queue_follower_mail(t) == []
    internal = t.model_copy(update={"event_key": "0008:reminder", "action": "reminder"})
    assert queue_follower_mail(internal) == []  # a reminder is no public change
