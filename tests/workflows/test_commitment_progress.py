"""Progress updates (履行进展) as a Temporal Update: written as a public audit event with text and percent while
the commitment runs, no change of state; refused for a draft, after the report, for another department and for
an empty note, with nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.schemas.commitments import CommitmentDetail
from domain.messages import FulfilmentReport, MilestoneDone, ProgressUpdate, PublishRequest, VerificationDecision
from store.db import session_scope
from tests.workflows.harness import CREDIT, DEPT, OTHER_DEPT, audit, commitment_row, harness_at, local
from workflows.commitment import CommitmentWorkflow


async def _refused(call) -> ApplicationError:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await call
    cause = err.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


def _detail(cid: int) -> CommitmentDetail:
    with session_scope() as session:
        return CommitmentDetail.build(session, commitment_row(cid), {})


async def test_progress_is_posted_while_running_and_shown_with_outcome(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13), milestones=[("制定方案", date(2026, 9, 30)),
                                                                       ("全面推行", date(2026, 10, 10))])
        view = await handle.execute_update(CommitmentWorkflow.post_progress,
                                           ProgressUpdate(actor=DEPT, text="已完成方案起草", percent=30))
        assert view.state == "published"
        await h.sleep_until(local(2026, 9, 24, 10))
        await handle.execute_update(CommitmentWorkflow.post_progress, ProgressUpdate(actor=DEPT, text="征求意见中"))
        events = [e for e in audit(cid) if e.action == "progress_posted"]
        assert [(e.reason, e.data, e.from_state, e.to_state) for e in events] == [
            ("已完成方案起草", {"text": "已完成方案起草", "percent": 30}, "published", None),
            ("征求意见中", {"text": "征求意见中", "percent": None}, "published", None)]
        assert commitment_row(cid).state == "published"

        await handle.execute_update(CommitmentWorkflow.complete_milestone, MilestoneDone(actor=DEPT, seq=1))
        await handle.execute_update(CommitmentWorkflow.report_fulfilment,
                                    FulfilmentReport(actor=DEPT, report="已全面推行，平均用时半天"))
        cause = await _refused(handle.execute_update(
            CommitmentWorkflow.post_progress, ProgressUpdate(actor=DEPT, text="又有进展")))
        assert cause.type == "InvalidState" and cause.details[0]["state"] == "fulfilment_reported"
        await handle.execute_update(CommitmentWorkflow.verify, VerificationDecision(actor=CREDIT, accepted=True))
        assert await h.ended(handle) == "fulfilled"

        detail = _detail(cid)
        assert [(p.at.date(), p.text, p.percent) for p in detail.progress_updates] == [
            (date(2026, 9, 20), "已完成方案起草", 30), (date(2026, 9, 24), "征求意见中", None)]
        assert detail.report == "已全面推行，平均用时半天" and detail.reported_at is not None
        assert detail.verification is not None and detail.verification.accepted
        assert detail.verification.label == "核验通过" and detail.verification.current
        assert [m.status_label for m in detail.milestones] == ["已完成（按期）", "未单独报告（承诺已整体践诺）"]
        assert detail.progress.percent == 50
        assert detail.progress.summary.startswith("已完成 1 / 2 个节点（50%）；承诺已经核验践诺")


async def test_progress_is_refused_before_publication_for_others_and_when_empty(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13), publish=False)
        cause = await _refused(handle.execute_update(
            CommitmentWorkflow.post_progress, ProgressUpdate(actor=DEPT, text="进展")))
        assert cause.type == "InvalidState" and cause.details[0]["state"] == "draft"
        await handle.execute_update(CommitmentWorkflow.publish, PublishRequest(actor=DEPT))
        before = len(audit(cid))
        for actor, text, kind in ((OTHER_DEPT, "进展", "Forbidden"), (CREDIT, "进展", "Forbidden"),
                                  (DEPT, "  ", "InvalidInput"), (DEPT, "长" * 2001, "InvalidInput")):
            cause = await _refused(handle.execute_update(
                CommitmentWorkflow.post_progress, ProgressUpdate(actor=actor, text=text)))
            assert cause.type == kind, (actor, cause)
        assert len(audit(cid)) == before
