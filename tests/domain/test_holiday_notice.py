"""Reading a State Council holiday notice: the real 2026 notice gives exactly the 2026 calendar of
chinese-calendar, and what does not read cleanly is reported, never guessed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from domain.calendar import law_day
from domain.holiday_notice import parse_notice

DATA = Path(__file__).parent.parent / "data"
NOTICE_2026 = (DATA / "notice_2026.txt").read_text(encoding="utf-8")
TITLE_2026 = "国务院办公厅关于2026年部分节假日安排的通知"


def _year(y: int) -> list[date]:
    return [date(y, 1, 1) + timedelta(days=i) for i in range((date(y + 1, 1, 1) - date(y, 1, 1)).days)]


def test_the_2026_notice_names_every_holiday_and_working_day_of_chinese_calendar() -> None:
    notice = parse_notice(NOTICE_2026)
    assert notice.errors() == [] and notice.problems == []
    assert notice.year == 2026 and notice.citation == f"{TITLE_2026}（国办发明电〔2025〕7号）"
    holidays = {d.day for d in notice.days if not d.working}
    workdays = {d.day for d in notice.days if d.working}
    assert holidays == {d for d in chinese_calendar.holidays if d.year == 2026}
    assert workdays == {d for d in chinese_calendar.workdays if d.year == 2026 and d.weekday() >= 5}
    assert len(holidays) == 33 and sorted(workdays) == [
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
        date(2026, 10, 10)]


def test_the_2026_notice_over_the_holiday_law_is_the_2026_calendar_day_by_day() -> None:
    """As if 2026 were beyond the package: the notice's days, the rest from the law of a confirmed year."""
    named = {d.day: d.working for d in parse_notice(NOTICE_2026).days}
    for d in _year(2026):
        working = named[d] if d in named else law_day(d, confirmed=True).working
        assert working == chinese_calendar.is_workday(d), d


def test_every_numbered_item_is_read_with_its_festival() -> None:
    notice = parse_notice(NOTICE_2026)
    by_festival = {d.day: d.festival for d in notice.days}
    assert by_festival[date(2026, 2, 15)] == by_festival[date(2026, 2, 28)] == "春节"
    assert by_festival[date(2026, 9, 20)] == "国庆节"  # a working day before the festival
    assert {d.line for d in notice.days if d.festival == "元旦"} == {6}
    assert "国务院办公厅" in notice.other_lines  # shown as not read, not silently dropped


def test_a_single_day_a_range_across_the_new_year_and_a_notice_on_one_line() -> None:
    text = ("国务院办公厅关于2018年部分节假日安排的通知 经国务院批准，现将安排通知如下。"
            "一、元旦：2017年12月30日至2018年1月1日放假调休，共3天。"
            "二、端午节：6月18日（星期一）放假，与周末连休。")
    notice = parse_notice(text)
    assert [d.day for d in notice.days] == [date(2017, 12, 30), date(2017, 12, 31), date(2018, 1, 1)]
    assert notice.problems[0].blocking and "未能识别放假日期" in notice.problems[0].reason  # 与周末连休: not guessed
    single = parse_notice("国务院办公厅关于2025年部分节假日安排的通知\n一、元旦：1月1日（周三）放假1天，不调休。")
    assert [(d.day, d.working) for d in single.days] == [(date(2025, 1, 1), False)] and single.errors() == []


@pytest.mark.parametrize(("line", "reason"), [
    ("一、元旦：1月1日（周五）至3日（周六）放假调休，共3天。", "1月1日是周四，通知写作周五"),
    ("一、元旦：1月1日（周四）至3日（周六）放假调休，共4天。", "写明共 4 天，而日期范围为 3 天"),
    ("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）照常上班。", "未能识别上班日期"),
    ("一、元旦：1月4日（周日）至1月3日（周六）放假。", "放假结束日期早于开始日期"),
    ("一、元旦：2月30日放假。", "日期不存在"),
])
def test_a_sentence_about_holidays_that_does_not_read_cleanly_blocks_the_import(line: str, reason: str) -> None:
    notice = parse_notice(f"{TITLE_2026}\n{line}")
    assert any(reason in e and "第 2 行" in e for e in notice.errors()), notice.errors()


def test_other_sentences_of_an_item_are_shown_but_do_not_block() -> None:
    text = (f"{TITLE_2026}\n二、春节：2月15日（周日）至23日（周一）放假调休，共9天。"
            "鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月16日）休息。")
    notice = parse_notice(text)
    assert notice.errors() == [] and len(notice.days) == 9
    assert [(p.blocking, p.text) for p in notice.problems] == [
        (False, "鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月16日）休息")]


def test_without_the_title_there_is_no_year_and_nothing_is_read() -> None:
    notice = parse_notice("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。")
    assert notice.days == [] and any("未找到通知标题" in e for e in notice.errors())
    assert "未识别到任何放假或上班安排" in parse_notice(TITLE_2026).errors()


def test_a_day_named_both_holiday_and_working_day_blocks() -> None:
    notice = parse_notice(f"{TITLE_2026}\n一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月3日（周六）上班。")
    assert any("同一天既写作放假又写作上班" in e for e in notice.errors())
