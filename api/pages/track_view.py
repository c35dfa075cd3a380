"""What the tracking and receipt pages say about a case, in plain words: a timeline of its steps (each with its
date, its deadline and how it stands) and how each deadline was counted — no rule-profile codes, no calendar
versions. Pure functions of the status dicts of api/services/citizen.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.calendar import Receipt, WorkingCalendar
from domain.deadlines import countdown_zh

OBJECTION_ENDED = {"rejected": "不予受理，不再办理", "withdrawn": "异议已撤回，不再办理", "closed": "已办结"}
COMPLAINT_ENDED = {"dismissed": "不予受理，不再办理", "closed": "已办结"}


def day_zh(d: date | str | None) -> str:
    if d is None:
        return ""
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    return f"{d.year}年{d.month}月{d.day}日"


_LAW = re.compile(r"^(.+?条例)(第\d+条)：(.+)$")
_PLATFORM = "诚信默认："


def plain_basis(basis: str) -> str:
    """Where a period comes from, for a citizen: a regulation's article, or the platform's own promise."""
    if m := _LAW.match(basis):
        return f"《{m.group(1)}》{m.group(2)}规定：{m.group(3)}"
    if basis.startswith(_PLATFORM):
        rest = basis.removeprefix(_PLATFORM).replace("（条例未规定）", "").strip("，。 ")
        return f"法规对这一步没有规定时限，本平台承诺：{rest}"
    return basis


def plain_receipt(receipt: dict[str, Any]) -> str:
    """How the date was counted, in sentences a citizen can check with a calendar."""
    r = Receipt.model_validate(receipt)
    unit = {"working_days": "个工作日", "natural_days": "天"}.get(r.unit, "")
    if r.unit == "fixed_date":
        parts = [f"约定的日期是{day_zh(r.due_date)}。"]
    else:
        parts = [f"从{r.start_event}（{day_zh(r.start_date)}）的第二天起算 {r.count} {unit}，"
                 f"最晚到{day_zh(r.due_date)}当天结束。"]
    if r.skipped and r.unit == "working_days":
        parts.append(f"期间的 {len(r.skipped)} 天周末和节假日不计算在内。")
    if r.moved_from:
        parts.append(f"原到期日{day_zh(r.moved_from)}是休息日，顺延到之后的第一个工作日。")
    for p in r.pauses:
        resumed = f"，{day_zh(p.resumed_on)}恢复计时" if p.resumed_on else "，尚未恢复计时"
        parts.append(f"因{p.reason}，自{day_zh(p.paused_on)}起暂停计时{resumed}。")
    for e in r.extensions:
        parts.append(f"经批准延长 {e.working_days} 个工作日（{e.reason}）。")
    if r.provisional:
        parts.append("当年的节假日安排尚未公布，这个日期按法定节假日推算，公布后可能调整。")
    parts.append(f"依据：{plain_basis(r.basis)}")
    return "".join(parts)


@dataclass
class Step:
    name: str
    done_on: str = ""  # 2026年12月1日
    outcome: str = ""  # what the step came to (不予受理, 您的评价：不满意 …)
    status: str = "未开始"
    tone: str = "todo"  # done | current | late | todo | ended (a CSS class)
    deadlines: list[dict[str, Any]] = field(default_factory=list)


def _deadline_view(d: dict[str, Any]) -> dict[str, Any]:
    status = {"met": "已按期完成", "missed": "已逾期", "paused": "中止计时", "closed": "已结束"}.get(d["status"], "")
    return {"label": d["label"], "due": day_zh(d["due_at"]), "provisional": d["provisional"], "status": status,
            "explanation": plain_receipt(d["receipt"])}


def _current(step: Step, cal: WorkingCalendar, today: date, open_deadlines: list[dict[str, Any]]) -> None:
    step.tone, step.status = "current", "进行中"
    if open_deadlines:
        d = open_deadlines[-1]
        if d["status"] == "missed":
            step.tone, step.status = "late", "已逾期"
            return
        countdown = countdown_zh(cal, date.fromisoformat(d["due_at"][:10]), today, d["status"] == "paused")
        step.status = "已逾期" if countdown.startswith("已逾期") else f"进行中，{countdown}"
        if step.status == "已逾期":
            step.tone = "late"


# (step, events that complete it, deadline key prefixes, a word for each completing event)
OBJECTION_STEPS = [
    ("提交", {"submitted"}, (), {}),
    ("受理", {"accepted", "rejected"}, ("acceptance", "supplement"), {"rejected": "不予受理", "accepted": "已受理"}),
    ("核查", {"verified", "department_late"}, ("source-verification",),
     {"verified": "信息提供单位已提交核实意见", "department_late": "信息提供单位逾期未核实，由信用办直接决定"}),
    ("决定", {"decided"}, ("total", "correction"), {}),
]
COMPLAINT_STEPS = [
    ("提交", {"submitted"}, (), {}),
    ("分办", {"triaged", "dismissed"}, ("complaint_triage",), {"dismissed": "不予受理", "triaged": "已分办至责任单位"}),
    ("单位答复", {"responded"}, ("complaint_response",), {}),
    ("审核", {"reviewed"}, ("complaint_review",), {}),
    ("评价", {"feedback", "closed"}, ("complaint_feedback",), {}),
]
REOPENED_STEPS: list[tuple[str, set[str], tuple[str, ...], dict[str, str]]] = [
    ("重新审核", {"reviewed"}, ("complaint_review",), {}),
    ("再次评价", {"feedback", "closed"}, ("complaint_feedback",), {}),
]


def _seq(d: dict[str, Any]) -> int:
    tail = d["key"].rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


ROUNDS = {"审核", "评价", "重新审核", "再次评价"}  # a reopened complaint's deadlines: one per round


def timeline(status: dict[str, Any], cal: WorkingCalendar, today: date) -> list[Step]:
    """The case's steps in order. Events and deadlines are taken in order, each by the first step that wants it
    (a reopened complaint's second review and rating get their own steps)."""
    complaint = status["kind"] == "complaint"
    reopened = bool(status.get("reopened"))
    steps = [*COMPLAINT_STEPS, *(REOPENED_STEPS if reopened else [])] if complaint else OBJECTION_STEPS
    ended = (COMPLAINT_ENDED if complaint else OBJECTION_ENDED).get(status["state"])
    events = status["history"]
    deadlines = sorted(status["deadlines"], key=_seq)
    out: list[Step] = []
    cursor = 0  # events before the cursor belong to earlier steps
    reached = False  # the step the case is at has been placed
    for name, done_by, prefixes, words in steps:
        step = Step(name=name)
        mine = [d for d in deadlines if d["key"].rsplit("-", 1)[0] in prefixes or d["key"] in prefixes]
        if complaint and name in ROUNDS:
            mine = mine[:1]
        for d in mine:
            deadlines.remove(d)
        step.deadlines = [_deadline_view(d) for d in mine]
        hit = None if reached else next(
            (i for i in range(cursor, len(events)) if events[i]["action"] in done_by), None)
        if hit is not None:
            event, cursor = events[hit], hit + 1
            step.done_on, step.status, step.tone = day_zh(event["at"]), "已完成", "done"
            step.outcome = words.get(event["action"], "")
            if event["action"] == "feedback":
                satisfied = status.get("feedback") == "satisfied" and not (name == "评价" and reopened)
                step.outcome = "您的评价：" + ("满意" if satisfied else "不满意")
            elif event["action"] == "closed":
                step.outcome = "评价期限届满未评价，视为无异议"
        elif ended:
            step.status, step.tone = ("不再办理" if reached else ended), "ended"
            reached = True
        elif not reached:
            reached = True
            _current(step, cal, today, [d for d in mine if d["status"] in ("open", "paused", "missed")])
        out.append(step)
    return out
