"""Monitoring figures (监测评价, ../shared/spec/processes.md §9), computed only from the append-only audit log.

Every figure of a period counts events whose time falls inside the period, or reads a case's state as
the log shows it at the period's end. Nothing written later is looked at, so a past period's report
never changes when today's data does. The definitions and the league-table formula live here, once,
and are shown on the page, in the API and in the quarterly report."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.calendar import TZ
from domain.events import Event
from domain.profiles import Ranking

RATE_NAMES_ZH = {"on_time_rate": "按期践诺率", "answer_rate": "按期答复率", "rectification_rate": "整改率",
                 "report_rate": "按期报送率", "motion_reply_rate": "建议提案按期答复率",
                 "motion_satisfaction_rate": "建议提案满意率"}
SEVERITY_ZH = {"minor": "轻微", "general": "一般", "serious": "严重"}


def formula_zh(rule: Ranking) -> str:
    """The formula in words, from the same data the score is computed with."""
    weights = "、".join(f"{RATE_NAMES_ZH[k]} {w:.0%}" for k, w in rule.weights.items() if w)
    deductions = "、".join(f"{SEVERITY_ZH[k]} {d:g} 分" for k, d in rule.deductions.items() if d)
    return (f"得分 = 100 × 加权平均（{weights}）；本期没有适用案件的指标不参评，其权重按比例分给其余指标；"
            f"本期每新增一条失信记录扣分：{deductions}，最低 0 分；本期没有任何案件的单位列为“无数据”，不参与排名；"
            "得分相同者按期践诺率高者在前，仍相同按单位代码排序。")


FORMULA_ZH = formula_zh(Ranking())  # the shipped default, for readers without a profile at hand
DEFINITIONS_ZH = {
    "commitments_made": "本期公开的承诺数",
    "fulfilled_on_time": "本期核验通过、且报告履行前未逾期的承诺数",
    "fulfilled_late": "本期核验通过、但逾期后才报告履行的承诺数",
    "overdue_at_end": "期末仍逾期未报告履行的承诺数",
    "breached": "本期认定未践诺的承诺数",
    "objections_received": "本期收到的异议数（按信息提供单位）",
    "complaints_received": "本期收到的投诉数（按期末责任单位）",
    "answered_on_time": "本期办结的异议（作出决定）和答复的投诉中，此前没有任何时限逾期的件数",
    "answered_late": "本期办结的异议和答复的投诉中，此前有时限逾期的件数",
    "records_opened": "本期记录的失信信息数",
    "records_opened_general": "本期记录的一般失信信息数（扣分）",
    "records_opened_serious": "本期记录的严重失信信息数（扣分）",
    "rectified": "本期整改核验通过的失信记录数",
    "rectification_overdue_at_end": "期末逾期未整改的失信记录数",
    "repaired": "本期完成信用修复的失信记录数",
    "on_time_rate": "按期践诺率 = 按期践诺 ÷（按期践诺 + 逾期践诺 + 未践诺）",
    "answer_rate": "按期答复率 = 按期答复 ÷（按期答复 + 逾期答复）",
    "rectification_rate": "整改率 = 本期整改完成 ÷（本期整改完成 + 期末逾期未整改）",
    "reports_on_time": "本期首次报送、且在首次报送期限内的政务诚信建设情况报告数",
    "reports_late": "本期首次报送、但超过首次报送期限的报告数",
    "reports_missing_at_end": "期末逾期未报送的报告数",
    "report_rate": "按期报送率 = 按期报送 ÷（按期报送 + 逾期报送 + 期末逾期未报送）",
    "motions_replied_on_time": "本期首次答复、且在答复期限内（含经批准延长的期限）的建议提案数（按主办单位）",
    "motions_replied_late": "本期首次答复、但已超过答复期限的建议提案数",
    "motions_overdue_at_end": "期末已超过答复期限仍未首次答复的建议提案数",
    "motions_satisfied": "本期代表委员表示满意或基本满意的答复数",
    "motions_dissatisfied": "本期代表委员表示不满意的答复数",
    "motion_reply_rate": "建议提案按期答复率 = 按期答复 ÷（按期答复 + 逾期答复 + 期末逾期未答复）",
    "motion_satisfaction_rate": "建议提案满意率 =（满意 + 基本满意）÷ 本期登记的全部代表委员意见",
}
COUNTS = ("commitments_made", "fulfilled_on_time", "fulfilled_late", "overdue_at_end", "breached",
          "objections_received", "complaints_received", "answered_on_time", "answered_late", "records_opened",
          "records_opened_general", "records_opened_serious", "rectified", "rectification_overdue_at_end",
          "repaired", "reports_on_time", "reports_late", "reports_missing_at_end", "motions_replied_on_time",
          "motions_replied_late", "motions_overdue_at_end", "motions_satisfied", "motions_dissatisfied")
RATES = ("on_time_rate", "answer_rate", "rectification_rate", "report_rate", "motion_reply_rate",
         "motion_satisfaction_rate")


@dataclass(frozen=True)
class Period:
    """A month (2026-11), a quarter (2026Q4) or a year (2026), in China Standard Time: [start, end)."""

    key: str
    first_day: date
    next_first_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), TZ)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.next_first_day, time(), TZ)

    @property
    def label_zh(self) -> str:
        if "Q" in self.key:
            return f"{self.first_day.year} 年第 {self.key[-1]} 季度"
        if "-" in self.key:
            return f"{self.first_day.year} 年 {self.first_day.month} 月"
        return f"{self.first_day.year} 年"

    def previous(self, n: int = 1) -> Period:
        """The period n steps earlier, of the same length."""
        if "Q" in self.key:
            index = self.first_day.year * 4 + (self.first_day.month - 1) // 3 - n
            return parse_period(f"{index // 4}Q{index % 4 + 1}")
        if "-" in self.key:
            index = self.first_day.year * 12 + self.first_day.month - 1 - n
            return parse_period(f"{index // 12}-{index % 12 + 1:02d}")
        return parse_period(str(self.first_day.year - n))


FIRST_YEAR, LAST_YEAR = 2000, 2100  # no record predates 2000 (api/validation.EARLIEST_DECISION); no plan runs past 2100


def parse_period(text: str) -> Period:
    """'2026Q4', '2026-11' or '2026'; a ValueError with a Chinese message otherwise."""
    text = text.strip().upper()
    year_text = text[:4]
    if not (year_text.isdigit() and FIRST_YEAR <= int(year_text) <= LAST_YEAR):
        raise ValueError("期间格式应为 2026Q4（季度）、2026-11（月）或 2026（年），"
                         f"年份在 {FIRST_YEAR} 至 {LAST_YEAR} 之间")
    if m := re.fullmatch(r"(\d{4})Q([1-4])", text):
        year, quarter = int(m[1]), int(m[2])
        first = date(year, 3 * quarter - 2, 1)
        nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return Period(f"{year}Q{quarter}", first, nxt)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
            return Period(f"{year}-{month:02d}", date(year, month, 1), nxt)
    if m := re.fullmatch(r"(\d{4})", text):
        year = int(m[1])
        return Period(str(year), date(year, 1, 1), date(year + 1, 1, 1))
    raise ValueError("期间格式应为 2026Q4（季度）、2026-11（月）或 2026（年）")


def quarter_of(day: date) -> Period:
    return parse_period(f"{day.year}Q{(day.month - 1) // 3 + 1}")


def quarter_before(day: date) -> Period:
    """The last quarter that ended before `day`."""
    return quarter_of(day).previous()


@dataclass(frozen=True)
class LogEntry:
    """One audit event as the figures read it (`action` is a domain.events.Event value)."""

    case_type: str
    case_id: int
    action: str
    to_state: str | None
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Figures:
    department: str
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    rule: Ranking = field(default_factory=Ranking)
    cases: dict[str, list[int]] = field(default_factory=dict)  # count → the ids of the cases it counted

    def add(self, count: str, case_id: int, case_type: str | None = None) -> None:
        """Count a case, and remember which: every figure links to the cases behind it. A count of two kinds
        of case (answered objections and complaints) remembers each under `{case_type}:{count}`."""
        self.counts[count] += 1
        self.cases.setdefault(f"{case_type}:{count}" if case_type else count, []).append(case_id)

    def rate(self, good: int, *others: int) -> float | None:
        total = good + sum(others)
        return good / total if total else None

    @property
    def rates(self) -> dict[str, float | None]:
        c = self.counts
        return {"on_time_rate": self.rate(c["fulfilled_on_time"], c["fulfilled_late"], c["breached"]),
                "answer_rate": self.rate(c["answered_on_time"], c["answered_late"]),
                "rectification_rate": self.rate(c["rectified"], c["rectification_overdue_at_end"]),
                "report_rate": self.rate(c["reports_on_time"], c["reports_late"], c["reports_missing_at_end"]),
                "motion_reply_rate": self.rate(c["motions_replied_on_time"], c["motions_replied_late"],
                                               c["motions_overdue_at_end"]),
                "motion_satisfaction_rate": self.rate(c["motions_satisfied"], c["motions_dissatisfied"])}

    @property
    def has_cases(self) -> bool:
        return any(self.counts.values())

    @property
    def score(self) -> float | None:
        """None (无数据) without any case; else the weighted mean of the rates that apply, less the deductions."""
        if not self.has_cases:
            return None
        applying = {k: v for k, v in self.rates.items() if v is not None and self.rule.weights.get(k)}
        total = sum(self.rule.weights[k] for k in applying)
        base = 100 * sum(self.rule.weights[k] * v for k, v in applying.items()) / total if total else 100.0
        deducted = sum(self.rule.deductions.get(s, 0) * self.counts[f"records_opened_{s}"]
                       for s in ("general", "serious"))
        return round(max(base - deducted, 0.0), 1)

    def order(self) -> tuple[bool, float, float, str]:
        """Scored before 无数据; higher score first; then the higher on-time rate; then the department code."""
        score, on_time = self.score, self.rates["on_time_rate"]
        return (score is None, -(score or 0.0), -(on_time if on_time is not None else -1.0), self.department)

    def as_dict(self) -> dict[str, Any]:
        rates = {k: None if v is None else round(v, 4) for k, v in self.rates.items()}
        return {"department": self.department, "name": self.name, **self.counts, **rates, "score": self.score}


def _department_at(events: list[LogEntry], filed_with: str, when: datetime) -> str:
    """A complaint's department at `when`: the one it was filed with, as reassigned until then."""
    department = filed_with
    for e in events:
        if e.at < when and "department_to" in e.data:
            department = e.data["department_to"]
    return department


def _state_at(events: list[LogEntry], when: datetime) -> str | None:
    state = None
    for e in events:
        if e.at < when and e.to_state:
            state = e.to_state
    return state


def _flag_at(events: list[LogEntry], when: datetime, flag: str) -> bool:
    """A case flag (overdue, rectification_overdue) as the log shows it at `when`: every event that set it
    records the value it set (`data.set`), whatever the action was (an overdue event, a late rejection,
    a new deadline)."""
    value = False
    for e in events:
        if e.at < when and flag in e.data.get("set", {}):
            value = bool(e.data["set"][flag])
    return value


def _severity_at(events: list[LogEntry], when: datetime, current: str) -> str:
    """A record's severity at `when`: the last 认定严重程度 before it, else the record's own (an earlier
    re-classification after `when` is not in the log's data, so the current severity stands in)."""
    for e in reversed(events):
        if e.at < when and e.action == Event.classified and e.data.get("severity"):
            return str(e.data["severity"])
    return current


def _missed_before(events: list[LogEntry], when: datetime) -> bool:
    """Did any of the case's deadlines pass unmet before `when`? (Escalations are logged at the due instant.)"""
    return any(e.action == Event.escalation_due and e.at < when for e in events)


def compute(period: Period, departments: dict[str, str], cases: dict[tuple[str, int], str],
            events: Iterable[LogEntry], severities: dict[int, str] | None = None,
            rule: Ranking | None = None) -> list[Figures]:
    """Figures per department. `cases` maps (case_type, id) → the department a case was opened against
    (for a complaint, the one it was filed with; reassignments are read from the log); `events` are
    every audit event before the period's end, in order."""
    by_case: dict[tuple[str, int], list[LogEntry]] = {}
    for e in events:
        if e.at < period.end:
            by_case.setdefault((e.case_type, e.case_id), []).append(e)
    out = {code: Figures(code, name, rule=rule or Ranking()) for code, name in departments.items()}
    start, end = period.start, period.end

    def inside(e: LogEntry) -> bool:
        return start <= e.at < end

    for (case_type, case_id), evs in by_case.items():
        base = cases.get((case_type, case_id))
        if base is None:
            continue
        dept = _department_at(evs, base, end) if case_type in ("complaint", "motion") else base
        fig = out.get(dept)
        if fig is None:
            continue
        if case_type == "commitment":
            for i, e in enumerate(evs):
                if not inside(e):
                    continue
                if e.action == Event.published:
                    fig.add("commitments_made", case_id)
                elif e.action == Event.breached:
                    fig.add("breached", case_id)
                elif e.action == Event.verified_accepted:
                    reports = [r for r in evs[:i] if r.action == Event.fulfilment_reported]
                    late = bool(reports) and _flag_at(evs, reports[-1].at, "overdue")
                    fig.add("fulfilled_late" if late else "fulfilled_on_time", case_id)
            if _state_at(evs, end) == "published" and _flag_at(evs, end, "overdue"):
                fig.add("overdue_at_end", case_id)
        elif case_type in ("objection", "complaint"):
            answer = Event.decided if case_type == "objection" else Event.responded
            answers = [e for e in evs if e.action == answer]
            for e in evs:
                if inside(e) and e.action == Event.submitted:
                    fig.add(f"{case_type}s_received", case_id)
            if answers and inside(answers[0]):  # a case counts once, when first answered
                fig.add("answered_late" if _missed_before(evs, answers[0].at) else "answered_on_time", case_id,
                        case_type)
        elif case_type == "record":
            for e in evs:
                if not inside(e):
                    continue
                if e.action == Event.created:
                    fig.add("records_opened", case_id)
                    severity = _severity_at(evs, end, (severities or {}).get(case_id, "general"))
                    if severity in ("general", "serious"):
                        fig.add(f"records_opened_{severity}", case_id)
                elif e.action == Event.rectification_verified:
                    fig.add("rectified", case_id)
                elif e.action == Event.repaired:
                    fig.add("repaired", case_id)
            open_at_end = _state_at(evs, end) not in ("rectified", "repair_requested", "repaired",
                                                      "repair_rejected", "expired", "revoked")
            if open_at_end and _flag_at(evs, end, "rectification_overdue"):
                fig.add("rectification_overdue_at_end", case_id)
        elif case_type == "integrity_report":
            for count in report_counts(evs, start, end):
                fig.add(count, case_id)
        elif case_type == "motion":
            for count in motion_counts(evs, start, end):
                fig.add(count, case_id)
    return sorted(out.values(), key=Figures.order)


def report_counts(evs: list[LogEntry], start: datetime, end: datetime) -> list[str]:
    """What one periodic integrity report counts in [start, end): its first submission inside the period, on time
    (by its first due date, as the workflow recorded) or late; and 期末逾期未报送 if, at the end, its latest
    overdue-or-submitted event is the overdue one."""
    counts: list[str] = []
    submitted = False
    last = None
    for e in evs:
        if e.at >= end:
            break
        if e.action == Event.report_submitted:
            if not submitted and e.at >= start:
                counts.append("reports_on_time" if (e.data.get("set") or {}).get("on_time") else "reports_late")
            submitted, last = True, "submitted"
        elif e.action == Event.overdue:
            last = "overdue"
    if last == "overdue":
        counts.append("reports_missing_at_end")
    return counts


MOTION_UNANSWERED = frozenset({"assigned", "reassignment_requested", "drafted"})  # not yet replied the first time
SATISFIED = frozenset({"satisfied", "basically_satisfied"})  # domain.motion.FEEDBACK keys that count as satisfied


def motion_counts(evs: list[LogEntry], start: datetime, end: datetime) -> list[str]:
    """What one suggestion or proposal counts in [start, end): its first reply inside the period, on time or late
    (the `late` flag the workflow set when the reply period ran out, cleared by a reassignment or an extension);
    期末逾期未答复 if, at the end, it was never replied and is late; and each feedback given inside the period."""
    counts: list[str] = []
    replies = [e for e in evs if e.action == Event.reply_approved and e.at < end]
    if replies and replies[0].at >= start:
        counts.append("motions_replied_late" if _flag_at(evs, replies[0].at, "late") else "motions_replied_on_time")
    if not replies and _state_at(evs, end) in MOTION_UNANSWERED and _flag_at(evs, end, "late"):
        counts.append("motions_overdue_at_end")
    for e in evs:
        if e.action == Event.feedback and start <= e.at < end:
            counts.append("motions_satisfied" if e.data.get("feedback") in SATISFIED else "motions_dissatisfied")
    return counts


def ranking(figures: list[Figures]) -> list[dict[str, Any]]:
    """The league table in `Figures.order`: rank 1 is the first; a department only follows another with the same
    score and on-time rate when its code sorts later, so ranks are distinct; 无数据 has no rank."""
    rows: list[dict[str, Any]] = []
    for f in sorted(figures, key=Figures.order):
        rows.append({"rank": None if f.score is None else len(rows) + 1, **f.as_dict()})
    return rows


def period_report(period: Period, figures: list[Figures], rule: Ranking) -> dict[str, Any]:
    """The report of one period as pages, CSV and the quarterly e-mail show it: the ranked figures with the
    formula and definitions (however the figures were counted: from the log, or stored per period)."""
    return {"period": period.key, "label": period.label_zh, "start": period.first_day.isoformat(),
            "end": (period.next_first_day - timedelta(days=1)).isoformat(), "formula": formula_zh(rule),
            "definitions": DEFINITIONS_ZH, "items": ranking(figures)}
