"""Golden histories of every process replay on today's code: a change that would break the cases
already running fails here (then guard it with `workflow.patched()`). Each replays under every workflow
runner the worker can be configured with, so the check does not depend on WORKFLOW_RUNNER: unsandboxed
(the default) nothing else would catch a non-deterministic change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from activities.worker import RUNNERS, WORKFLOWS, workflow_runner
from workflows.common import ONE_STEP, ONE_STEP_EVERYWHERE

HISTORIES = sorted(Path(__file__).parent.glob("*.json"))
TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in HISTORIES}


def test_every_process_has_a_golden_history() -> None:
    names = {p.stem.split("_")[0] for p in HISTORIES}
    assert names == {"commitment", "record", "objection", "complaint", "integrity", "motion"}


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path, runner: str) -> None:
    history = WorkflowHistory.from_json(path.stem, TEXTS[path.stem])
    await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter,
                   workflow_runner=workflow_runner(runner)).replay_workflow(history)


def patches(history: WorkflowHistory) -> set[str]:
    """The `workflow.patched()` ids whose markers a history carries."""
    ids = set()
    for e in history.events:
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            details = e.marker_recorded_event_attributes.details["patch-data"]
            ids |= {json.loads(payload.data)["id"] for payload in details.payloads}
    return ids


def test_the_step_histories_took_the_one_activity_per_step_path() -> None:
    """`*_steps` goldens record the ONE_STEP path (tests/replay/make_histories.py --suffix _steps), `*_everywhere`
    ones the ONE_STEP_EVERYWHERE path (--suffix _everywhere): each carries its patch's marker, so their replay
    checks that path, and the others the path of the histories before it."""
    steps = [p for p in HISTORIES if p.stem.endswith("_steps")]
    everywhere = [p for p in HISTORIES if p.stem.endswith("_everywhere")]
    assert {p.stem for p in steps} >= {"commitment_breached_steps", "commitment_fulfilled_steps"}
    assert {p.stem for p in everywhere} >= {"record_repaired_everywhere", "commitment_breached_everywhere",
                                            "commitment_fulfilled_everywhere", "commitment_fulfilled_late_everywhere",
                                            "objection_revoked_everywhere", "complaint_substantiated_everywhere",
                                            "motion_reopened_everywhere", "integrity_report_returned_everywhere"}
    for p in HISTORIES:
        marked = patches(WorkflowHistory.from_json(p.stem, TEXTS[p.stem]))
        assert (ONE_STEP_EVERYWHERE in marked) == (p in everywhere), p.stem
        if p in steps:
            assert ONE_STEP in marked, p.stem
        elif p not in everywhere:
            assert ONE_STEP not in marked, p.stem
