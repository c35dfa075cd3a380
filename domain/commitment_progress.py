"""How a commitment's progress reads to the public: each milestone's status in words, and the roll-up.

Pure functions of what the read model holds, so the page, the JSON body and the tests agree. A commitment the
credit office verified as kept while some milestones were never ticked off is not shown as 未完成 on those
milestones (that would contradict 已践诺): they read 未单独报告, and the roll-up says how many were recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MilestoneStatus:
    key: str  # on_time | late | open | overdue | unreported — a CSS class and the JSON's `status`
    label: str  # 已完成（按期）, 已完成（逾期 3 天）, 未完成, 已逾期, 未单独报告


def milestone_status(due: date, done_on: date | None, overdue: bool, state: str) -> MilestoneStatus:
    """`done_on` is the local date the department reported it done; `overdue` is the read model's flag, set when
    the milestone's deadline passed undone (a paused clock moves that instant, so the calendar date alone does
    not say it); `state` is the commitment's."""
    if done_on is not None:
        late = (done_on - due).days
        if late <= 0:
            return MilestoneStatus("on_time", "已完成（按期）")
        return MilestoneStatus("late", f"已完成（逾期 {late} 天）")
    if state == "fulfilled":
        return MilestoneStatus("unreported", "未单独报告（承诺已整体践诺）")
    if overdue:
        return MilestoneStatus("overdue", "已逾期")
    return MilestoneStatus("open", "未完成")


def percent(done: int, total: int) -> int:
    """Whole per cent, rounded down, so 99.5 % never shows as 100 % while a milestone is open."""
    return done * 100 // total if total else 0


def progress_summary(done: int, total: int, state: str) -> str:
    """The roll-up line: what was recorded, and, for a kept commitment with milestones not ticked off, why the
    figure is below 100 %."""
    line = f"已完成 {done} / {total} 个节点（{percent(done, total)}%）"
    if state == "fulfilled" and done < total:
        line += f"；承诺已经核验践诺，其中 {total - done} 个节点未单独报告完成情况"
    return line
