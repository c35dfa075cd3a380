"""Field rules shared by API bodies and page forms: plain text only, sensible lengths, real dates."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, StringConstraints

from domain.calendar import TZ

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|<\s*script|javascript:", re.IGNORECASE)
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$|^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+$")


_LINE_BREAKS = "\u2028\u2029"
_MULTI_LINE_ALLOWED = "\t\n"


def _has_control(value: str, allowed: str) -> bool:
    """Unicode Cc characters (NUL, ESC, CR, LF, TAB, C1 ...) and the Unicode line/paragraph separators."""
    return any((unicodedata.category(c) == "Cc" or c in _LINE_BREAKS) and c not in allowed for c in value)


def plain_text(value: str) -> str:
    """Multi-line text (a textarea): line breaks (LF or CR LF) and TAB are kept, other control characters refused."""
    if _TAG.search(value):
        raise ValueError("不得包含 HTML 标签或脚本")
    if _has_control(value.replace("\r\n", "\n"), _MULTI_LINE_ALLOWED + _LINE_BREAKS):
        raise ValueError("包含不可见的控制字符")
    return value


def single_line(value: str) -> str:
    """A title, name or subject ends up in e-mail headers, CSV cells and one-line labels: no line breaks,
    no TAB, no control character at all."""
    if _TAG.search(value):
        raise ValueError("不得包含 HTML 标签或脚本")
    if _has_control(value, ""):
        raise ValueError("只能填写一行文字，不得包含换行符、制表符或其他控制字符")
    return value


def email_address(value: str) -> str:
    if not EMAIL.match(value) or len(value) > 254:
        raise ValueError("电子邮箱格式无效")
    return value.lower()


def today_local() -> date:
    return datetime.now(TZ).date()


MAX_YEARS_AHEAD = 10


def not_in_past(value: date) -> date:
    today = today_local()
    if value < today:
        raise ValueError(f"日期不能早于今天（{today.isoformat()}）")
    if value.year > today.year + MAX_YEARS_AHEAD:
        raise ValueError(f"日期不能晚于 {today.year + MAX_YEARS_AHEAD} 年底")
    return value


EARLIEST_DECISION = date(2000, 1, 1)  # no government integrity record predates the system it comes from


def decided_already(value: date) -> date:
    """A decision that was taken: not in the future, and not before EARLIEST_DECISION."""
    if value > today_local():
        raise ValueError("认定日期不能晚于今天")
    if value < EARLIEST_DECISION:
        raise ValueError(f"认定日期不能早于 {EARLIEST_DECISION.isoformat()}")
    return value


def _text(min_length: int, max_length: int, *, multi_line: bool) -> object:
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(plain_text if multi_line else single_line)]


Title = _text(1, 200, multi_line=False)
Name = _text(1, 100, multi_line=False)
LongText = _text(1, 10000, multi_line=True)
Reason = _text(0, 2000, multi_line=True)
Note = _text(1, 2000, multi_line=True)  # a required note of a step, e.g. a commitment's progress update
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(email_address)]
FutureDate = Annotated[date, AfterValidator(not_in_past)]
DecisionDate = Annotated[date, AfterValidator(decided_already)]

CaseId = Annotated[int, Path(ge=1, le=2_147_483_647, description="编号")]
