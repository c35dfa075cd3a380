"""Years of history, fast: commitments, records, objections and complaints with their audit events, inserted with
bulk Core inserts (the ORM would take minutes at 100,000 events). Each case's events tell a story the monitoring
figures count (published, reported, overdue, fulfilled or breached; classified, rectified; answered late or on time;
a complaint triaged to another department), spread over the `years` before `now`, and the case rows end in the state
their last event left them in. Used by bench/pages_vs_bare.py and by tests/api/test_report_figures.py."""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from store.models import AuditEvent, Commitment, Complaint, Department, Objection, Record

Step = tuple[str, str | None, dict[str, Any]]  # action, to_state, data


def _commitment(rng: random.Random) -> tuple[list[Step], dict[str, Any]]:
    steps: list[Step] = [("created", "draft", {}), ("published", "published", {})]
    steps += [("progress_posted", None, {})] * rng.randint(0, 4)
    overdue = rng.random() < 0.3
    if overdue:
        steps.append(("overdue", None, {"set": {"overdue": True}}))
    end = rng.random()
    if end < 0.45:
        steps += [("fulfilment_reported", "reported", {}), ("verified_accepted", "fulfilled", {})]
        return steps, {"state": "fulfilled", "overdue": overdue}
    if end < 0.55 and overdue:
        steps.append(("breached", "breached", {}))
        return steps, {"state": "breached", "overdue": True}
    return steps, {"state": "published", "overdue": overdue}


def _record(rng: random.Random) -> tuple[list[Step], dict[str, Any]]:
    severity = rng.choice(["general", "general", "serious", "minor"])
    steps: list[Step] = [("created", "published", {}), ("classified", None, {"severity": severity}),
                         ("rectification_due_set", None, {})]
    overdue = rng.random() < 0.3
    if overdue:
        steps.append(("rectification_overdue", None, {"set": {"rectification_overdue": True}}))
    if rng.random() < 0.5:
        steps += [("rectification_submitted", None, {}), ("rectification_verified", "rectified", {})]
        return steps, {"state": "rectified", "severity": severity, "rectification_overdue": overdue,
                       "public": severity != "minor"}
    return steps, {"state": "published", "severity": severity, "rectification_overdue": overdue,
                   "public": severity != "minor"}


def _answered(rng: random.Random, answer: str, state: str, departments: list[str],
              dept: str) -> tuple[list[Step], str, str]:
    steps: list[Step] = [("submitted", "submitted", {})]
    moved_to = dept
    if answer == "responded" and rng.random() < 0.2:
        moved_to = rng.choice(departments)
        steps.append(("triaged", None, {"department_from": dept, "department_to": moved_to}))
    if rng.random() < 0.3:
        steps.append(("escalation_due", None, {}))
    if rng.random() < 0.8:
        steps.append((answer, state, {}))
        return steps, state, moved_to
    return steps, "submitted", moved_to


def seed_history(conn: Connection, *, cases: int, events: int, now: datetime, departments: list[str],
                 years: float = 2.0, seed: int = 19) -> tuple[int, int]:
    """Insert about `cases` cases (70% commitments, 20% records, 5% objections, 5% complaints) whose events add up
    to about `events` (padded with progress posts on commitments); returns (cases, events) inserted."""
    rng = random.Random(seed)
    span = timedelta(days=365 * years)
    existing = {code for (code,) in conn.execute(Department.__table__.select().with_only_columns(  # type: ignore[attr-defined]
        Department.__table__.c.code))}  # type: ignore[attr-defined]
    new = [{"code": d, "name": f"压测单位{d}", "email": f"{d}@bench.local", "feed_token": f"t-{d}"}
           for d in departments if d not in existing]
    if new:
        conn.execute(Department.__table__.insert(), new)  # type: ignore[attr-defined]
    plans: list[tuple[str, str, list[Step], dict[str, Any]]] = []
    for n in range(cases):
        dept = departments[n % len(departments)]
        kind = rng.random()
        if kind < 0.7:
            steps, final = _commitment(rng)
            plans.append(("commitment", dept, steps, final))
        elif kind < 0.9:
            steps, final = _record(rng)
            plans.append(("record", dept, steps, final))
        elif kind < 0.95:
            steps, state, _ = _answered(rng, "decided", "decided", departments, dept)
            plans.append(("objection", dept, steps, {"state": state}))
        else:
            steps, state, moved = _answered(rng, "responded", "responded", departments, dept)
            plans.append(("complaint", dept, steps, {"state": state, "department_code": moved}))
    total = sum(len(p[2]) for p in plans)
    commitments = [i for i, p in enumerate(plans) if p[0] == "commitment"]
    while total < events and commitments:  # pad with progress posts, before the last step
        i = rng.choice(commitments)
        steps = plans[i][2]
        steps.insert(2, ("progress_posted", None, {}))
        total += 1
    rows: dict[str, list[dict[str, Any]]] = {"commitment": [], "record": [], "objection": [], "complaint": []}
    starts: list[datetime] = []
    for n, (case_type, dept, _steps, final) in enumerate(plans):
        start = now - span + timedelta(seconds=rng.random() * span.total_seconds() * 0.9)
        starts.append(start)
        base: dict[str, Any] = {"department_code": dept, "profile_name": "henan", "profile_version": "2026.1",
                                "created_at": start, "updated_at": now, **final}
        if case_type == "commitment":
            base.update(kind="processing_time", title=f"压测承诺 {n}", content="全市企业开办一个工作日内办结。",
                        due_date=(start + timedelta(days=90)).date(), created_by="bench", published_at=start)
        elif case_type == "record":
            decided = start.date()
            base.update(category="arrears", facts="压测失信事实。", decision_date=decided,
                        repair_possible_from=decided + timedelta(days=90),
                        publicity_ends=decided + timedelta(days=365 * 3), created_by="bench", published_at=start)
        elif case_type == "objection":
            base.update(tracking_hash=f"o{n}", target_type="commitment", target_id=1, applicant_name="压测",
                        applicant_email="a@bench.local", claim="压测异议", reasons="压测理由")
        else:
            base.update(tracking_hash=f"c{n}", topic="other", subject="压测投诉", description="压测投诉内容")
        rows[case_type].append(base)
    ids: dict[str, list[int]] = {}
    for case_type, model in (("commitment", Commitment), ("record", Record), ("objection", Objection),
                             ("complaint", Complaint)):
        table = model.__table__  # type: ignore[attr-defined]
        for i in range(0, len(rows[case_type]), 2000):
            conn.execute(table.insert(), rows[case_type][i:i + 2000])
        newest = conn.execute(table.select().with_only_columns(table.c.id).order_by(table.c.id.desc())
                              .limit(len(rows[case_type]))).scalars().all()  # ids are given in insert order
        ids[case_type] = sorted(newest)
    next_id = {k: iter(v) for k, v in ids.items()}
    batch: list[dict[str, Any]] = []
    inserted = 0
    for (case_type, _dept, steps, _final), start in zip(plans, starts, strict=True):
        case_id = next(next_id[case_type])
        gap = (now - start) / (len(steps) + 1)
        at, prev, state = start, "", None
        for seq, (action, to_state, data) in enumerate(steps):
            digest = hashlib.sha256(f"{case_type}{case_id}{seq}{action}".encode()).hexdigest()
            batch.append({"case_type": case_type, "case_id": case_id, "event_key": f"bench-{seq}", "action": action,
                          "from_state": state, "to_state": to_state, "actor": "bench", "role": "department",
                          "at": at, "data": data or None, "seq": seq, "prev_hash": prev, "hash": digest})
            prev, state = digest, to_state or state
            at += gap * (0.2 + 1.6 * rng.random())
            at = min(at, now - timedelta(seconds=1))
        if len(batch) >= 5000:
            conn.execute(AuditEvent.__table__.insert(), batch)  # type: ignore[attr-defined]
            inserted += len(batch)
            batch = []
    if batch:
        conn.execute(AuditEvent.__table__.insert(), batch)  # type: ignore[attr-defined]
        inserted += len(batch)
    return len(plans), inserted


def progress_post(case_id: int, n: int, at: datetime) -> dict[str, Any]:
    """The audit row of the n-th progress post on a commitment appended after its seeded history, as a working office
    writes them (its chain fields are not what a bench or a test reads)."""
    return {"case_type": "commitment", "case_id": case_id, "event_key": f"progress-{n}", "action": "progress_posted",
            "actor": "bench", "role": "department", "reason": "进展", "at": at, "data": {}, "seq": 1_000_000 + n,
            "prev_hash": "", "hash": secrets.token_hex(32)}
