"""A notice that cannot be sent is counted with its error from the first attempt, turns `failed` (at once when
trying again cannot help, else after the attempt limit) and the admins get one e-mail saying which notice
failed and why. A real SMTP server refuses the recipient; nothing is mocked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from domain.settings import get_settings
from store.db import session_scope
from store.models import Department
from tests.api.test_commitments_api import body

ALERT = "【通知投递失败】"


async def _notices(api, tokens) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await api.get("/api/notices", params={"page_size": 100}, headers=tokens["admin"])
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _until(api, tokens, predicate: Callable[[list[dict]], bool], seconds: float, what: str) -> list[dict]:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 10)):
        items = await _notices(api, tokens)
        if predicate(items):
            return items
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {seconds}s: {what}; outbox: {items}")


def _to_fgw(items: list[dict]) -> list[dict]:
    return [n for n in items if n["recipient"] == "fgw@test.local"]


def _both_failed(items: list[dict]) -> bool:
    """The department's receipt and its publication notice are both queued and both failed."""
    fgw = _to_fgw(items)
    return {n["template"] for n in fgw} == {"commitment_received", "case_update"} and all(
        n["status"] == "failed" for n in fgw)


def _alerts(smtp_sink) -> list[EmailMessage]:  # type: ignore[no-untyped-def]
    return [m for m in smtp_sink.to("admin@test.local") if ALERT in str(m["Subject"])]


async def _create(api, tokens) -> int:  # type: ignore[no-untyped-def]
    r = await api.post("/api/commitments", json=body(title="企业开办一日办结"), headers=tokens["fgw"])
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _assert_each_alerted_once(smtp_sink, failed: list[dict], reason: str) -> None:  # type: ignore[no-untyped-def]
    """One e-mail to the admin per failed notice, naming the notice, its recipient and subject, and why."""
    await smtp_sink.wait_for(lambda m: ALERT in str(m["Subject"]) and len(_alerts(smtp_sink)) >= len(failed))
    await asyncio.sleep(2)  # a second alert for the same notice would arrive here
    alerts = _alerts(smtp_sink)
    assert sorted(str(m["Subject"]) for m in alerts) == sorted(
        f"{ALERT}通知 {n['id']} 未能送达 {' '.join(n['recipient'].split())}" for n in failed)
    for notice in failed:
        alert = next(m for m in alerts if f"通知 {notice['id']} " in str(m["Subject"]))
        text = alert.get_body(("plain",)).get_content()
        assert notice["subject"] in text and reason in text and "fgw@test.local" in text


async def test_recipient_refused_for_good_is_failed_on_the_first_attempt_and_the_admin_told_once(
        api, tokens, smtp_sink) -> None:
    smtp_sink.refused["fgw@test.local"] = "550 5.1.1 mailbox unavailable"
    cid = await _create(api, tokens)
    items = await _until(api, tokens, _both_failed, 30, "the department's notices failed")
    receipt = next(n for n in _to_fgw(items) if n["template"] == "commitment_received")
    assert receipt["case"] == f"commitment-{cid}" and receipt["attempts"] == 1
    assert "收件地址被邮件服务器拒收" in receipt["last_error"] and "550" in receipt["last_error"]
    await _assert_each_alerted_once(smtp_sink, _to_fgw(items), "收件地址被邮件服务器拒收")
    assert smtp_sink.to("fgw@test.local") == []
    r = await api.get("/api/notices", params={"status": "failed", "page_size": 1}, headers=tokens["admin"])
    failed = [n for n in await _notices(api, tokens) if n["status"] == "failed"]
    assert r.json()["total"] == len(failed) >= 2 and len(r.json()["items"]) == 1  # counted, not only the page


async def test_notice_that_cannot_be_made_into_an_email_is_failed_and_no_header_is_injected(
        api, tokens, smtp_sink) -> None:
    """A department address stored before addresses were checked, with a line break and a second header."""
    with session_scope() as session:
        dept = session.get(Department, "fgw")
        dept.email = "fgw@test.local\r\nBcc: victim@example.com"
        session.add(dept)
    await _create(api, tokens)
    items = await _until(api, tokens, lambda items: len([n for n in items if n["status"] == "failed"]) == 2, 30,
                         "the receipt and the publication notice failed")
    failed = [n for n in items if n["status"] == "failed"]
    assert all(n["attempts"] == 1 and "邮件无法生成" in n["last_error"] for n in failed), failed
    await _assert_each_alerted_once(smtp_sink, failed, "邮件无法生成")
    assert smtp_sink.messages and all(m["Bcc"] is None and "victim" not in str(m["To"]) for m in smtp_sink.messages)


async def test_temporary_refusal_is_retried_then_failed_at_the_attempt_limit(
        api, tokens, smtp_sink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEND_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    smtp_sink.refused["fgw@test.local"] = "450 4.2.1 mailbox busy, try later"
    try:
        await _create(api, tokens)
        first = await _until(api, tokens, lambda items: any(n["attempts"] >= 1 for n in _to_fgw(items)), 20,
                             "a first attempt recorded")
        tried = [n for n in _to_fgw(first) if n["attempts"] >= 1]
        assert all(n["status"] in ("pending", "sending") and "邮件服务器暂不接收该收件地址" in n["last_error"]
                   for n in tried if n["attempts"] == 1), tried
        assert _alerts(smtp_sink) == []  # one refusal is not yet a failure
        items = await _until(api, tokens, _both_failed, 60, "failed after two attempts")
        assert all(n["attempts"] == 2 for n in _to_fgw(items)), items
        await _assert_each_alerted_once(smtp_sink, _to_fgw(items), "邮件服务器暂不接收该收件地址")
    finally:
        monkeypatch.delenv("SEND_MAX_ATTEMPTS")
        get_settings.cache_clear()


async def test_an_alert_that_fails_itself_raises_no_further_alert(api, tokens, smtp_sink) -> None:
    smtp_sink.refused["fgw@test.local"] = "550 5.1.1 mailbox unavailable"
    smtp_sink.refused["admin@test.local"] = "550 5.1.1 mailbox unavailable"
    await _create(api, tokens)
    items = await _until(api, tokens, lambda items: _both_failed(items) and len(
        [n for n in items if n["template"] == "notice_failed" and n["status"] == "failed"]) >= 2,
        30, "the notices and their alerts failed")
    await asyncio.sleep(3)  # an alert about a failed alert would be queued here
    items = await _notices(api, tokens)
    alerts = [n for n in items if n["template"] == "notice_failed"]
    failed = [n for n in items if n["status"] == "failed" and n["template"] != "notice_failed"]
    assert alerts and all(n["status"] == "failed" and n["attempts"] == 1 for n in alerts), alerts
    assert sorted(n["event_key"] for n in alerts) == sorted(f"notice-failed:{n['id']}" for n in failed), items
