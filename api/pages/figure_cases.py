"""The cases behind a figure of the ranking: every count and rate on /ranking links to the public list
filtered by period, department and figure, and that list holds exactly the cases the figure counted
(the ids come from the same computation, domain.report.compute)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from api.problems import field_error
from api.report_figures import department_figures
from api.routes.reports import period_or_422
from domain.report import Period

# figure → (the list it opens: commitments or records, what the list holds, the counts it joins)
FIGURES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "commitments_made": ("commitment", "本期公开的承诺", ("commitments_made",)),
    "fulfilled_on_time": ("commitment", "本期按期践诺的承诺", ("fulfilled_on_time",)),
    "fulfilled_late": ("commitment", "本期逾期践诺的承诺", ("fulfilled_late",)),
    "breached": ("commitment", "本期认定未践诺的承诺", ("breached",)),
    "overdue_at_end": ("commitment", "期末仍逾期未报告履行的承诺", ("overdue_at_end",)),
    "on_time_rate": ("commitment", "计算按期践诺率的承诺（按期践诺、逾期践诺、未践诺）",
                     ("fulfilled_on_time", "fulfilled_late", "breached")),
    "records_opened": ("record", "本期新增的失信记录", ("records_opened",)),
    "deductions": ("record", "本期新增、计入扣分的一般和严重失信记录",
                   ("records_opened_general", "records_opened_serious")),
    "rectified": ("record", "本期整改核验通过的失信记录", ("rectified",)),
    "rectification_overdue_at_end": ("record", "期末逾期未整改的失信记录", ("rectification_overdue_at_end",)),
    "rectification_rate": ("record", "计算整改率的失信记录（整改完成、期末逾期未整改）",
                           ("rectified", "rectification_overdue_at_end")),
    "repaired": ("record", "本期完成信用修复的失信记录", ("repaired",)),
}
KIND_FIGURES = {kind: [f for f, (k, _, _) in FIGURES.items() if k == kind] for kind in ("commitment", "record")}


@dataclass(frozen=True)
class FigureCases:
    """The cases one figure counted: `ids` in the order counted, once each."""

    figure: str
    label: str
    period: Period
    department: str | None
    ids: list[int]


def figure_cases(session: Session, kind: str, figure: str, period_text: str | None,
                 department: str | None) -> FigureCases:
    """The ids behind `figure` of the period (default: this quarter), for one department or all; a 422 for a
    figure this list does not show or a bad period."""
    if figure not in KIND_FIGURES[kind]:
        raise field_error("figure", "不是本列表可以筛选的指标")
    period = period_or_422(period_text)
    _, label, counts = FIGURES[figure]
    figures, _ = department_figures(session, [period])
    ids: dict[int, None] = {}  # ordered, once each
    for f in figures[0]:
        if department and f.department != department:
            continue
        for count in counts:
            ids.update(dict.fromkeys(f.cases.get(count, [])))
    return FigureCases(figure, label, period, department, list(ids))


def figure_link(kind: str, figure: str, period: str, department: str) -> str:
    """The list of the cases behind a figure of the ranking page."""
    path = "/commitments" if kind == "commitment" else "/records"
    return f"{path}?period={period}&department={department}&figure={figure}"


# Objections and complaints have no public page, and their applicants' data is never public: the figures about
# them open a list that names each case by number, what it concerns (the public record or commitment, or the
# department and the complaint's category, never the complainant's own words) and how it went.
ANSWER_FIGURES: dict[str, tuple[str, tuple[tuple[str, str, bool | None], ...]]] = {
    "objections_received": ("本期收到的异议", (("objection", "objections_received", None),)),
    "complaints_received": ("本期收到的投诉", (("complaint", "complaints_received", None),)),
    "answered_on_time": ("本期按期办结的异议和按期答复的投诉",
                         (("objection", "objection:answered_on_time", True),
                          ("complaint", "complaint:answered_on_time", True))),
    "answered_late": ("本期逾期办结的异议和逾期答复的投诉",
                      (("objection", "objection:answered_late", False),
                       ("complaint", "complaint:answered_late", False))),
    "answer_rate": ("计算按期答复率的异议和投诉（按期、逾期）",
                    (("objection", "objection:answered_on_time", True),
                     ("complaint", "complaint:answered_on_time", True),
                     ("objection", "objection:answered_late", False),
                     ("complaint", "complaint:answered_late", False))),
    # the periodic integrity reports have no public page either: listed by department, period and timeliness
    "report_rate": ("计算按期报送率的政务诚信建设情况报告（按期、逾期、期末仍未报送）",
                    (("integrity_report", "reports_on_time", True), ("integrity_report", "reports_late", False),
                     ("integrity_report", "reports_missing_at_end", False))),
    # suggestions and proposals are listed by number and lead unit; the title only once the reply is public
    "motion_reply_rate": ("计算建议提案按期答复率的人大代表建议和政协提案（按期、逾期、期末仍未答复）",
                          (("motion", "motions_replied_on_time", True), ("motion", "motions_replied_late", False),
                           ("motion", "motions_overdue_at_end", False))),
    "motion_satisfaction_rate": ("计算建议提案满意率的代表委员意见（满意或基本满意、不满意）",
                                 (("motion", "motions_satisfied", None), ("motion", "motions_dissatisfied", None))),
}


@dataclass(frozen=True)
class AnswerCases:
    figure: str
    label: str
    period: Period
    department: str | None
    cases: list[tuple[str, int, bool | None]]  # (case type, id, answered on time; None: not a count of answers)


def answer_cases(session: Session, figure: str, period_text: str | None, department: str | None) -> AnswerCases:
    """The objections and complaints behind `figure`, from the same computation as the ranking."""
    if figure not in ANSWER_FIGURES:
        raise field_error("figure", "不是本列表可以筛选的指标")
    period = period_or_422(period_text)
    label, keys = ANSWER_FIGURES[figure]
    figures, _ = department_figures(session, [period])
    found: dict[tuple[str, int], bool | None] = {}
    for f in figures[0]:
        if department and f.department != department:
            continue
        for case_type, key, on_time in keys:
            found.update({(case_type, i): on_time for i in f.cases.get(key, [])})
    return AnswerCases(figure, label, period, department, [(t, i, ok) for (t, i), ok in found.items()])


def answers_link(figure: str, period: str, department: str) -> str:
    return f"/ranking/answers?period={period}&department={department}&figure={figure}"
