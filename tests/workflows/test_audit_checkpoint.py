"""The audit log's daily checkpoint on the time-skipping server: started at 00:10 Beijing time it checkpoints the
day that has just ended, once; the next night's run chains onto it and covers only what was written since."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from domain.audit_messages import AuditCheckpointDone, AuditCheckpointRun
from store.audit_chain import append_audit, verify
from store.db import session_scope
from store.models import AuditCheckpoint, AuditEvent
from tests.workflows.harness import Harness, harness_at, local
from workflows.audit_checkpoint import AuditCheckpointWorkflow


async def _run(h: Harness, wid: str) -> AuditCheckpointDone:
    """Started as the Schedule would; its result read without skipping time (nothing else waits here)."""
    handle = await h.env.client.start_workflow(AuditCheckpointWorkflow.run, AuditCheckpointRun(), id=wid,
                                               task_queue=h.task_queue)
    result = await h.ended(handle)
    assert isinstance(result, AuditCheckpointDone)
    return result


def _event(key: str, at_local: tuple[int, int, int, int]) -> None:
    with session_scope() as s:
        append_audit(s, AuditEvent(case_type="commitment", case_id=1, event_key=key, action="progress_posted",
                                   actor="fgw", role="department", at=local(*at_local)))


async def test_daily_checkpoint_once_per_day_chained_to_the_day_before() -> None:
    _event("a", (2026, 12, 1, 9))
    _event("b", (2026, 12, 1, 15))
    async with harness_at(local(2026, 12, 2, 0, 10)) as h:  # when the Schedule fires
        first = await _run(h, "audit-checkpoint-1")
        assert first.day == date(2026, 12, 1) and first.count == 2
        again = await _run(h, "audit-checkpoint-2")
        assert again == first  # a second start that day writes nothing new

        _event("c", (2026, 12, 2, 11))
        await h.sleep_until(local(2026, 12, 3, 0, 10))
        second = await _run(h, "audit-checkpoint-3")
    assert second.day == date(2026, 12, 2) and second.count == 1 and second.first_id == second.last_id
    with session_scope() as s:
        rows = list(s.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))  # type: ignore[arg-type]
        assert [(r.day, r.count) for r in rows] == [(date(2026, 12, 1), 2), (date(2026, 12, 2), 1)]
        assert rows[1].prev_hash == rows[0].hash == first.hash
        assert verify(s).broken == []
