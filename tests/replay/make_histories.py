"""Record golden histories of each process (run by hand when a process gains a new path; files that
exist are kept as they are):

    .venv/bin/python -m tests.replay.make_histories [--suffix _steps]

With a suffix, the same cases are recorded under new names: the record of a new path (`_steps`: the histories
of workflows.common.ONE_STEP, `_everywhere` of ONE_STEP_EVERYWHERE, `_local` of STEP_IN_TASK) beside those of the
code before it, all replayed.
Each history is replayed by tests/replay/test_replay.py, so a code change that would break cases
already running (non-determinism) fails CI; such a change needs `workflow.patched()`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUFFIX = sys.argv[sys.argv.index("--suffix") + 1] if "--suffix" in sys.argv else ""


async def main() -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/replay.db")
    from aiosmtpd.controller import Controller

    from api.services.motion import insert_motion, start_motion
    from domain.messages import (
        AcceptanceIn,
        ApprovalIn,
        DraftIn,
        ExplanationIn,
        FeedbackIn,
        FindingIn,
        FulfilmentReport,
        IntegrityOpenRun,
        MotionFeedbackIn,
        MotionPublishIn,
        ObjectionDecisionIn,
        RectificationIn,
        RectificationVerdict,
        RepairDecision,
        RepairRequest,
        ReportAcceptance,
        ReportReturn,
        ReportSubmission,
        ResponseIn,
        ReviewIn,
        TriageIn,
        VerificationDecision,
    )
    from store.db import migrate, session_scope
    from store.models import Department
    from tests.conftest import MailSink, free_port
    from tests.workflows.harness import CREDIT, DEPT, harness_at, local
    from tests.workflows.test_motion import COORD
    from workflows.commitment import CommitmentWorkflow
    from workflows.complaint import ComplaintWorkflow
    from workflows.integrity_report import IntegrityReportOpenerWorkflow, IntegrityReportWorkflow
    from workflows.motion import MotionWorkflow
    from workflows.objection import ObjectionWorkflow
    from workflows.record import RecordWorkflow

    port = free_port()
    os.environ["SMTP_PORT"] = str(port)
    controller = Controller(MailSink(), hostname="127.0.0.1", port=port)
    controller.start()
    migrate()
    with session_scope() as s:
        s.add(Department(code="fgw", name="市发展和改革委员会", email="fgw@test.local",
                         supervisor_email="sup@test.local", feed_token="t"))
        s.add(Department(code="scjg", name="市市场监督管理局", email="scjg@test.local",
                         supervisor_email="sup@test.local", feed_token="t2"))
    try:
        async with harness_at(local(2026, 9, 20, 10)) as h:
            handles = {}
            _, handles["commitment_breached"] = await h.commitment(date(2026, 10, 13))
            _, c2 = await h.commitment(date(2026, 11, 30))
            await c2.execute_update(CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="r"))
            await c2.execute_update(CommitmentWorkflow.verify, VerificationDecision(actor=CREDIT, accepted=True))
            handles["commitment_fulfilled"] = c2
            rid, r = await h.record("general", date(2026, 5, 6), rectification_due=date(2026, 10, 30))
            await r.execute_update(RecordWorkflow.explain, ExplanationIn(actor=DEPT, explanation="e"))
            await r.execute_update(RecordWorkflow.submit_rectification, RectificationIn(actor=DEPT, description="d"))
            await r.execute_update(RecordWorkflow.verify_rectification,
                                   RectificationVerdict(actor=CREDIT, accepted=True))
            await r.execute_update(RecordWorkflow.request_repair, RepairRequest(actor=DEPT, commitment_letter="l"))
            await r.execute_update(RecordWorkflow.decide_repair, RepairDecision(actor=CREDIT, approved=True))
            handles["record_repaired"] = r
            rid2, _ = await h.record("general", date(2026, 9, 1), rectification_due=date(2026, 12, 31))
            await h.env.sleep(timedelta(minutes=1))
            _, o = await h.objection("record", rid2)
            await o.execute_update(ObjectionWorkflow.accept, AcceptanceIn(actor=CREDIT, accepted=True))
            await o.execute_update(ObjectionWorkflow.verify, FindingIn(actor=DEPT, finding="f"))
            await o.execute_update(ObjectionWorkflow.decide, ObjectionDecisionIn(actor=CREDIT, outcome="revoked",
                                                                                reason="r"))
            handles["objection_revoked"] = o
            _, k = await h.complaint()
            await k.execute_update(ComplaintWorkflow.triage, TriageIn(actor=CREDIT))
            await k.execute_update(ComplaintWorkflow.respond, ResponseIn(actor=DEPT, response="r"))
            await k.execute_update(ComplaintWorkflow.review, ReviewIn(actor=CREDIT, substantiated=True, reason="r"))
            await k.execute_update(ComplaintWorkflow.feedback, FeedbackIn(satisfied=True))
            handles["complaint_substantiated"] = k
            _, late = await h.commitment(date(2026, 10, 13))
            await h.sleep_until(local(2026, 10, 14, 10))  # overdue and escalated, then fulfilled
            await late.execute_update(CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="r"))
            await late.execute_update(CommitmentWorkflow.verify, VerificationDecision(actor=CREDIT, accepted=True))
            handles["commitment_fulfilled_late"] = late
            for handle in handles.values():
                await handle.result()
            await _write(handles)
        async with harness_at(local(2026, 10, 1, 0, 10)) as h:  # the integrity reports' opener, then 2026Q3's
            opener = await h.env.client.start_workflow(IntegrityReportOpenerWorkflow.run, IntegrityOpenRun(),
                                                       id="integrity-opener", task_queue=h.task_queue)
            await opener.result()
            ir = h.env.client.get_workflow_handle_for(IntegrityReportWorkflow.run, "integrity-report-fgw-2026Q3")
            await h.sleep_until(local(2026, 10, 22, 10))  # reminded, then overdue and escalated (due 10-20)
            await ir.execute_update(IntegrityReportWorkflow.submit, ReportSubmission(actor=DEPT, text="t"))
            await ir.execute_update(IntegrityReportWorkflow.return_report,
                                    ReportReturn(actor=CREDIT, reason="r", due_date=date(2026, 10, 30)))
            await h.sleep_until(local(2026, 10, 26, 10))
            await ir.execute_update(IntegrityReportWorkflow.submit, ReportSubmission(actor=DEPT, text="t2"))
            await ir.execute_update(IntegrityReportWorkflow.accept, ReportAcceptance(actor=CREDIT))
            await ir.result()
            await _write({"integrity_opener": opener, "integrity_report_returned": ir})
        async with harness_at(local(2026, 3, 10, 9)) as h:  # a suggestion with a co-unit, answered, reopened once
            with session_scope() as s:
                _, start = insert_motion(s, kind="deputy_session", number="第0012号", title="关于优化营商环境的建议",
                                         content="c", deputy_name="王代表", deputy_contact="x", department="fgw",
                                         co_departments=["scjg"], actor=COORD, now=await h.now())
            m = await start_motion(h.env.client, start, task_queue=h.task_queue)
            await h.sleep_until(local(2026, 4, 13, 10))  # the co-unit's month ran out: late, escalated
            await m.execute_update(MotionWorkflow.draft_reply, DraftIn(actor=DEPT, reply="r", result_class="A"))
            await m.execute_update(MotionWorkflow.approve_reply, ApprovalIn(actor=DEPT, leader="l"))
            await m.execute_update(MotionWorkflow.record_feedback, MotionFeedbackIn(actor=COORD,
                                                                                    feedback="dissatisfied"))
            await m.execute_update(MotionWorkflow.draft_reply, DraftIn(actor=DEPT, reply="r2", result_class="A"))
            await m.execute_update(MotionWorkflow.approve_reply, ApprovalIn(actor=DEPT, leader="l"))
            await m.execute_update(MotionWorkflow.publish_reply, MotionPublishIn(actor=COORD))
            await m.execute_update(MotionWorkflow.record_feedback, MotionFeedbackIn(actor=COORD, feedback="satisfied"))
            await m.result()
            await _write({"motion_reopened": m})
    finally:
        controller.stop()


async def _write(handles: dict) -> None:  # type: ignore[type-arg]
    for name, handle in handles.items():
        target = HERE / f"{name}{SUFFIX}.json"
        if target.exists():  # a golden history is the record of what older code did: never rewrite it
            continue
        history = await handle.fetch_history()
        target.write_text(history.to_json(), encoding="utf-8")
        print("wrote", name, len(history.events), "events")


if __name__ == "__main__":
    asyncio.run(main())
