"""The figures' rules on hand-made audit logs: flags set by any action, a complaint counted where it
was filed until reassigned, period keys."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.calendar import TZ
from domain.report import LogEntry, compute, parse_period

Q4 = parse_period("2026Q4")
DEPARTMENTS = {"a": "甲局", "b": "乙局"}


def at(m: int, d: int) -> datetime:
    return datetime(2026 if m > 0 else 2027, abs(m), d, 10, tzinfo=TZ)


def figures(cases: dict, events: list[LogEntry], period=Q4) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    return {f.department: f.counts for f in compute(period, DEPARTMENTS, cases, events)}


def test_a_rejection_after_the_due_date_makes_the_later_fulfilment_late_and_overdue_at_the_end() -> None:
    c = ("commitment", 1)
    log = [LogEntry(*c, "published", "published", at(10, 1)),
           LogEntry(*c, "fulfilment_reported", "fulfilment_reported", at(10, 5)),
           LogEntry(*c, "verified_rejected", "published", at(10, 20), {"set": {"overdue": True}})]
    assert figures({c: "a"}, log)["a"]["overdue_at_end"] == 1  # rejected after the due date: overdue
    log += [LogEntry(*c, "fulfilment_reported", "fulfilment_reported", at(11, 2)),
            LogEntry(*c, "verified_accepted", "fulfilled", at(11, 3))]
    counts = figures({c: "a"}, log)["a"]
    assert (counts["fulfilled_late"], counts["fulfilled_on_time"], counts["overdue_at_end"]) == (1, 0, 0)


def test_a_new_rectification_deadline_clears_the_overdue_mark() -> None:
    r = ("record", 1)
    log = [LogEntry(*r, "created", "recorded", at(10, 1)),
           LogEntry(*r, "rectification_overdue", None, at(10, 30), {"set": {"rectification_overdue": True}})]
    assert figures({r: "a"}, log)["a"]["rectification_overdue_at_end"] == 1
    log.append(LogEntry(*r, "rectification_due_set", "recorded", at(11, 5), {"set": {"rectification_overdue": False}}))
    assert figures({r: "a"}, log)["a"]["rectification_overdue_at_end"] == 0


def test_a_complaint_counts_where_it_was_filed_until_it_is_reassigned() -> None:
    k = ("complaint", 1)
    filed = [LogEntry(*k, "submitted", "submitted", at(12, 30))]
    moved = LogEntry(*k, "triaged", "triaged", at(-1, 4), {"department_from": "a", "department_to": "b"})
    # the log after the quarter holds the reassignment; the case row now says "b", its filing said "a"
    assert figures({k: "a"}, [*filed, moved])["a"]["complaints_received"] == 1
    q1 = parse_period("2027Q1")
    later = figures({k: "a"}, [*filed, moved, LogEntry(*k, "responded", "responded", at(-1, 6))], q1)
    assert later["b"]["answered_on_time"] == 1 and later["a"]["answered_on_time"] == 0


@pytest.mark.parametrize("text", ["0999Q1", "2026Q5", "2026-13", "26Q1", "Q1 2026", "99999"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="期间格式"):
        parse_period(text)


def test_period_keys_and_steps() -> None:
    assert parse_period("2026q4").previous(4).key == "2025Q4"
    assert parse_period("2026-01").previous().key == "2025-12" and parse_period("2026").previous().key == "2025"
    assert parse_period("2026Q4").end == datetime(2027, 1, 1, tzinfo=TZ)


def test_the_league_table_scores_what_applies_deducts_new_records_and_breaks_ties_by_rule() -> None:
    from domain.profiles import load_profile
    from domain.report import formula_zh, ranking

    depts = {"a": "甲局", "b": "乙局", "c": "丙局", "d": "丁局", "e": "戊局"}
    cases, log = {}, []
    for dept, n in (("b", 1), ("c", 2), ("d", 3), ("e", 4)):  # one commitment each, fulfilled on time
        c = ("commitment", n)
        cases[c] = dept
        log += [LogEntry(*c, "published", "published", at(10, 1)),
                LogEntry(*c, "fulfilment_reported", "fulfilment_reported", at(10, 5)),
                LogEntry(*c, "verified_accepted", "fulfilled", at(10, 6))]
    r = ("record", 9)  # b also gets a new serious record this quarter
    cases[r] = "b"
    log.append(LogEntry(*r, "created", "recorded", at(11, 2)))
    k = ("complaint", 7)  # e answered a complaint late: its answer rate counts, the others' does not apply
    cases[k] = "e"
    log += [LogEntry(*k, "submitted", "submitted", at(10, 2)),
            LogEntry(*k, "escalation_due", None, at(10, 20)),
            LogEntry(*k, "responded", "responded", at(10, 25))]
    rule = load_profile("henan").ranking
    rows = ranking(compute(Q4, depts, cases, sorted(log, key=lambda e: e.at), {9: "serious"}, rule))
    by = {row["department"]: row for row in rows}
    # c and d: only the on-time rate applies (100%), so 100 — a tie broken by the code; e: (100×0.32 + 0×0.16)/0.48
    assert [row["department"] for row in rows] == ["c", "d", "b", "e", "a"]
    assert (by["c"]["score"], by["d"]["score"], by["c"]["rank"], by["d"]["rank"]) == (100.0, 100.0, 1, 2)
    assert by["b"]["score"] == 90.0 and by["b"]["records_opened_serious"] == 1  # 100 − 10 for the serious record
    assert by["e"]["score"] == 66.7 and by["e"]["answer_rate"] == 0.0
    assert by["a"]["score"] is None and by["a"]["rank"] is None  # no case at all: 无数据, last, unranked
    assert by["c"]["answer_rate"] is None and by["c"]["rectification_rate"] is None  # 不参评
    text = formula_zh(rule)
    for words in ("不参评", "严重 10 分", "一般 5 分", "无数据", "按期践诺率 32%", "建议提案满意率 10%"):
        assert words in text


def test_periodic_integrity_reports_weigh_in_by_the_profile() -> None:
    from domain.profiles import load_profile
    from domain.report import formula_zh, ranking

    depts = {"f": "己局", "g": "庚局"}
    cases = {("commitment", 1): "f", ("commitment", 2): "g", ("integrity_report", 5): "f",
             ("integrity_report", 6): "g"}
    log = [LogEntry("commitment", n, e, s, at(10, d)) for n in (1, 2)
           for e, s, d in (("published", "published", 1), ("fulfilment_reported", "fulfilment_reported", 5),
                           ("verified_accepted", "fulfilled", 6))]
    log += [LogEntry("integrity_report", 5, "report_submitted", "submitted", at(10, 12), {"set": {"on_time": True}}),
            LogEntry("integrity_report", 6, "overdue", None, at(10, 21), {"set": {"overdue": True}})]
    rule = load_profile("henan").ranking
    by = {r["department"]: r for r in ranking(compute(Q4, depts, cases, sorted(log, key=lambda e: e.at), {}, rule))}
    assert (by["f"]["reports_on_time"], by["f"]["report_rate"], by["f"]["score"]) == (1, 1.0, 100.0)
    # g kept its commitment but never sent its report: (100×0.32 + 0×0.16) / 0.48
    assert (by["g"]["reports_missing_at_end"], by["g"]["report_rate"], by["g"]["score"]) == (1, 0.0, 66.7)
    assert "按期报送率 16%" in formula_zh(rule)


def test_suggestions_and_proposals_count_their_first_reply_lateness_and_feedback() -> None:
    """On time unless the reply period ran out first; an extension clears the mark; a reassignment moves the case
    to the new lead unit from then on; 期末逾期未答复 only before the first reply; each feedback counts once."""
    from domain.profiles import load_profile
    from domain.report import formula_zh, ranking

    depts = {"h": "辛局", "i": "壬局", "j": "癸局"}
    m1, m2, m3, m4 = (("motion", n) for n in (1, 2, 3, 4))
    cases = {m1: "h", m2: "h", m3: "i", m4: "j"}
    log = [LogEntry(*m1, "assigned", "assigned", at(10, 1)),  # replied in time, the deputy satisfied
           LogEntry(*m1, "reply_approved", "replied", at(11, 2)),
           LogEntry(*m1, "feedback", "replied", at(11, 9), {"feedback": "basically_satisfied"}),
           LogEntry(*m2, "assigned", "assigned", at(10, 1)),  # late, extended (mark cleared), replied, 不满意
           LogEntry(*m2, "reply_late", None, at(10, 20), {"set": {"late": True}}),
           LogEntry(*m2, "extended", None, at(10, 21), {"set": {"extended": True}}),
           LogEntry(*m2, "deadline_moved", None, at(10, 21), {"set": {"late": False}}),
           LogEntry(*m2, "reply_approved", "replied", at(11, 3)),
           LogEntry(*m2, "feedback", "replied", at(11, 10), {"feedback": "dissatisfied"}),
           LogEntry(*m2, "motion_reopened", "reopened", at(11, 10), {"set": {"reopened": True}}),
           LogEntry(*m3, "assigned", "assigned", at(7, 1)),  # late since last quarter, replied this quarter
           LogEntry(*m3, "reply_late", None, at(9, 30), {"set": {"late": True}}),
           LogEntry(*m3, "reply_approved", "replied", at(10, 8)),
           LogEntry(*m4, "assigned", "assigned", at(10, 1)),  # reassigned from j to h, then late, never replied
           LogEntry(*m4, "reassigned", "assigned", at(10, 5), {"department_from": "j", "department_to": "h",
                                                               "set": {"late": False}}),
           LogEntry(*m4, "reply_late", None, at(12, 20), {"set": {"late": True}})]
    rule = load_profile("henan").ranking
    by = {r["department"]: r for r in ranking(compute(Q4, depts, cases, sorted(log, key=lambda e: e.at), {}, rule))}
    h, i = by["h"], by["i"]
    assert (h["motions_replied_on_time"], h["motions_replied_late"], h["motions_overdue_at_end"]) == (2, 0, 1)
    assert (h["motions_satisfied"], h["motions_dissatisfied"]) == (1, 1)
    assert (h["motion_reply_rate"], h["motion_satisfaction_rate"]) == (0.6667, 0.5)
    assert (i["motions_replied_late"], i["motion_reply_rate"], i["motion_satisfaction_rate"]) == (1, 0.0, None)
    assert by["j"]["score"] is None  # the reassigned suggestion left j before anything counted
    # h: only the two motion rates apply, 10% each: (66.67 + 50) / 2
    assert h["score"] == 58.3 and i["score"] == 0.0
    assert "建议提案按期答复率 10%" in formula_zh(rule)
