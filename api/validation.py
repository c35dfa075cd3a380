"""Field rules shared by API bodies and page forms: plain text only, sensible lengths, real dates."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, StringConstraints

from domain.calendar import TZ

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|<\s*script|javascript:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$|^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+$")


def plain_text(value: str) -> str:
    if _TAG.search(value):
        raise ValueError("不得包含 HTML 标签或脚本")
    if _CONTROL.search(value):
        raise ValueError("包含不可见的控制字符")
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




def _text(min_length: int, max_length: int) -> object:
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(plain_text)]


Title = _text(1, 200)
LongText = _text(1, 10000)
Reason = _text(0, 2000)
Name = _text(1, 100)
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(email_address)]
FutureDate = Annotated[date, AfterValidator(not_in_past)]

CaseId = Annotated[int, Path(ge=1, le=2_147_483_647, description="编号")]
