"""归集共享 over real HTTP, one instance pushing to itself (the two-instance run is tests/e2e): a published record
arrives with a signed receipt and shows on /shared with its source; its repair retracts it there; a forged,
stale or reused push is refused and an older version never overwrites a newer one."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
import uvicorn
from sqlmodel import select

from api.app import create_app
from domain.sharing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signature_ok
from store.db import session_scope
from store.models import Delivery, InboundDelivery
from tests.api.test_records_api import LETTER, record_body
from tests.conftest import free_port


@pytest_asyncio.fixture
async def site(temporal_client, worker) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    app = create_app()
    app.state.temporal = temporal_client
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started:
            break
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def _connect_to_itself(api: httpx.AsyncClient, tokens: dict[str, dict[str, str]], site: str) -> dict[str, Any]:
    r = await api.post("/api/sharing/senders", json={"code": "county", "name": "某某县政务诚信平台"},
                       headers=tokens["admin"])
    assert r.status_code == 201, r.text
    key = r.json()
    assert key["secret"] and key["key_id"].startswith("k-")
    r = await api.post("/api/sharing/platforms", headers=tokens["admin"], json={
        "name": "市公共信用信息平台", "url": f"{site}/api/sharing/v1/deliveries", "sender_code": "county",
        "key_id": key["key_id"], "secret": key["secret"], "record_severities": ["general", "serious"]})
    assert r.status_code == 201, r.text
    assert "secret" not in r.json()
    return {"platform": r.json()["id"], **key}


async def _until(api: httpx.AsyncClient, predicate: Any, path: str = "/api/shared") -> dict[str, Any]:
    for _ in range(300):
        body = (await api.get(path)).json()
        if predicate(body):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never matched: {body}")


async def test_a_record_arrives_with_its_receipt_and_its_repair_retracts_it(api, tokens, site) -> None:
    link = await _connect_to_itself(api, tokens, site)
    rid = (await api.post("/api/records", json=record_body(), headers=tokens["xyb"])).json()["id"]
    shared = await _until(api, lambda b: b["total"] == 1)
    item = shared["items"][0]
    assert item["source"] == "某某县政务诚信平台" and item["item_type_label"] == "失信记录"
    assert item["remote_id"] == rid and item["department_name"] == "市发展和改革委员会"
    assert item["state_label"] == "公示中" and item["fields"]["严重程度"] == "一般"
    assert "120万元" not in json.dumps(item, ensure_ascii=False)  # the facts stay at the sender: public face only
    page = (await api.get("/shared")).text
    assert "某某县政务诚信平台" in page and "失信记录" in page
    ranking = (await api.get("/ranking")).text
    assert "下级平台报送" in ranking and "某某县政务诚信平台" in ranking  # marked with the source, not ranked here

    platforms = (await api.get("/api/sharing/platforms", headers=tokens["xyb"])).json()["items"]
    assert [(p["delivered"], p["pending"], p["failing"]) for p in platforms] == [(1, 0, 0)]
    rows = (await api.get(f"/api/sharing/platforms/{link['platform']}/deliveries", headers=tokens["admin"])).json()
    receipt = rows["items"][0]["receipt"]
    assert receipt["status"] == "applied" and receipt["sender"] == "county" and receipt["item_id"] == rid
    assert rows["items"][0]["change"] == "公开"
    assert (await api.get("/api/sharing/platforms", headers=tokens["fgw"])).status_code == 403

    for who, action, payload in [
        ("fgw", "explanation", {"explanation": "财政资金拨付滞后所致"}),
        ("fgw", "rectification", {"description": "已于本月全额支付", "evidence": ["付款凭证.pdf"]}),
        ("xyb", "rectification-verification", {"accepted": True, "reason": "核实已付清"}),
        ("fgw", "repair", {"commitment_letter": LETTER}),
        ("xyb", "repair-decision", {"approved": True, "reason": "整改到位"}),
    ]:
        r = await api.post(f"/api/records/{rid}/{action}", json=payload, headers=tokens[who])
        assert r.status_code == 200, (action, r.text)
    await _until(api, lambda b: b["total"] == 0)
    with session_scope() as session:
        sent = list(session.exec(select(Delivery).order_by(Delivery.id)))  # type: ignore[arg-type]
        # the main steps only: published, rectified, repaired (the explanation is not one)
        assert [d.retract for d in sent] == [False, False, True]
        assert all(d.delivered_at is not None and d.attempts == 1 for d in sent)
        assert all(d.due_at is not None for d in sent if d.retract)


def _signed(secret: str, key_id: str, body: bytes, ts: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    return {"Content-Type": "application/json", KEY_HEADER: key_id, TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign(secret, ts, body)}


def _push(uid: str, version: int, *, retract: bool = False, title: str = "某单位拖欠账款") -> bytes:
    return json.dumps({
        "delivery_id": uid, "sender": "county", "item_type": "record", "item_id": 7, "version": version,
        "change": "published", "change_label": "公开", "changed_at": "2026-11-02T10:00:00+08:00", "retract": retract,
        "item": None if retract else {"title": title, "department_code": "jtj", "department_name": "县交通运输局",
                                      "state": "published", "state_label": "已公示", "fields": {}}}).encode()


async def test_forged_stale_reused_and_older_pushes_change_nothing(api, tokens) -> None:
    key = (await api.post("/api/sharing/senders", json={"code": "county", "name": "某某县政务诚信平台"},
                          headers=tokens["admin"])).json()
    url = "/api/sharing/v1/deliveries"
    body = _push("d-0001-aaaa", 20)
    r = await api.post(url, content=body, headers=_signed("not-the-secret", key["key_id"], body))
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert "签名无效" in r.json()["detail"]
    r = await api.post(url, content=body, headers=_signed(key["secret"], key["key_id"], body, int(time.time()) - 900))
    assert r.status_code == 401 and "重放" in r.json()["detail"]
    r = await api.post(url, content=body, headers=_signed(key["secret"], "k-unknown", body))
    assert r.status_code == 401
    assert (await api.get("/api/shared")).json()["total"] == 0

    r = await api.post(url, content=body, headers=_signed(key["secret"], key["key_id"], body))
    assert r.status_code == 200 and r.json()["status"] == "applied"
    assert signature_ok(key["secret"], int(r.headers[TIMESTAMP_HEADER]), r.content, r.headers[SIGNATURE_HEADER])
    again = await api.post(url, content=body, headers=_signed(key["secret"], key["key_id"], body))
    assert again.status_code == 200 and again.json() == r.json()  # the same receipt, nothing applied twice
    other = _push("d-0001-aaaa", 21, title="改过的标题")
    r = await api.post(url, content=other, headers=_signed(key["secret"], key["key_id"], other))
    assert r.status_code == 409

    newer = _push("d-0003-cccc", 30, retract=True)
    assert (await api.post(url, content=newer, headers=_signed(key["secret"], key["key_id"], newer))).json()[
        "status"] == "applied"
    older = _push("d-0002-bbbb", 25, title="迟到的旧版本")
    r = await api.post(url, content=older, headers=_signed(key["secret"], key["key_id"], older))
    assert r.status_code == 200 and r.json()["status"] == "superseded"
    assert (await api.get("/api/shared")).json()["total"] == 0  # the retraction (v30) stands
    with session_scope() as session:
        assert len(session.exec(select(InboundDelivery)).all()) == 3

    bad = b'{"delivery_id": "x"}'
    r = await api.post(url, content=bad, headers=_signed(key["secret"], key["key_id"], bad))
    assert r.status_code == 422


async def test_a_key_is_rotated_without_losing_a_push(api, tokens) -> None:
    old = (await api.post("/api/sharing/senders", json={"code": "county", "name": "某某县政务诚信平台"},
                          headers=tokens["admin"])).json()
    r = await api.delete(f"/api/sharing/senders/county/keys/{old['key_id']}", headers=tokens["admin"])
    assert r.status_code == 409  # never without a key
    new = (await api.post("/api/sharing/senders/county/keys", headers=tokens["admin"])).json()
    url = "/api/sharing/v1/deliveries"
    for key, uid in ((old, "d-rot-0001"), (new, "d-rot-0002")):  # both valid while the sender switches
        body = _push(uid, 10 if uid.endswith("1") else 11)
        r = await api.post(url, content=body, headers=_signed(key["secret"], key["key_id"], body))
        assert r.status_code == 200
    assert (await api.delete(f"/api/sharing/senders/county/keys/{old['key_id']}",
                             headers=tokens["admin"])).status_code == 200
    body = _push("d-rot-0003", 12)
    assert (await api.post(url, content=body, headers=_signed(old["secret"], old["key_id"], body))).status_code == 401
    keys = (await api.get("/api/sharing/senders/county/keys", headers=tokens["xyb"])).json()["items"]
    assert [(k["key_id"], k["retired_at"] is not None, k["secret"]) for k in keys] == [
        (old["key_id"], True, None), (new["key_id"], False, None)]


async def test_a_commitment_and_its_fulfilment_are_reported_as_it_stands(api, tokens, site) -> None:
    from tests.api.test_commitments_api import body as commitment_body

    await _connect_to_itself(api, tokens, site)
    cid = (await api.post("/api/commitments", json=commitment_body(), headers=tokens["fgw"])).json()["id"]
    shared = await _until(api, lambda b: b["total"] == 1)
    assert (shared["items"][0]["item_type_label"], shared["items"][0]["title"]) == ("政务承诺", "企业开办一日办结")
    assert shared["items"][0]["state_label"] == "履行中"
    r = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "已完成"}, headers=tokens["fgw"])
    assert r.status_code == 200, r.text
    r = await api.post(f"/api/commitments/{cid}/verification", json={"accepted": True}, headers=tokens["xyb"])
    assert r.status_code == 200, r.text
    shared = await _until(api, lambda b: b["total"] == 1 and b["items"][0]["state_label"] != "履行中")
    assert shared["items"][0]["state_label"] == "已践诺"  # fulfilled stays public, now as fulfilled
