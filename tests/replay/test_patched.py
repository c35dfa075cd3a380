"""Changing a workflow while cases run, the documented way: the commitment workflow now tells the
supervisor when a commitment they were escalated about is kept, guarded by `workflow.patched()`.

- A case recorded before the change (golden history) replays on today's code.
- The same change without the guard breaks that case: replay raises a non-determinism error.
- A case started on today's code takes the new branch, and its history carries the patch marker."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from domain.messages import CommitmentStart, FulfilmentReport, VerificationDecision
from tests.workflows.harness import CREDIT, DEPT, eventually, harness_at, local, outbox
from workflows.commitment import SUPERVISOR_TOLD_WHEN_LATE_KEPT, CommitmentWorkflow

BEFORE_THE_CHANGE = Path(__file__).parent / "commitment_fulfilled_late.json"


@workflow.defn(name="CommitmentWorkflow", sandboxed=False)
class UnguardedCommitmentWorkflow(CommitmentWorkflow):
    """The same change made carelessly: the extra notice without `workflow.patched()`."""

    @workflow.run
    async def run(self, start: CommitmentStart) -> str:
        return await super().run(start)

    async def _finish(self, state: str, action: str, actor, reason: str, due_status: str,  # type: ignore[no-untyped-def]
                      extra: dict | None = None) -> None:
        await super()._finish(state, action, actor, reason, due_status, extra)
        if state == "fulfilled" and self.overdue:
            await self._notify("escalation_resolved_unguarded", "case_update", [f"supervisor:{self.start.department}"],
                               event_label="unguarded")


def _history() -> WorkflowHistory:
    return WorkflowHistory.from_json("late", BEFORE_THE_CHANGE.read_text(encoding="utf-8"))


async def test_the_case_recorded_before_the_change_replays_on_todays_code() -> None:
    await Replayer(workflows=[CommitmentWorkflow], data_converter=pydantic_data_converter).replay_workflow(_history())


async def test_the_same_change_without_the_guard_breaks_running_cases() -> None:
    replayer = Replayer(workflows=[UnguardedCommitmentWorkflow], data_converter=pydantic_data_converter)
    with pytest.raises(Exception, match="[Nn]ondeterminism|[Nn]on-determinism|NondeterminismError"):
        await replayer.replay_workflow(_history())


async def test_a_case_started_on_todays_code_takes_the_new_branch(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        await h.sleep_until(local(2026, 10, 14, 10))
        await handle.execute_update(CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="r"))
        await handle.execute_update(CommitmentWorkflow.verify, VerificationDecision(actor=CREDIT, accepted=True))
        assert await handle.result() == "fulfilled"
        await eventually(lambda: any("escalation_resolved" in r.event_key for r in outbox(cid)))
        told = [r for r in outbox(cid) if "escalation_resolved" in r.event_key]
        assert [r.recipient for r in told] == ["fgw-sup@test.local"] and "督办事项办结" in told[0].text
        markers = [e for e in (await handle.fetch_history()).events
                   if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
        assert any(SUPERVISOR_TOLD_WHEN_LATE_KEPT.encode() in e.SerializeToString() for e in markers)
