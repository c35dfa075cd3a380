"""Reading a State Council holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) into days.

The notice's operative part has had one shape for years — one numbered item per festival, e.g.

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
    一、元旦：1月1日（周三）放假1天，不调休。                       (国办发明电〔2024〕12号, for 2025)
    一、元旦：2017年12月30日至2018年1月1日放假调休，共3天。           (a range across the new year)

Each sentence of an item is a holiday range (…至…放假, 放假调休, 共N天) or a list of adjusted working days
(…、…上班). Everything is checked against itself — the weekday in brackets, the 共N天 count — and a
sentence that does not read cleanly is returned as a problem, never guessed: one that speaks of 放假 or
上班 blocks the import (a day would be missed), others (e.g. 鼓励…安排职工在除夕休息) are only shown.
Pure: text in, days and problems out.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from pydantic import BaseModel, Field

TITLE = re.compile(r"国务院办公厅关于(\d{4})年部分节假日安排的通知")
NUMBER = re.compile(r"国办发明电〔\d{4}〕\d+号")
FESTIVALS = "元旦|春节|清明节|劳动节|端午节|中秋节|国庆节"
ITEM = re.compile(r"^([一二三四五六七八九十]+)、([^：，。]{1,20})：(.*)$")
ITEM_START = re.compile(rf"(?<=。)(?=[一二三四五六七八九十]+、(?:{FESTIVALS}))")
DATE = r"(?:(?P<{0}y>\d{{4}})年)?(?:(?P<{0}m>\d{{1,2}})月)?(?P<{0}d>\d{{1,2}})日(?:（(?P<{0}p>[^）]*)）)?"
RANGE = re.compile(DATE.format("a") + "(?:至" + DATE.format("b") + ")?"
                   + r"放假(?:调休)?(?:(?P<n1>\d+)天)?(?:，?共(?P<n2>\d+)天)?(?:，?不调休)?")
WORKDAY = re.compile(DATE.format("w"))
WEEKDAY = re.compile(r"(?:周|星期)([一二三四五六日天])")
WEEKDAYS = "一二三四五六日"
TRANSLATE = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，", **{chr(0xFF10 + i): str(i) for i in range(10)}})


class NoticeDay(BaseModel):
    day: date
    working: bool  # False: 放假; True: 调休上班
    festival: str
    line: int = 0  # where the notice says so


class NoticeProblem(BaseModel):
    line: int  # 1-based, in the text as pasted
    text: str
    reason: str
    blocking: bool  # it speaks of 放假 or 上班: importing without it would miss days


class HolidayNotice(BaseModel):
    title: str | None = None
    number: str | None = None  # 文号, if the text carries it
    year: int | None = None
    days: list[NoticeDay] = Field(default_factory=list)
    problems: list[NoticeProblem] = Field(default_factory=list)
    other_lines: list[str] = Field(default_factory=list)  # outside the numbered items: not read

    @property
    def citation(self) -> str:
        """What the calendar version cites: the title, and the 文号 if given."""
        return f"{self.title}（{self.number}）" if self.title and self.number else self.title or ""

    def errors(self) -> list[str]:
        """Why the notice cannot be imported as it stands (empty: it can)."""
        out = []
        if self.year is None:
            out.append("未找到通知标题“国务院办公厅关于某年部分节假日安排的通知”，无法确定年度，请连同标题一并粘贴")
        if not self.days:
            out.append("未识别到任何放假或上班安排")
        out += [f"第 {p.line} 行“{p.text}”：{p.reason}" for p in self.problems if p.blocking]
        return out


class _Unreadable(ValueError):
    """A sentence that speaks of 放假 or 上班 but does not read cleanly."""


def parse_notice(text: str) -> HolidayNotice:
    notice = HolidayNotice()
    lines = [ITEM_START.sub("\n", raw) for raw in text.translate(TRANSLATE).splitlines()]
    flat = [(n, part) for n, raw in enumerate(lines, 1) for part in raw.split("\n")]
    for n, raw in flat:
        line = re.sub(r"\s+", "", raw)
        if not line:
            continue
        if notice.title is None and (m := TITLE.search(line)):
            notice.title, notice.year = m.group(0), int(m.group(1))
            continue
        if notice.number is None and (m := NUMBER.search(line)) and len(line) <= len(m.group(0)) + 2:
            notice.number = m.group(0)
            continue
        item = ITEM.match(line)
        if item is None:
            notice.other_lines.append(line)
            continue
        festival = item.group(2)
        for sentence in filter(None, item.group(3).split("。")):
            try:
                days = _read_sentence(sentence, festival, notice.year)
                notice.days += [d.model_copy(update={"line": n}) for d in days]
            except _Unreadable as err:
                notice.problems.append(NoticeProblem(line=n, text=sentence, reason=str(err), blocking=True))
            except LookupError:
                notice.problems.append(NoticeProblem(line=n, text=sentence, reason="不是放假或上班安排，未录入",
                                                     blocking=False))
    _check_duplicates(notice)
    return notice


def _read_sentence(sentence: str, festival: str, year: int | None) -> list[NoticeDay]:
    if year is None:
        raise _Unreadable("通知标题须在放假安排之前，以确定年度")
    if "放假" in sentence:
        m = RANGE.fullmatch(sentence)
        if m is None:
            raise _Unreadable("未能识别放假日期，请核对原文")
        start = _date(m, "a", year, None)
        end = _date(m, "b", start.year, start.month) if m.group("bd") else start
        if end < start:
            raise _Unreadable("放假结束日期早于开始日期")
        total = (end - start).days + 1
        stated = m.group("n1") or m.group("n2")
        if stated and int(stated) != total:
            raise _Unreadable(f"写明共 {stated} 天，而日期范围为 {total} 天")
        _check_window(start, year)
        _check_window(end, year)
        return [NoticeDay(day=start + timedelta(days=i), working=False, festival=festival) for i in range(total)]
    if sentence.endswith("上班"):
        days, pos, month, body = [], 0, None, sentence[:-2]
        while pos < len(body):
            m = WORKDAY.match(body, pos)
            if m is None:
                raise _Unreadable("未能识别上班日期，请核对原文")
            d = _date(m, "w", year, month)
            _check_window(d, year)
            days.append(NoticeDay(day=d, working=True, festival=festival))
            month, pos = d.month, m.end()
            if pos < len(body):
                if body[pos] != "、":
                    raise _Unreadable("未能识别上班日期，请核对原文")
                pos += 1
        if not days:
            raise _Unreadable("未写明上班日期")
        return days
    if "上班" in sentence:
        raise _Unreadable("未能识别上班日期，请核对原文")
    raise LookupError(sentence)


def _date(m: re.Match[str], key: str, year: int, month: int | None) -> date:
    """One date of a match; a missing year or month is the one before it (至3日 = the start's month)."""
    y = int(m.group(f"{key}y") or year)
    mon = m.group(f"{key}m")
    if mon is None and month is None:
        raise _Unreadable("日期缺少月份")
    try:
        d = date(y, int(mon) if mon else month or 0, int(m.group(f"{key}d")))
    except ValueError:
        raise _Unreadable("日期不存在") from None
    stated = WEEKDAY.search(m.group(f"{key}p") or "")
    if stated:
        name = "日" if stated.group(1) == "天" else stated.group(1)
        if WEEKDAYS.index(name) != d.weekday():
            raise _Unreadable(f"{d.month}月{d.day}日是周{WEEKDAYS[d.weekday()]}，通知写作周{name}")
    return d


def _check_window(d: date, year: int) -> None:
    """A notice arranges its own year, reaching at most into the days around the new year."""
    if abs(d.year - year) > 1:
        raise _Unreadable(f"日期 {d.isoformat()} 不在 {year} 年前后")


def _check_duplicates(notice: HolidayNotice) -> None:
    """A day named twice must be named alike; it is kept once."""
    seen: dict[date, NoticeDay] = {}
    for d in notice.days:
        first = seen.setdefault(d.day, d)
        if first.working != d.working:
            notice.problems.append(NoticeProblem(line=d.line, text=f"{d.day.month}月{d.day.day}日",
                                                 reason="同一天既写作放假又写作上班", blocking=True))
    notice.days = sorted(seen.values(), key=lambda d: d.day)
