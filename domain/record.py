"""Dishonesty record (政务失信记录 → 整改 → 信用修复), ../shared/spec/processes.md §6: states, legal actions,
categories, severities and the publicity periods that decide publication and repair."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from domain.actions import ActionTable, flag_clear, flag_set, repair_date_reached, rule
from domain.periods import first_day_after, months_period_last_day
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


def is_published(severity: str, profile: RuleProfile) -> bool:
    return profile.publicity[severity].published


def repair_possible_from(decision_date: date, severity: str, profile: RuleProfile) -> date:
    """First day a repair may be requested: the day after the minimum publicity period's last day
    (domain.periods: 2026-08-31 + 3 months ends 2026-11-30, repair from 2026-12-01)."""
    return first_day_after(decision_date, profile.publicity[severity].min_months)


def minimum_publicity_ends(decision_date: date, severity: str, profile: RuleProfile) -> date:
    """Last day of the minimum publicity period (it still counts, until 24:00)."""
    return months_period_last_day(decision_date, profile.publicity[severity].min_months)


def publicity_ends(decision_date: date, severity: str, profile: RuleProfile) -> date:
    """Last day of the maximum publicity period; publication stops at its end (24:00), i.e. expiry."""
    return months_period_last_day(decision_date, profile.publicity[severity].max_months)


def repair_opens_zh(repair_from: date, act: str = "申请") -> str:
    """What the refusal, the page and the notice say about when repair opens (one wording, one date rule)."""
    last = repair_from - timedelta(days=1)
    return f"最短公示期至 {last.isoformat()} 届满，可于 {repair_from.isoformat()} 起{act}信用修复"


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
         first=[repair_date_reached(repair_opens_zh)],
         state_message="整改尚未核验通过（当前：{state}），不能申请信用修复"),
    rule(RecordAction.decide_repair, "信用修复决定", ("credit_office",), {S.repair_requested},
         deadline="repair-decision"),
    rule(RecordAction.set_rectification_due, "确定整改期限", ("credit_office",), _BEFORE_RECTIFIED, queued=False),
    rule(RecordAction.classify, "认定严重程度", ("credit_office",), _OPEN, queued=False),
    rule(RecordAction.mitigate, "主动纠错（从轻或免于惩戒）", ("credit_office",), _OPEN, queued=False),
], creators=("credit_office",))
# Approving a repair needs the date too; a rejection may come earlier.
APPROVAL_NEEDS_REPAIR_DATE = repair_date_reached(lambda day: repair_opens_zh(day, "批准"))
