"""Suggestions and proposals (建议提案办理): 人大代表建议 and 政协委员提案 handled by a lead unit (主办) with any
co-handling units (会办), registered and supervised by the government office (`coordinator`, 政府办/督查室, or
the credit office where there is none). States, legal actions and labels, read by the workflow, the API and the
pages; `MOTION_RULES` says who may act, in which state, on which condition (domain/actions.py).

assigned → (reassignment_requested → assigned at the new lead unit) → drafted → replied (the unit's leader
approves and the reply goes out; the approval names the leader) → closed on the deputy's feedback. 不满意
reopens once (`reopened`) for a new reply. The deputy has no account: the coordinator records the feedback
the deputy gave. Co-units send their opinions to the lead unit while the case is assigned; the lead unit drafts
once every co-unit has sent its opinion or the co-handling period has run out.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from domain.actions import ActionTable, Facts, Refusal, flag_clear, flag_set, rule


class MotionState(StrEnum):
    assigned = "assigned"
    reassignment_requested = "reassignment_requested"
    drafted = "drafted"
    replied = "replied"
    reopened = "reopened"
    closed = "closed"


MOTION_STATES_ZH: dict[str, str] = {
    "assigned": "已交办", "reassignment_requested": "申请调整承办单位", "drafted": "答复已拟稿",
    "replied": "已答复", "reopened": "不满意，重新办理", "closed": "已办结",
}
MOTION_FINAL = frozenset({MotionState.closed})


class MotionAction(StrEnum):
    """Each value is the name of the workflow Update that carries the action."""

    request_reassignment = "request_reassignment"
    reassign = "reassign"
    send_opinion = "send_opinion"
    draft_reply = "draft_reply"
    approve_reply = "approve_reply"
    extend = "extend"
    record_feedback = "record_feedback"
    publish_reply = "publish_reply"


# Facts flags of a motion: the 10-day window to ask for reassignment is open; every co-unit has sent its opinion
# or the co-handling period ran out; the reply period was extended to 6 months; the reply is public.
REASSIGN_OPEN, CO_SETTLED, EXTENDED, PUBLIC_REPLY = "reassign_open", "co_settled", "extended", "reply_public"

COORDINATORS = ("coordinator", "credit_office")
S = MotionState
MOTION_RULES = ActionTable("motion", "建议提案", MOTION_STATES_ZH, [
    rule(MotionAction.request_reassignment, "申请调整承办单位", ("department",), {S.assigned},
         when=[flag_set(REASSIGN_OPEN, "已超过申请调整承办单位的期限（收到交办之日起10日）")],
         deadline="motion_reassign_request", queued=False),
    rule(MotionAction.reassign, "调整承办单位", COORDINATORS, {S.reassignment_requested}),
    rule(MotionAction.send_opinion, "送会办意见", ("department",), {S.assigned, S.reassignment_requested},
         deadline="motion_co_opinion"),
    rule(MotionAction.draft_reply, "拟定答复", ("department",), {S.assigned, S.reopened},
         when=[flag_set(CO_SETTLED, "会办单位意见尚未全部送达，会办期限也未届满")],
         deadline=("motion_reply", "motion_reply_complex", "proposal_reply", "motion_reopen_reply")),
    rule(MotionAction.approve_reply, "单位领导审签并答复", ("department",), {S.drafted},
         deadline=("motion_reply", "motion_reply_complex", "proposal_reply", "motion_reopen_reply")),
    rule(MotionAction.extend, "批准延长至6个月", COORDINATORS, {S.assigned, S.drafted},
         when=[flag_clear(EXTENDED, "已延长过答复期限")], queued=False),
    rule(MotionAction.record_feedback, "登记代表委员意见", COORDINATORS, {S.replied}, deadline="motion_feedback"),
    rule(MotionAction.publish_reply, "公开答复（建议提案复文）", COORDINATORS, {S.replied, S.closed},
         when=[flag_clear(PUBLIC_REPLY, "答复已公开")], queued=False),
], creators=COORDINATORS)


def _as_co_unit(action: str, role: str, own_department: str | None, co_departments: list[str]) -> bool:
    return action == MotionAction.send_opinion and role == "department" and own_department in co_departments


def authorize(action: str, role: str, own_department: str | None, lead: str,
              co_departments: list[str]) -> Refusal | None:
    """Role and unit: the co-handling opinion is the co-units' action, every other unit action the lead's."""
    if action == MotionAction.send_opinion:
        if role == "department" and own_department not in co_departments:
            return Refusal("Forbidden", "只有会办单位可以送会办意见")
        return MOTION_RULES.authorize(action, role, own_department, own_department or "")
    return MOTION_RULES.authorize(action, role, own_department, lead)


def refusal(action: str, role: str, own_department: str | None, facts: Facts,
            co_departments: list[str]) -> Refusal | None:
    """`MOTION_RULES.refusal`, with a co-unit judged as the unit of its own opinion."""
    if action == MotionAction.send_opinion and role == "department" and own_department not in co_departments:
        return Refusal("Forbidden", "只有会办单位可以送会办意见")
    if _as_co_unit(action, role, own_department, co_departments):
        facts = replace(facts, department=own_department or "")
    return MOTION_RULES.refusal(action, role, own_department, facts)


MOTION_KINDS: dict[str, str] = {
    "deputy_session": "人大代表建议（大会期间）",
    "deputy_interim": "人大代表建议（闭会期间）",
    "member_proposal": "政协委员提案",
}
PROPOSAL_KINDS = frozenset({"member_proposal"})

RESULT_CLASSES: dict[str, str] = {
    "A": "A类：已解决或基本解决", "B": "B类：正在解决或列入规划逐步解决",
    "C": "C类：因条件限制以后解决", "D": "D类：留作参考",
}
PROMISE_CLASSES = frozenset({"B", "C"})  # their reply carries a promise, tracked as a commitment

FEEDBACK: dict[str, str] = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}

PROMISE_KIND = "motion_promise"  # the commitment kind a B/C reply's promise becomes (domain/commitment.KINDS)
