"""The audit events: every `action` a workflow, an activity or the API writes into the audit log, with its
Chinese label (what pages, the Atom feed and reports show) and whether a public page shows the change.

The value of each member is the string stored in `audit_events.action` and in the workflows' event keys:
existing rows and recorded histories carry these strings, so a value never changes (rename a member's
label freely; add a member for a new event). `public` marks a change a public page shows without a change
of state — the Atom feed reports those too (every change of state is reported anyway); reminders,
escalations, digests and internal steps stay out.
"""

from __future__ import annotations

from enum import StrEnum

PUBLIC = True  # readability of the table below: `paused = "paused", "中止计时", PUBLIC`


class Event(StrEnum):
    label_zh: str
    public: bool

    def __new__(cls, value: str, label_zh: str, public: bool = False) -> Event:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_zh = label_zh
        member.public = public
        return member

    @classmethod
    def label_of(cls, action: str) -> str:
        """The Chinese label of a stored action; an unknown string (never expected) is shown as it is."""
        member = _BY_VALUE.get(action)
        return member.label_zh if member is not None else action

    # --- accounts and departments (api/accounts.py, api/login.py) --------------------------------------------
    login_failed = "login_failed", "登录失败"
    user_created = "user_created", "添加账号"
    user_enabled = "user_enabled", "启用账号"
    user_disabled = "user_disabled", "停用账号"
    department_created = "department_created", "添加单位"

    # --- every case -------------------------------------------------------------------------------------------
    created = "created", "登记"
    published = "published", "公开"
    reminder = "reminder", "时限提醒"
    escalation_due = "escalation_due", "逾期督办"
    escalation_serious = "escalation_serious", "严重逾期督办"
    escalation_digest = "escalation_digest", "逾期每日汇总"
    deadline_moved = "deadline_moved", "时限调整", PUBLIC
    closed = "closed", "办结"
    withdrawn = "withdrawn", "撤回"

    # --- commitment (workflows/commitment.py) ----------------------------------------------------------------
    fulfilment_reported = "fulfilment_reported", "报告履行情况"
    verified_accepted = "verified_accepted", "核验通过"
    verified_rejected = "verified_rejected", "核验未通过"
    overdue = "overdue", "逾期"
    overdue_cleared = "overdue_cleared", "不再逾期", PUBLIC
    breached = "breached", "认定未践诺"
    record_opened = "record_opened", "生成失信记录"
    amendment_requested = "amendment_requested", "申请变更/撤回"
    amendment_approved = "amendment_approved", "变更获批", PUBLIC
    amendment_rejected = "amendment_rejected", "变更未获批"
    paused = "paused", "中止计时", PUBLIC
    resumed = "resumed", "恢复计时", PUBLIC
    extended = "extended", "延期", PUBLIC
    milestone_done = "milestone_done", "节点完成", PUBLIC
    milestone_overdue = "milestone_overdue", "节点逾期", PUBLIC
    progress_posted = "progress_posted", "发布履行进展", PUBLIC
    commitment_status_corrected = "commitment_status_corrected", "经异议更正承诺状态", PUBLIC
    commitment_status_revoked = "commitment_status_revoked", "经异议撤销承诺状态", PUBLIC

    # --- dishonesty record (workflows/record.py) ---------------------------------------------------------------
    explained = "explained", "书面说明原因", PUBLIC
    rectification_submitted = "rectification_submitted", "提交整改材料", PUBLIC
    rectification_verified = "rectification_verified", "整改核验通过"
    rectification_rejected = "rectification_rejected", "整改核验未通过"
    rectification_due_set = "rectification_due_set", "确定整改期限", PUBLIC
    rectification_overdue = "rectification_overdue", "逾期未整改", PUBLIC
    rectification_overdue_cleared = "rectification_overdue_cleared", "不再逾期未整改", PUBLIC
    repair_requested = "repair_requested", "申请信用修复"
    repaired = "repaired", "信用修复完成"
    repair_rejected = "repair_rejected", "信用修复未通过"
    mitigated = "mitigated", "主动纠错", PUBLIC
    classified = "classified", "认定严重程度", PUBLIC
    unpublished = "unpublished", "停止公示"
    expired = "expired", "公示期满"
    corrected = "corrected", "经异议更正"
    revoked = "revoked", "撤销"
    correction_noted = "correction_noted", "记录异议处理结果", PUBLIC

    # --- objection (workflows/objection.py), written on its own case and on the disputed one --------------------
    objection_marked = "objection_marked", "异议处理中", PUBLIC
    objection_unmarked = "objection_unmarked", "异议处理结束", PUBLIC
    objection_corrected = "objection_corrected", "经异议更正", PUBLIC
    objection_revoked = "objection_revoked", "经异议撤销"
    submitted = "submitted", "提交"
    supplement_requested = "supplement_requested", "要求补正材料"
    supplemented = "supplemented", "补正材料"
    accepted = "accepted", "受理"
    rejected = "rejected", "不予受理"
    forwarded = "forwarded", "转信息提供单位核实"
    verified = "verified", "提交核实意见"
    department_late = "department_late", "信息提供单位逾期未核实"
    decided = "decided", "作出决定"

    # --- complaint (workflows/complaint.py) -------------------------------------------------------------------
    triaged = "triaged", "分办"
    dismissed = "dismissed", "不予受理"
    responded = "responded", "单位答复"
    reviewed = "reviewed", "审核"
    feedback = "feedback", "评价"
    reopened = "reopened", "重新审核"

    # --- 归集共享 (workflows/delivery.py), written on the record or commitment pushed -------------------------
    push_overdue = "push_overdue", "撤回推送逾期"
    platform_added = "platform_added", "登记接收平台"
    platform_key_changed = "platform_key_changed", "更换接收平台密钥"
    platform_paused = "platform_paused", "暂停向接收平台推送"
    platform_resumed = "platform_resumed", "恢复向接收平台推送"
    sender_added = "sender_added", "登记下级平台"
    sender_key_issued = "sender_key_issued", "签发下级平台密钥"
    sender_key_retired = "sender_key_retired", "停用下级平台密钥"

    # --- suggestion and proposal (workflows/motion.py) ------------------------------------------------------
    assigned = "assigned", "交办"
    reassignment_requested = "reassignment_requested", "申请调整承办单位"
    reassigned = "reassigned", "调整承办单位"
    reassignment_declined = "reassignment_declined", "不予调整承办单位"
    co_opinion_sent = "co_opinion_sent", "送会办意见"
    co_opinion_late = "co_opinion_late", "会办单位逾期未送意见"
    reply_drafted = "reply_drafted", "拟定答复"
    reply_approved = "reply_approved", "单位领导审签并答复"
    reply_late = "reply_late", "逾期未答复"
    motion_reopened = "motion_reopened", "不满意，重新办理"
    promise_tracked = "promise_tracked", "答复承诺转为政务承诺"

    # --- integrity report (workflows/integrity_report.py) ---------------------------------------------------
    report_opened = "report_opened", "开启情况报送"
    report_submitted = "report_submitted", "报送情况报告"
    report_accepted = "report_accepted", "情况报告审核通过"
    report_returned = "report_returned", "退回情况报告"


PUBLIC_EVENTS = frozenset(e for e in Event if e.public)
_BY_VALUE: dict[str, Event] = {e.value: e for e in Event}


def is_public_change(action: str, to_state: str | None) -> bool:
    """A change the public sees on an item's page: every change of state, and the PUBLIC events (what the
    Atom feeds list and followers are mailed about)."""
    return to_state is not None or action in PUBLIC_EVENTS
