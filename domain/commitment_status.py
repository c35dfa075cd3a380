"""A commitment's public status after a decided objection to it (../shared/spec/processes.md §4): `corrected`
or `revoked` replaces the disputed status on the public page and API, with the decision and its reason; `upheld` changes
nothing. One function builds what the commitment's workflow (or, once it has ended, the objection's) writes."""

from __future__ import annotations

from domain.commitment import STATE_LABELS_ZH, CommitmentState
from domain.events import Event
from domain.messages import CommitmentStatusDecision
from domain.objection import OUTCOMES_ZH

STATUS_EVENTS = {"corrected": Event.commitment_status_corrected, "revoked": Event.commitment_status_revoked}


def disputed_status_zh(state: str, overdue: bool) -> str:
    """The status the public saw: 逾期 for a commitment still in force but late, else its state's label."""
    return "逾期" if overdue and state == CommitmentState.published else STATE_LABELS_ZH[state]


def status_label_zh(decision: CommitmentStatusDecision) -> str:
    """What the public page shows in place of the disputed status."""
    if decision.outcome == "revoked":
        return f"“{decision.disputed}”认定已撤销"
    return f"已更正：{decision.correction}"


def decision_zh(decision: CommitmentStatusDecision) -> str:
    """The decision and its reason, as the history, the notices and the page say it."""
    return (f"经异议（编号 {decision.objection_id}）核实{OUTCOMES_ZH[decision.outcome]}承诺状态"
            f"“{decision.disputed}”：{status_label_zh(decision)}（理由：{decision.reason}）")


def status_changes(decision: CommitmentStatusDecision) -> dict[str, object]:
    """The commitment row's new public status: `status_decision` (shown by the API and pages) and the note."""
    return {
        "status_decision": {
            "outcome": decision.outcome, "outcome_label": OUTCOMES_ZH[decision.outcome],
            "status_label": status_label_zh(decision), "disputed_label": decision.disputed,
            "reason": decision.reason, "correction": decision.correction or None,
            "objection_id": decision.objection_id, "record_id": decision.record_id,
        },
        "correction_note": decision_zh(decision),
    }
