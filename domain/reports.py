"""Monitoring figures (监测评价, processes.md §9), computed only from the append-only audit log.

Every figure of a period counts events whose time falls inside the period, or reads a case's state as
the log shows it at the period's end. Nothing written later is looked at, so a past period's report
never changes when today's data does. The definitions and the league-table formula live here, once,
and are shown on the page, in the API and in the quarterly report."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from domain.calendar import TZ
from domain.events import Event

FORMULA_ZH = ("得分 = 100 ×（50% × 按期践诺率 + 25% × 按期答复率 + 25% × 整改率）；"
              "某项在本期没有适用的案件时按 100% 计；得分相同按单位代码排序。")
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
    "rectified": "本期整改核验通过的失信记录数",
    "rectification_overdue_at_end": "期末逾期未整改的失信记录数",
    "repaired": "本期完成信用修复的失信记录数",
    "on_time_rate": "按期践诺率 = 按期践诺 ÷（按期践诺 + 逾期践诺 + 未践诺）",
    "answer_rate": "按期答复率 = 按期答复 ÷（按期答复 + 逾期答复）",
    "rectification_rate": "整改率 = 本期整改完成 ÷（本期整改完成 + 期末逾期未整改）",
}
COUNTS = ("commitments_made", "fulfilled_on_time", "fulfilled_late", "overdue_at_end", "breached",
          "objections_received", "complaints_received", "answered_on_time", "answered_late", "records_opened",
          "rectified", "rectification_overdue_at_end", "repaired")


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


def parse_period(text: str) -> Period:
    """'2026Q4', '2026-11' or '2026'; a ValueError with a Chinese message otherwise."""
    text = text.strip().upper()
    year_text = text[:4]
    if not (year_text.isdigit() and 1900 <= int(year_text) <= 9998):
        raise ValueError("期间格式应为 2026Q4（季度）、2026-11（月）或 2026（年），年份在 1900 至 9998 之间")
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

    def rate(self, good: int, *others: int) -> float | None:
        total = good + sum(others)
        return good / total if total else None

    @property
    def rates(self) -> dict[str, float | None]:
        c = self.counts
        return {"on_time_rate": self.rate(c["fulfilled_on_time"], c["fulfilled_late"], c["breached"]),
                "answer_rate": self.rate(c["answered_on_time"], c["answered_late"]),
                "rectification_rate": self.rate(c["rectified"], c["rectification_overdue_at_end"])}

    @property
    def score(self) -> float:
        r = {k: 1.0 if v is None else v for k, v in self.rates.items()}
        return round(100 * (0.5 * r["on_time_rate"] + 0.25 * r["answer_rate"] + 0.25 * r["rectification_rate"]), 1)

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


def _missed_before(events: list[LogEntry], when: datetime) -> bool:
    """Did any of the case's deadlines pass unmet before `when`? (Escalations are logged at the due instant.)"""
    return any(e.action == Event.escalation_due and e.at < when for e in events)


def compute(period: Period, departments: dict[str, str], cases: dict[tuple[str, int], str],
            events: Iterable[LogEntry]) -> list[Figures]:
    """Figures per department. `cases` maps (case_type, id) → the department a case was opened against
    (for a complaint, the one it was filed with; reassignments are read from the log); `events` are
    every audit event before the period's end, in order."""
    by_case: dict[tuple[str, int], list[LogEntry]] = {}
    for e in events:
        if e.at < period.end:
            by_case.setdefault((e.case_type, e.case_id), []).append(e)
    out = {code: Figures(code, name) for code, name in departments.items()}
    start, end = period.start, period.end

    def inside(e: LogEntry) -> bool:
        return start <= e.at < end

    for (case_type, case_id), evs in by_case.items():
        base = cases.get((case_type, case_id))
        if base is None:
            continue
        dept = _department_at(evs, base, end) if case_type == "complaint" else base
        fig = out.get(dept)
        if fig is None:
            continue
        c = fig.counts
        if case_type == "commitment":
            for i, e in enumerate(evs):
                if not inside(e):
                    continue
                if e.action == Event.published:
                    c["commitments_made"] += 1
                elif e.action == Event.breached:
                    c["breached"] += 1
                elif e.action == Event.verified_accepted:
                    reports = [r for r in evs[:i] if r.action == Event.fulfilment_reported]
                    late = bool(reports) and _flag_at(evs, reports[-1].at, "overdue")
                    c["fulfilled_late" if late else "fulfilled_on_time"] += 1
            if _state_at(evs, end) == "published" and _flag_at(evs, end, "overdue"):
                c["overdue_at_end"] += 1
        elif case_type in ("objection", "complaint"):
            answer = Event.decided if case_type == "objection" else Event.responded
            answers = [e for e in evs if e.action == answer]
            for e in evs:
                if inside(e) and e.action == Event.submitted:
                    c[f"{case_type}s_received"] += 1
            if answers and inside(answers[0]):  # a case counts once, when first answered
                c["answered_late" if _missed_before(evs, answers[0].at) else "answered_on_time"] += 1
        elif case_type == "record":
            for e in evs:
                if not inside(e):
                    continue
                if e.action == Event.created:
                    c["records_opened"] += 1
                elif e.action == Event.rectification_verified:
                    c["rectified"] += 1
                elif e.action == Event.repaired:
                    c["repaired"] += 1
            open_at_end = _state_at(evs, end) not in ("rectified", "repair_requested", "repaired",
                                                      "repair_rejected", "expired", "revoked")
            if open_at_end and _flag_at(evs, end, "rectification_overdue"):
                c["rectification_overdue_at_end"] += 1
    return sorted(out.values(), key=lambda f: (-f.score, f.department))


def ranking(figures: list[Figures]) -> list[dict[str, Any]]:
    """The league table: rank 1 is the highest score; equal scores share a rank."""
    rows, previous, rank = [], None, 0
    for i, f in enumerate(figures, start=1):
        if f.score != previous:
            rank, previous = i, f.score
        rows.append({"rank": rank, **f.as_dict()})
    return rows
