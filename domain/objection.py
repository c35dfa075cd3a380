"""Objection (信用信息异议), processes.md §4, and complaint (政务失信投诉举报), §5: states, legal
actions and labels, read by workflows, API and pages."""

from __future__ import annotations

from enum import StrEnum


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
    accept = "accept"
    supplement = "supplement"
    verify = "verify"
    decide = "decide"
    withdraw = "withdraw"


OBJECTION_ALLOWED: dict[ObjectionAction, frozenset[ObjectionState]] = {
    ObjectionAction.accept: frozenset({ObjectionState.submitted}),
    ObjectionAction.supplement: frozenset({ObjectionState.awaiting_supplement}),
    ObjectionAction.verify: frozenset({ObjectionState.verifying}),
    ObjectionAction.decide: frozenset({ObjectionState.verifying}),
    ObjectionAction.withdraw: frozenset({ObjectionState.submitted, ObjectionState.awaiting_supplement,
                                         ObjectionState.accepted, ObjectionState.verifying}),
}


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
    triage = "triage"
    respond = "respond"
    review = "review"
    feedback = "feedback"


COMPLAINT_ALLOWED: dict[ComplaintAction, frozenset[ComplaintState]] = {
    ComplaintAction.triage: frozenset({ComplaintState.submitted}),
    ComplaintAction.respond: frozenset({ComplaintState.triaged}),
    ComplaintAction.review: frozenset({ComplaintState.responded}),
    ComplaintAction.feedback: frozenset({ComplaintState.substantiated, ComplaintState.unsubstantiated}),
}

COMPLAINT_TOPICS: dict[str, str] = {
    "breach_of_contract": "违约毁约", "arrears": "拖欠账款", "ignoring_predecessor": "新官不理旧账",
    "unkept_commitment": "不兑现承诺", "other": "其他政务失信行为",
}
