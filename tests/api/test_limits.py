"""Limits that hold: X-Forwarded-For is believed only from a trusted proxy; only wrong tracking codes
count and a valid code is always answered; idempotent replays take no filing slot; every replica
shares the counts (they live in the database)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from api.app import create_app
from domain.settings import get_settings
from store.models import Complaint
from tests.api.test_citizens_api import count
from tests.api.test_commitments_api import PROBLEM

COMPLAINT = {"department": "fgw", "topic": "arrears", "subject": "拖欠工程款", "description": "竣工两年未结算"}


@pytest.fixture
def replica(temporal_client, worker) -> Callable[..., AsyncIterator[httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    """A fresh app (as another API replica would be), reached from the given TCP peer address."""

    @asynccontextmanager
    async def connect(peer: str = "203.0.113.7") -> AsyncIterator[httpx.AsyncClient]:
        app = create_app()
        app.state.temporal = temporal_client
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://chengxin.test") as c:
            yield c

    return connect


@pytest.fixture
def trust_local_proxy(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("TRUSTED_PROXIES")
    get_settings.cache_clear()


async def _wrong_codes(c: httpx.AsyncClient, n: int, forwarded: Callable[[int], str] | None = None) -> list[int]:
    out = []
    for i in range(n):
        headers = {"X-Forwarded-For": forwarded(i)} if forwarded else {}
        out.append((await c.get(f"/api/complaints/track/wrong-{i}", headers=headers)).status_code)
    return out


async def test_rotating_x_forwarded_for_does_not_lift_the_limit_of_an_untrusted_peer(replica) -> None:
    async with replica("127.0.0.1") as c:  # a local peer is not trusted unless configured
        statuses = await _wrong_codes(c, 25, lambda i: f"198.51.100.{i}")
    assert statuses[:20] == [404] * 20 and statuses[20:] == [429] * 5


async def test_behind_a_trusted_proxy_the_forwarded_client_is_limited(replica, trust_local_proxy) -> None:
    async with replica("10.1.2.3") as proxy:
        # each forwarded client has its own allowance: 25 different clients are all answered 404
        assert set(await _wrong_codes(proxy, 25, lambda i: f"198.51.100.{i}, 10.9.9.9")) == {404}
        # one forwarded client over its limit is refused, whatever it puts in front of the header
        statuses = await _wrong_codes(proxy, 21, lambda i: f"192.0.2.{i}, 198.51.100.77")
        assert statuses[:20] == [404] * 20 and statuses[20:] == [429]


async def test_a_client_blocked_for_guessing_still_reads_its_own_code(replica) -> None:
    async with replica() as c:
        filed = await c.post("/api/complaints", json=COMPLAINT)
        assert filed.status_code == 201
        code = filed.json()["tracking_code"]
        assert (await _wrong_codes(c, 21))[-1] == 429
        blocked = await c.get("/api/complaints/track/another-wrong-code")
        assert blocked.status_code == 429 and blocked.headers["content-type"].startswith(PROBLEM)
        assert int(blocked.headers["retry-after"]) > 0 and "后再试" in blocked.json()["detail"]
        mine = await c.get(f"/api/complaints/track/{code}")
        assert mine.status_code == 200 and mine.json()["state"] == "submitted"
        page = await c.post("/track", data={"code": code})
        assert page.status_code == 200 and "拖欠工程款" in page.text
        refused = await c.post("/track", data={"code": "wrong-again"})
        assert refused.status_code == 429 and re.search(r"请在 \d\d:\d\d 后再试", refused.text)


async def test_idempotent_replays_take_no_filing_slot(replica) -> None:
    async with replica() as c:
        first = await c.post("/api/complaints", json=COMPLAINT, headers={"Idempotency-Key": "k-1"})
        assert first.status_code == 201
        for _ in range(12):
            again = await c.post("/api/complaints", json=COMPLAINT, headers={"Idempotency-Key": "k-1"})
            assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
            assert again.headers["idempotent-replayed"] == "true"
        for i in range(9):  # nine more real filings: ten in all, the hourly allowance
            r = await c.post("/api/complaints", json={**COMPLAINT, "subject": f"投诉{i}"},
                             headers={"Idempotency-Key": f"other-{i}"})
            assert r.status_code == 201, r.text
        over = await c.post("/api/complaints", json={**COMPLAINT, "subject": "第十一件"},
                            headers={"Idempotency-Key": "k-11"})
        assert over.status_code == 429 and over.headers["content-type"].startswith(PROBLEM)
        assert int(over.headers["retry-after"]) > 0
        assert (await c.post("/api/complaints", json=COMPLAINT, headers={"Idempotency-Key": "k-1"})).status_code == 201
    assert count(Complaint) == 10


async def test_replicas_share_the_limit_and_the_form_says_when_to_retry(replica) -> None:
    async with replica() as one, replica() as two:
        for i in range(10):
            r = await (one if i % 2 else two).post("/api/complaints", json={**COMPLAINT, "subject": f"投诉{i}"})
            assert r.status_code == 201
        assert (await one.post("/api/complaints", json=COMPLAINT)).status_code == 429
        form = await two.get("/complaints/new")
        token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
        check = await two.post("/complaints/new", data={**COMPLAINT, "token": token})  # checking costs nothing
        assert check.status_code == 200 and "请核对您填写的内容" in check.text
        page = await two.post("/complaints/new", data={**COMPLAINT, "token": token, "step": "file"})
        assert page.status_code == 429 and re.search(r"提交过于频繁，请在 \d\d:\d\d 后再试（约 \d+ 分钟后）", page.text)
    async with replica("203.0.113.8") as elsewhere:  # another client is not affected
        assert (await elsewhere.post("/api/complaints", json=COMPLAINT)).status_code == 201
