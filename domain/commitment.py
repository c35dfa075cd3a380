"""Commitment (政务承诺) rules: states, legal transitions, kinds and amendment reasons.

Read by the workflow (to validate updates), the API (role checks, a 409's label), the staff forms and the work
queue (`RULES`: who may act, in which state, on which condition).
"""

from __future__ import annotations

from enum import StrEnum

from domain.actions import ActionTable, extensions_left, flag_clear, flag_set, rule


class CommitmentState(StrEnum):
    draft = "draft"
    published = "published"
    fulfilment_reported = "fulfilment_reported"
    fulfilled = "fulfilled"
    breached = "breached"
    withdrawn = "withdrawn"


STATE_LABELS_ZH: dict[str, str] = {
    "draft": "草稿",
    "published": "履行中",
    "fulfilment_reported": "待核验",
    "fulfilled": "已践诺",
    "breached": "未践诺",
    "withdrawn": "已撤回",
}

FINAL_STATES = frozenset({CommitmentState.fulfilled, CommitmentState.breached, CommitmentState.withdrawn})


class Action(StrEnum):
    """Each value is the name of the workflow Update that carries the action."""

    publish = "publish"
    report_fulfilment = "report_fulfilment"
    complete_milestone = "complete_milestone"
    verify = "verify"
    request_amendment = "request_amendment"
    decide_amendment = "decide_amendment"
    pause = "pause"
    resume = "resume"
    extend = "extend"
    post_progress = "post_progress"


S = CommitmentState
# Facts flags of a commitment (domain.actions.Facts): a change request awaits approval; the due clock is paused;
# a milestone is still open.
AMENDMENT_PENDING, PAUSED, MILESTONE_OPEN = "amendment_pending", "paused", "milestone_open"

RULES = ActionTable("commitment", "政务承诺", STATE_LABELS_ZH, [
    rule(Action.publish, "发布承诺", ("department", "credit_office"), {S.draft}, queued_for=("department",)),
    rule(Action.report_fulfilment, "报告履行情况", ("department",), {S.published}, deadline="due"),
    rule(Action.complete_milestone, "报告节点完成", ("department",), {S.published, S.fulfilment_reported},
         when=[flag_set(MILESTONE_OPEN, "没有未完成的节点")], deadline="milestone"),
    rule(Action.verify, "核验履行情况", ("credit_office",), {S.fulfilment_reported}, deadline="verification"),
    rule(Action.request_amendment, "申请变更或撤回", ("department",), {S.draft, S.published},
         when=[flag_clear(AMENDMENT_PENDING, "已有待审批的变更申请")], queued=False),
    rule(Action.decide_amendment, "审批变更或撤回", ("credit_office",), {S.draft, S.published},
         when=[flag_set(AMENDMENT_PENDING, "没有待审批的变更申请")]),
    rule(Action.pause, "中止计时", ("credit_office",), {S.published}, when=[flag_clear(PAUSED, "计时已中止")],
         queued=False),
    rule(Action.resume, "恢复计时", ("credit_office",), {S.published}, when=[flag_set(PAUSED, "计时未中止")]),
    rule(Action.extend, "延长期限", ("credit_office",), {S.published},
         when=[flag_clear(PAUSED, "计时中止期间不能延期"), extensions_left("延期次数已达上限")], queued=False),
    # An option while the commitment runs, not a step it waits for: the public timeline of 履行进展.
    rule(Action.post_progress, "发布履行进展", ("department",), {S.published}, queued=False),
], creators=("department", "credit_office"))


KINDS: dict[str, str] = {
    "service_quality": "服务质量承诺",
    "processing_time": "办理时限承诺",
    "guarantee": "保障承诺",
    "policy": "政策承诺（招商引资）",
    "contract": "合同履约",
    "public": "公开承诺（乡镇/街道）",
    "official_pledge": "公职人员政务承诺书",
    "motion_promise": "建议提案答复承诺",  # a B/C reply's promise (domain/motion.PROMISE_KIND)
}


class AmendmentReason(StrEnum):
    """Lawful grounds (国家利益、公共利益或其他法定事由) — the only ones accepted."""

    national_interest = "national_interest"
    public_interest = "public_interest"
    legal_cause = "legal_cause"


# 换届、责任人更替 is never a reason (新官不理旧账). Checked on the reason code and on the free text.
FORBIDDEN_REASON_CODES = {"term_change": "政府换届", "official_change": "责任人更替"}
FORBIDDEN_REASON_WORDS = ("换届", "责任人更替", "责任人变更", "领导更替", "领导调整", "人事变动", "新官")


def unlawful_reason(reason_code: str, reason_text: str) -> str | None:
    """Why an amendment reason is refused, or None when it is a lawful ground."""
    if reason_code in FORBIDDEN_REASON_CODES:
        return f"{FORBIDDEN_REASON_CODES[reason_code]}不得作为变更或撤回承诺的理由"
    for word in FORBIDDEN_REASON_WORDS:
        if word in reason_text:
            return f"“{word}”不得作为变更或撤回承诺的理由（政府换届、责任人更替不影响承诺履行）"
    if reason_code not in AmendmentReason.__members__:
        return "理由须为国家利益、公共利益或其他法定事由"
    return None
