"""Objection (信用信息异议), processes.md §4, and complaint (政务失信投诉举报), §5: states, legal
actions and labels, read by workflows, API and pages; `OBJECTION_RULES` and `COMPLAINT_RULES` say who may act,
in which state, on which condition (domain/actions.py)."""

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


class ComplaintState(StrEnum):
    submitted = "submitted"
    triaged = "triaged"
    dismissed = "dismissed"
    responded = "responded"
    substantiated = "substantiated"
    unsubstantiated = "unsubstantiated"
    closed = "closed"


COMPLAINT_STATES_ZH: dict[str, str] = {
    "submitted": "已提交", "triaged": "已分办", "dismissed": "不予受理", "responded": "单位已答复",
    "substantiated": "投诉属实", "unsubstantiated": "投诉不属实", "closed": "已办结",
}
COMPLAINT_FINAL = frozenset({ComplaintState.dismissed, ComplaintState.closed})


class ComplaintAction(StrEnum):
    """Each value is the name of the workflow Update that carries the action."""

    triage = "triage"
    respond = "respond"
    review = "review"
    feedback = "feedback"


C = ComplaintState
COMPLAINT_RULES = ActionTable("complaint", "政务失信投诉", COMPLAINT_STATES_ZH, [
    rule(ComplaintAction.triage, "分办", ("credit_office",), {C.submitted}, deadline="complaint_triage"),
    rule(ComplaintAction.respond, "答复投诉", ("department",), {C.triaged}, deadline="complaint_response"),
    rule(ComplaintAction.review, "审核答复", ("credit_office",), {C.responded}, deadline="complaint_review"),
    rule(ComplaintAction.feedback, "评价处理结果", ("public",), {C.substantiated, C.unsubstantiated},
         deadline="complaint_feedback"),
])

COMPLAINT_TOPICS: dict[str, str] = {
    "breach_of_contract": "违约毁约", "arrears": "拖欠账款", "ignoring_predecessor": "新官不理旧账",
    "unkept_commitment": "不兑现承诺", "other": "其他政务失信行为",
}
