"""A decided objection to a commitment's status (../shared/spec/processes.md §4): `corrected` or `revoked` replaces the
commitment's public status, with the decision and its reason, and revokes the dishonesty record its breach
opened; the department is told here, the record's holders by the record's own workflow.

The commitment's workflow applies the change while it runs (signal); a kept, breached or withdrawn commitment's
workflow has ended, so the objection writes the same change on the row. The record is revoked through its
workflow (RecordWorkflow.apply_objection_outcome); one that has ended keeps a note instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.commitment_status import commitment_facts
    from activities.transitions import apply_transition
    from domain.commitment_status import STATUS_EVENTS, decision_zh, disputed_status_zh, status_changes, status_label_zh
    from domain.events import Event
    from domain.messages import (
        Actor,
        CaseRef,
        CommitmentStatusDecision,
        ObjectionDecisionIn,
        ObjectionOutcome,
        Transition,
    )

from workflows.commitment import CommitmentWorkflow
from workflows.common import DB_ACTIVITY
from workflows.record import RecordWorkflow

if TYPE_CHECKING:
    from workflows.objection import ObjectionWorkflow


async def decide_on_commitment(wf: ObjectionWorkflow, req: ObjectionDecisionIn) -> str:
    """Apply a `corrected`/`revoked` decision to the disputed commitment; returns what the applicant is told
    besides the decision itself."""
    assert req.outcome != "upheld"
    target = wf.start.target
    facts = await workflow.execute_activity(commitment_facts, target.case_id, **DB_ACTIVITY)
    decision = CommitmentStatusDecision(
        objection_id=wf.start.objection_id, outcome=req.outcome, reason=req.reason, correction=req.correction,
        disputed=disputed_status_zh(facts.state, facts.overdue), record_id=facts.record_id, actor=req.actor)
    text = decision_zh(decision)
    try:
        await workflow.get_external_workflow_handle_for(CommitmentWorkflow.run, f"commitment-{target.case_id}").signal(
            CommitmentWorkflow.apply_status_decision, decision)
    except Exception:  # its workflow has ended: write the same change on the row, tell the department here
        await _write(wf, CaseRef(case_type="commitment", case_id=target.case_id, department=target.department),
                     STATUS_EVENTS[req.outcome], req.actor, text, status_changes(decision))
        await wf._notify("commitment_status", "case_update", [f"department:{target.department}"], event_label=text)
    told = f"承诺状态现为：{status_label_zh(decision)}"
    if facts.record_id is not None:
        await _revoke_record(wf, facts.record_id, decision)
        told += f"；因此生成的失信记录（编号 {facts.record_id}）已撤销，停止公示"
    return told


async def _revoke_record(wf: ObjectionWorkflow, record_id: int, decision: CommitmentStatusDecision) -> None:
    """The record the disputed breach opened goes with it: revoked by the credit office's decision."""
    source = f"对承诺（编号 {wf.start.target.case_id}）状态的异议（编号 {decision.objection_id}）"
    outcome = ObjectionOutcome(objection_id=decision.objection_id, outcome="revoked", reason=decision.reason,
                               correction=f"承诺状态{status_label_zh(decision)}，由此生成的失信记录撤销",
                               actor=decision.actor, source=source)
    try:
        await workflow.get_external_workflow_handle_for(RecordWorkflow.run, f"record-{record_id}").signal(
            RecordWorkflow.apply_objection_outcome, outcome)
    except Exception:  # repaired or expired and ended: out of publicity already, the note is what remains
        note = f"经{source}核实撤销：{outcome.correction}"
        await _write(wf, CaseRef(case_type="record", case_id=record_id), Event.correction_noted, decision.actor,
                     note, {"correction_note": note})


async def _write(wf: ObjectionWorkflow, case: CaseRef, action: Event, actor: Actor, reason: str,
                 changes: dict) -> None:
    """Audit event and row change on another case; the key carries this objection's id and sequence."""
    wf.journal.seq += 1
    await workflow.execute_activity(
        apply_transition,
        Transition(case=case, event_key=f"objection-{wf.start.objection_id}:{wf.journal.seq:04d}:{action.value}",
                   action=action.value, from_state=None, to_state=None, actor=actor, reason=reason,
                   at=workflow.now(), data={"objection_id": wf.start.objection_id}, changes=changes),
        **DB_ACTIVITY,
    )
