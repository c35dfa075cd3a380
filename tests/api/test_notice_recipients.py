"""The outbox as admins see it (GET /api/notices): a citizen's address is masked, in the recipient and in
an SMTP error quoting it; official mailboxes stay readable; the credit office, which may see personal
data, sees the address in full."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from store.db import session_scope
from store.models import Outbox
from tests.api.test_commitments_api import body

CITIZEN = "zhang.san@example.com"


async def _outbox(api, headers: dict[str, str], *cases: str) -> list[dict]:  # type: ignore[no-untyped-def]
    for _ in range(400):
        items = (await api.get("/api/notices", headers=headers)).json()["items"]
        if all(any(n["case"] == c for n in items) for c in cases):
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"outbox rows for {cases} not queued: {items}")


RECEIPT = select(Outbox).where(Outbox.template == "complaint_received")  # not the code mail


async def test_admins_see_citizens_addresses_masked_and_official_mailboxes_in_full(api, tokens) -> None:
    kid = (await api.post("/api/complaints", json={"department": "fgw", "subject": "窗口推诿", "description": "d",
                                                    "complainant_name": "张三", "complainant_email": CITIZEN})
           ).json()["id"]
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    items = await _outbox(api, tokens["admin"], f"complaint-{kid}", f"commitment-{cid}")
    receipt = next(n for n in items if n["case"] == f"complaint-{kid}" and n["template"] == "complaint_received")
    assert receipt["recipient"] == "z***@example.com"
    department = next(n for n in items if n["case"] == f"commitment-{cid}")
    assert department["recipient"] == "fgw@test.local"

    for _ in range(400):  # delivered first, so that no sender overwrites what follows
        with session_scope() as s:
            if s.exec(RECEIPT.where(Outbox.recipient == CITIZEN)).one().status == "sent":
                break
        await asyncio.sleep(0.05)
    with session_scope() as s:  # as if the mail server had refused the citizen's address, quoting it
        row = s.exec(RECEIPT.where(Outbox.recipient == CITIZEN)).one()
        row.status, row.last_error = "failed", f"550 5.1.1 <{CITIZEN}>: Recipient address rejected"
    failed = (await api.get("/api/notices", params={"status": "failed"}, headers=tokens["admin"]))
    assert failed.json()["items"][0]["last_error"] == "550 5.1.1 <z***@example.com>: Recipient address rejected"
    assert CITIZEN not in (await api.get("/api/notices", headers=tokens["admin"])).text

    as_credit_office = await _outbox(api, tokens["xyb"], f"complaint-{kid}")
    assert any(n["recipient"] == CITIZEN for n in as_credit_office)
