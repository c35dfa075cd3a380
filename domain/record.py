"""Dishonesty record (政务失信记录 → 整改 → 信用修复), processes.md §6: states, legal actions,
categories, severities and the publicity periods that decide publication and repair."""

from __future__ import annotations

import calendar as _calendar
from datetime import date
from enum import StrEnum

from domain.actions import ActionTable, flag_clear, flag_set, repair_date_reached, rule
from domain.profiles import RuleProfile


class RecordState(StrEnum):
    recorded = "recorded"
    published = "published"
    rectifying = "rectifying"
    rectified = "rectified"
    repair_requested = "repair_requested"
    repaired = "repaired"
    repair_rejected = "repair_rejected"
    expired = "expired"
    revoked = "revoked"


STATE_LABELS_ZH: dict[str, str] = {
    "recorded": "已记录",
    "published": "公示中",
    "rectifying": "整改中",
    "rectified": "已整改",
    "repair_requested": "修复申请中",
    "repaired": "已修复",
    "repair_rejected": "修复未通过",
    "expired": "公示期满",
    "revoked": "已撤销",
}

FINAL_STATES = frozenset({RecordState.repaired, RecordState.expired, RecordState.revoked})


class RecordAction(StrEnum):
    """Each value is the name of the workflow Update that carries the action."""

    explain = "explain"
    submit_rectification = "submit_rectification"
    verify_rectification = "verify_rectification"
    request_repair = "request_repair"
    decide_repair = "decide_repair"
    mitigate = "mitigate"
    classify = "classify"
    set_rectification_due = "set_rectification_due"


S = RecordState
_OPEN = frozenset(s for s in RecordState if s not in FINAL_STATES)
_BEFORE_RECTIFIED = frozenset({S.recorded, S.published, S.rectifying})
# Facts flags of a record: the written explanation is in; rectification material awaits verification.
EXPLAINED, RECTIFICATION_PENDING = "explained", "rectification_pending"

RULES = ActionTable("record", "失信记录", STATE_LABELS_ZH, [
    rule(RecordAction.explain, "书面说明原因", ("department",), _BEFORE_RECTIFIED,
         when=[flag_clear(EXPLAINED, "已提交书面说明")], deadline="explanation"),
    rule(RecordAction.submit_rectification, "提交整改材料", ("department",), _BEFORE_RECTIFIED,
         when=[flag_clear(RECTIFICATION_PENDING, "整改材料正在核验中")], deadline="rectification"),
    rule(RecordAction.verify_rectification, "核验整改", ("credit_office",), _BEFORE_RECTIFIED,
         when=[flag_set(RECTIFICATION_PENDING, "没有待核验的整改材料")], deadline="rectification-verification"),
    rule(RecordAction.request_repair, "申请信用修复", ("department",), {S.rectified, S.repair_rejected},
         first=[repair_date_reached("申请信用修复")],
         state_message="整改尚未核验通过（当前：{state}），不能申请信用修复"),
    rule(RecordAction.decide_repair, "信用修复决定", ("credit_office",), {S.repair_requested},
         deadline="repair-decision"),
    rule(RecordAction.set_rectification_due, "确定整改期限", ("credit_office",), _BEFORE_RECTIFIED, queued=False),
    rule(RecordAction.classify, "认定严重程度", ("credit_office",), _OPEN, queued=False),
    rule(RecordAction.mitigate, "主动纠错（从轻或免于惩戒）", ("credit_office",), _OPEN, queued=False),
], creators=("credit_office",))
APPROVAL_NEEDS_REPAIR_DATE = repair_date_reached("批准信用修复")  # a rejection may come earlier


CATEGORIES: dict[str, str] = {
    "judgment": "司法判决",
    "administrative_penalty": "行政处罚",
    "disciplinary": "纪律处分",
    "accountability": "问责处理",
    "enforcement_debtor": "失信被执行人",
    "arrears": "拖欠账款",
    "breach_of_contract": "违约毁约",
    "commitment_breach": "未践行政务承诺",
    "complaint": "投诉查实",
}

SEVERITIES: dict[str, str] = {"minor": "轻微", "general": "一般", "serious": "严重"}

MITIGATIONS: dict[str, str] = {"mitigated": "从轻", "exempted": "免于惩戒"}


def add_months(d: date, months: int) -> date:
    """Calendar months; the day is clamped to the month's end (2026-01-31 + 1 → 2026-02-28)."""
    month_index = d.month - 1 + months
    year, month = d.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(d.day, _calendar.monthrange(year, month)[1]))


def is_published(severity: str, profile: RuleProfile) -> bool:
    return profile.publicity[severity].published


def repair_possible_from(decision_date: date, severity: str, profile: RuleProfile) -> date:
    """First day a repair may be requested: the minimum publicity period has run."""
    return add_months(decision_date, profile.publicity[severity].min_months)


def publicity_ends(decision_date: date, severity: str, profile: RuleProfile) -> date:
    """Last day of the maximum publicity period; publication stops after it."""
    return add_months(decision_date, profile.publicity[severity].max_months)
