"""The public lists' filters, checked: an unknown department, status or figure, or a bad period, is a 422
page that says what is wrong (never an empty list that looks like an answer, never a 500)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from api.pages.figure_cases import FigureCases, figure_cases
from api.problems import field_error
from domain.commitment import STATE_LABELS_ZH

LIST_STATES = {**{k: v for k, v in STATE_LABELS_ZH.items() if k != "draft"}, "overdue": "逾期"}


@dataclass(frozen=True)
class Filters:
    ids: list[int] | None  # the cases behind a figure, or None: no figure asked for
    figure: FigureCases | None

    def context(self, departments: dict[str, str]) -> dict[str, Any]:
        """What the list page says about the figure it shows, and keeps in its page links."""
        f = self.figure
        if f is None:
            return {"figure": "", "period": "", "figure_label": None}
        return {"figure": f.figure, "period": f.period.key, "figure_total": len(f.ids),
                "figure_label": f"{f.period.label_zh} · {departments.get(f.department or '', '全部单位')} · {f.label}"}


def checked(session: Session, kind: str, departments: dict[str, str], department: str | None,
            state: str | None, figure: str | None, period: str | None) -> Filters:
    if department and department not in departments:
        raise field_error("department", "没有这个单位")
    if kind == "commitment" and state and state not in LIST_STATES:
        raise field_error("state", "没有这个状态")
    if not figure:
        if period:
            raise field_error("period", "统计期间须与指标一起使用（从监测排名页的数字进入）")
        return Filters(None, None)
    cases = figure_cases(session, kind, figure, period, department or None)
    return Filters(cases.ids, cases)
