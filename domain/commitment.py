"""Commitment (政务承诺) rules: states, legal transitions, kinds and amendment reasons.

Read by the workflow (to validate updates), the API (to explain a 409) and the pages (labels).
"""

from __future__ import annotations

from enum import StrEnum


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
    publish = "publish"
    report_fulfilment = "report_fulfilment"
    verify = "verify"
    request_amendment = "request_amendment"
    decide_amendment = "decide_amendment"
    pause = "pause"
    resume = "resume"
    extend = "extend"


# Which states allow which action. One table, read by the workflow validators and the pages.
ALLOWED: dict[Action, frozenset[CommitmentState]] = {
    Action.publish: frozenset({CommitmentState.draft}),
    Action.report_fulfilment: frozenset({CommitmentState.published}),
    Action.verify: frozenset({CommitmentState.fulfilment_reported}),
    Action.request_amendment: frozenset({CommitmentState.draft, CommitmentState.published}),
    Action.decide_amendment: frozenset({CommitmentState.draft, CommitmentState.published}),
    Action.pause: frozenset({CommitmentState.published}),
    Action.resume: frozenset({CommitmentState.published}),
    Action.extend: frozenset({CommitmentState.published}),
}


def allowed(action: Action, state: str) -> bool:
    return CommitmentState(state) in ALLOWED[action]



KINDS: dict[str, str] = {
    "service_quality": "服务质量承诺",
    "processing_time": "办理时限承诺",
    "guarantee": "保障承诺",
    "policy": "政策承诺（招商引资）",
    "contract": "合同履约",
    "public": "公开承诺（乡镇/街道）",
    "official_pledge": "公职人员政务承诺书",
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
