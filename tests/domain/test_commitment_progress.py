"""Milestone status words and the roll-up line of the public commitment page (domain/commitment_progress.py)."""

from __future__ import annotations

from datetime import date

from domain.commitment_progress import milestone_status, percent, progress_summary

DUE = date(2026, 10, 10)


def test_status_words() -> None:
    assert milestone_status(DUE, DUE, False, "published").label == "已完成（按期）"
    assert milestone_status(DUE, date(2026, 10, 13), True, "published").label == "已完成（逾期 3 天）"
    assert milestone_status(DUE, None, False, "published").label == "未完成"
    assert milestone_status(DUE, None, True, "published").label == "已逾期"
    assert milestone_status(DUE, None, True, "breached").label == "已逾期"
    assert milestone_status(DUE, None, False, "withdrawn").label == "未完成"
    # kept as a whole but never ticked off: not shown as a contradiction of 已践诺
    assert milestone_status(DUE, None, True, "fulfilled").key == "unreported"


def test_roll_up() -> None:
    assert percent(1, 3) == 33 and percent(2, 3) == 66 and percent(0, 0) == 0 and percent(2, 2) == 100
    assert progress_summary(1, 2, "published") == "已完成 1 / 2 个节点（50%）"
    assert progress_summary(0, 2, "fulfilled") == (
        "已完成 0 / 2 个节点（0%）；承诺已经核验践诺，其中 2 个节点未单独报告完成情况")
    assert progress_summary(2, 2, "fulfilled") == "已完成 2 / 2 个节点（100%）"
