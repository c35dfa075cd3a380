"""An objection to a commitment's status on the time-skipping server: `corrected` and `revoked` replace the
public status with the decision and its reason and revoke the record the breach opened; `upheld` changes nothing.
The applicant and the department are told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.events import Event
from domain.messages import AcceptanceIn, FindingIn, ObjectionDecisionIn
from store.models import Commitment, Record
from tests.workflows.harness import CREDIT, DEPT, audit, eventually, harness_at, local, outbox, row
from workflows.objection import ObjectionWorkflow


async def _breached_with_record(h) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    cid, handle = await h.commitment(date(2026, 10, 13))
    assert await handle.result() == "breached"  # grace of 5 WD after 10-13 ran out with no report
    await eventually(lambda: row(Commitment, cid).record_id is not None)
    rid = row(Commitment, cid).record_id
    await eventually(lambda: row(Record, rid).public)
    return cid, rid


async def _decide(h, cid: int, outcome: str, reason: str, correction: str = "") -> int:  # type: ignore[no-untyped-def]
    oid, o = await h.objection("commitment", cid)
    await o.execute_update(ObjectionWorkflow.accept, AcceptanceIn(actor=CREDIT, accepted=True))
    await o.execute_update(ObjectionWorkflow.verify, FindingIn(actor=DEPT, finding="核实意见"))
    view = await o.execute_update(ObjectionWorkflow.decide, ObjectionDecisionIn(
        actor=CREDIT, outcome=outcome, reason=reason, correction=correction))
    assert view.state == "closed"
    return oid


def _told(case_id: int, case_type: str, recipient: str) -> list[str]:
    return [n.text for n in outbox(case_id, "case_update", case_type) if n.recipient == recipient]


@pytest.mark.parametrize(("outcome", "correction", "status"), [
    ("revoked", "", "“未践诺”认定已撤销"),
    ("corrected", "已于期限内办结，应为已践诺", "已更正：已于期限内办结，应为已践诺"),
])
async def test_corrected_or_revoked_status_replaces_it_and_revokes_the_breach_record(
        smtp_sink, outcome: str, correction: str, status: str) -> None:
    async with harness_at(local(2026, 10, 8, 9)) as h:
        cid, rid = await _breached_with_record(h)
        oid = await _decide(h, cid, outcome, "办结记录证明已按期履行", correction)
        await eventually(lambda: row(Record, rid).state == "revoked")
        commitment = row(Commitment, cid)
        assert commitment.state == "breached"  # the history stays; the public status is the decision's
        decision = commitment.status_decision or {}
        assert decision["status_label"] == status and decision["reason"] == "办结记录证明已按期履行"
        assert decision["outcome"] == outcome and decision["record_id"] == rid and decision["objection_id"] == oid
        assert commitment.objection_pending is False
        written = [e for e in audit(cid) if e.action.startswith("commitment_status_")]
        assert len(written) == 1 and Event(written[0].action).public and written[0].actor == CREDIT.username
        assert "办结记录证明已按期履行" in (written[0].reason or "")
        record = row(Record, rid)
        assert record.public is False and f"异议（编号 {oid}）" in (record.correction_note or "")
        assert [e.actor for e in audit(rid, "record") if e.action == "revoked"] == [CREDIT.username]
        await eventually(lambda: bool(_told(rid, "record", "fgw@test.local")))
        applicant = _told(oid, "objection", "zs@example.com")
        assert any(status in t and f"失信记录（编号 {rid}）已撤销" in t for t in applicant), applicant
        # the commitment's workflow has ended: the objection tells its department
        assert any(status in t and "办结记录证明已按期履行" in t for t in _told(oid, "objection", "fgw@test.local"))
        assert any("已撤销" in t for t in _told(rid, "record", "fgw@test.local"))  # the record's holders


async def test_upheld_status_changes_nothing(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 9)) as h:
        cid, rid = await _breached_with_record(h)
        oid = await _decide(h, cid, "upheld", "未践诺属实")
        await h.env.sleep(timedelta(minutes=1))
        commitment = row(Commitment, cid)
        assert commitment.status_decision is None and commitment.correction_note is None
        assert commitment.state == "breached" and commitment.objection_pending is False
        assert not [e for e in audit(cid) if e.action.startswith("commitment_status_")]
        record = row(Record, rid)
        assert record.state == "published" and record.public is True
        assert any("维持" in t for t in _told(oid, "objection", "zs@example.com"))


async def test_a_running_commitment_applies_the_decision_in_its_own_workflow(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 9)) as h:
        cid, _ = await h.commitment(date(2026, 12, 31))
        await h.env.sleep(timedelta(minutes=1))
        await _decide(h, cid, "corrected", "期限登记错误", "履行期限应为2027年3月31日")
        await eventually(lambda: row(Commitment, cid).status_decision is not None)
        written = [e for e in audit(cid) if e.action == "commitment_status_corrected"]
        assert len(written) == 1 and not written[0].event_key.startswith("objection-")  # the commitment's journal
        decision = row(Commitment, cid).status_decision or {}
        assert decision["disputed_label"] == "履行中" and decision["record_id"] is None
        await eventually(lambda: bool(_told(cid, "commitment", "fgw@test.local")))
        assert any("履行期限应为2027年3月31日" in t for t in _told(cid, "commitment", "fgw@test.local"))
