"""Complaint (政务失信投诉举报), ../shared/spec/processes.md §5: states, legal actions and labels, read by
workflows, API and pages; `COMPLAINT_RULES` says who may act, in which state, on which condition
(domain/actions.py)."""

from __future__ import annotations

from enum import StrEnum

from domain.actions import ActionTable, rule


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
