"""The holiday law as a calendar, for years no State Council notice has been entered for yet.

全国年节及纪念日放假办法 (as revised by 国务院令第795号, in force 2025-01-01): art. 2 fixes the holidays of all
citizens — 元旦 1 day, 春节 4 days (农历除夕 to 正月初三), 清明节 1, 劳动节 2 (5/1–5/2), 端午节 1, 中秋节 1,
国庆节 3 (10/1–10/3) — and art. 6 makes a holiday that falls on a Saturday or Sunday up (补假) on a working
day; we take the next ones after the festival, as the State Council's notices do. The lunar and solar-term
dates come from the `holidays` package, filtered to art. 2's names: the package also ships the 调休 of
years it knows, which is a notice's arrangement, not the law. What no law fixes — which weekends become
working days (调休上班) — is left out, so every day of such a year stays 暂定 until its notice is entered.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import holidays

LAW = "《全国年节及纪念日放假办法》"
# `holidays` zh_CN names → the festival of art. 2 they belong to (农历除夕 is the first day of 春节)
STATUTORY_NAMES = {"元旦": "元旦", "农历除夕": "春节", "春节": "春节", "清明节": "清明节", "劳动节": "劳动节",
                   "端午节": "端午节", "中秋节": "中秋节", "国庆节": "国庆节"}


@dataclass(frozen=True)
class LawDay:
    """A rest day the law gives: a statutory holiday (art. 2) or a make-up day (art. 6)."""

    day: date
    kind: Literal["statutory", "makeup"]
    festival: str
    name: str  # as the day is called, e.g. 农历除夕

    @property
    def note(self) -> str:
        """How the day is listed among skipped rest days."""
        if self.kind == "makeup":
            return f"补假（{self.festival}逢周末）"
        return f"{self.name}（法定节日）"

    @property
    def assumption(self) -> str:
        """Why a make-up day is taken as a rest day before the year's notice says where it falls (for the
        receipt); a statutory holiday is the law itself, not an assumption."""
        if self.kind == "makeup":
            return f"按{LAW}第六条推定为补假（{self.festival}逢周末）"
        return ""


def _statutory(year: int) -> dict[date, list[str]]:
    """Day → the art. 2 names on it (two festivals can share a day, e.g. 中秋节 on 10月1日)."""
    out: dict[date, list[str]] = {}
    for d, joined in holidays.China(years=year, observed=False, language="zh_CN").items():
        names = [n.strip() for n in joined.split(";") if n.strip() in STATUTORY_NAMES]
        if names:
            out[d] = names
    return out


@functools.lru_cache(maxsize=64)
def rest_days(year: int) -> dict[date, LawDay]:
    """Every rest day the law gives in `year`, beyond Saturdays and Sundays."""
    statutory = _statutory(year)
    out = {d: LawDay(d, "statutory", STATUTORY_NAMES[names[0]], names[0]) for d, names in statutory.items()}
    festivals: dict[str, list[date]] = {}
    for d, names in sorted(statutory.items()):
        for name in names:
            festivals.setdefault(STATUTORY_NAMES[name], []).append(d)
    for festival, days in sorted(festivals.items(), key=lambda f: f[1][0]):
        candidate = max(days)
        for _weekend_day in [d for d in days if d.weekday() >= 5]:
            candidate += timedelta(days=1)
            while candidate.weekday() >= 5 or candidate in out:
                candidate += timedelta(days=1)
            out[candidate] = LawDay(candidate, "makeup", festival, "补假")
    return out
