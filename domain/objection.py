"""Objection (信用信息异议), ../shared/spec/processes.md §4: states, legal actions and labels, read by
workflows, API and pages; `OBJECTION_RULES` says who may act, in which state, on which condition
(domain/actions.py)."""

from __future__ import annotations

from enum import StrEnum

from domain.actions import ActionTable, either_flag, flag_clear, rule


class ObjectionState(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"
    awaiting_supplement = "awaiting_supplement"
    verifying = "verifying"
    decided = "decided"
    closed = "closed"
    withdrawn = "withdrawn"


OBJECTION_STATES_ZH: dict[str, str] = {
    "submitted": "已提交", "accepted": "已受理", "rejected": "不予受理", "awaiting_supplement": "待补正",
    "verifying": "核实中", "decided": "已决定", "closed": "已办结", "withdrawn": "已撤回",
}
OBJECTION_FINAL = frozenset({ObjectionState.rejected, ObjectionState.closed, ObjectionState.withdrawn})
OUTCOMES_ZH: dict[str, str] = {"corrected": "更正", "revoked": "撤销", "upheld": "维持"}


class ObjectionAction(StrEnum):
    """Each value is the name of the workflow Update that carries the action."""

    accept = "accept"
    supplement = "supplement"
    verify = "verify"
    decide = "decide"
    withdraw = "withdraw"


OS = ObjectionState
# Facts flags of an objection: the source department's finding is in; its verification period ran out unanswered.
FINDING_GIVEN, DEPARTMENT_LATE = "finding_given", "department_late"

OBJECTION_RULES = ActionTable("objection", "信用信息异议", OBJECTION_STATES_ZH, [
    rule(ObjectionAction.accept, "受理审查", ("credit_office",), {OS.submitted}, deadline=("acceptance", "forward")),
    rule(ObjectionAction.verify, "提交核实意见", ("department",), {OS.verifying},
         when=[flag_clear(FINDING_GIVEN, "已提交核实意见")], deadline="source-verification"),
    rule(ObjectionAction.decide, "作出决定", ("credit_office",), {OS.verifying},
         when=[either_flag((FINDING_GIVEN, DEPARTMENT_LATE), "信息提供单位尚未核实，核实期限届满前不能直接决定")],
         deadline=("total", "decision")),
    rule(ObjectionAction.supplement, "补正材料", ("public",), {OS.awaiting_supplement}, deadline="supplement"),
    rule(ObjectionAction.withdraw, "撤回异议", ("public",), {OS.submitted, OS.awaiting_supplement, OS.accepted,
                                                             OS.verifying}, queued=False),
])
