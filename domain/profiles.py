"""Rule profiles (jurisdictions) as data: every period, reminder offset and cap, with citations.

A case pins the resolved profile it started with (it travels in the workflow input), so editing a
profile file affects new cases only.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"


class Period(BaseModel):
    """One period in one unit: working days (the default), natural days or natural months (民法典 art. 202–203:
    a last day on a rest day moves to the next working day)."""

    working_days: int = 0
    natural_days: int = 0
    months: int = 0
    basis: str
    extension_working_days: int = 0
    # Why the product keeps this period as information and does not run it as a deadline (None: it does).
    informational: str | None = None


class Reminders(BaseModel):
    offsets_working_days: list[int]
    serious_after_working_days: int
    digest_every_working_days: int


class ExtensionRule(BaseModel):
    max_count: int
    max_working_days: int
    basis: str


class Publicity(BaseModel):
    published: bool
    min_months: int
    max_months: int


class Ranking(BaseModel):
    """The league table's formula (../shared/spec/processes.md §9), shown on the page as it is computed."""

    weights: dict[str, float] = Field(default_factory=lambda: {
        "on_time_rate": 0.32, "answer_rate": 0.16, "rectification_rate": 0.16, "report_rate": 0.16,
        "motion_reply_rate": 0.1, "motion_satisfaction_rate": 0.1})
    deductions: dict[str, float] = Field(default_factory=lambda: {"minor": 0.0, "general": 5.0, "serious": 10.0})
    basis: str = "诚信默认：监测评价排名公式"


class ReportDue(BaseModel):
    """When a period's integrity report is due: `working_days_after` the period's last day, or on the first
    `date` ("MM-DD") after it (07-01 after the first half-year, 01-01 of the next year after a year)."""

    basis: str
    working_days_after: int | None = None
    date: str | None = None


class IntegrityReports(BaseModel):
    """政务诚信建设情况报送 (issue 17): which periods each department reports on, when each is due, and how
    many working days before it is reminded (escalation follows the profile's `reminders`)."""

    kinds: list[Literal["quarter", "half", "year"]]
    due: dict[str, ReportDue]
    reminder_offsets_working_days: list[int] = Field(default_factory=lambda: [5, 3, 1, 0])
    basis: str


def _default_integrity_reports() -> IntegrityReports:
    return IntegrityReports(
        kinds=["quarter", "half", "year"], basis="诚信默认：各单位按季度、半年、年度报送政务诚信建设情况",
        due={"quarter": ReportDue(working_days_after=10, basis="诚信默认：季度结束后10个工作日内报送"),
             "half": ReportDue(date="07-01", basis="诚信默认：7月1日前报送上半年情况"),
             "year": ReportDue(date="01-01", basis="诚信默认：次年1月1日前报送全年情况")})


class RuleProfile(BaseModel):
    name: str
    version: str
    title: str
    regulation: str
    reminders: Reminders
    extension: ExtensionRule
    objection: dict[str, str | int]
    periods: dict[str, Period]
    publicity: dict[str, Publicity]
    ranking: Ranking = Field(default_factory=Ranking)
    integrity_reports: IntegrityReports = Field(default_factory=_default_integrity_reports)

    def period(self, key: str) -> Period:
        try:
            return self.periods[key]
        except KeyError:
            raise KeyError(f"profile {self.name} has no period {key!r}") from None

    def tracked(self, key: str) -> Period | None:
        """The period as a deadline the product runs; None where this profile has no such period or keeps it
        as information only (`informational`), so one workflow serves every jurisdiction."""
        period = self.periods.get(key)
        return None if period is None or period.informational is not None else period


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


@functools.lru_cache(maxsize=16)
def load_profile(name: str) -> RuleProfile:
    path = PROFILE_DIR / f"{name}.toml"
    if not path.is_file():
        raise KeyError(f"unknown rule profile {name!r}; available: {', '.join(available_profiles())}")
    return RuleProfile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))


def regulation_zh(name: str) -> str:
    """The regulation a profile implements, by its Chinese name; a profile no longer shipped keeps its name."""
    try:
        return load_profile(name).regulation
    except KeyError:
        return name


def rules_label_zh(name: str, version: str) -> str:
    """Which rules a case follows, for pages: the regulation's Chinese name and the pinned version, no code."""
    return f"{regulation_zh(name)}（规则版本 {version}）"
