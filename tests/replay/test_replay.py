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
from workflows.common import ONE_STEP, ONE_STEP_EVERYWHERE, STEP_IN_TASK

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
    ones the ONE_STEP_EVERYWHERE path (--suffix _everywhere), `*_local` ones the STEP_IN_TASK path (--suffix _local):
    each carries its patch's marker, so their replay checks that path, and the others the path of the histories
    before it."""
    steps = [p for p in HISTORIES if p.stem.endswith("_steps")]
    everywhere = [p for p in HISTORIES if p.stem.endswith("_everywhere")]
    in_task = [p for p in HISTORIES if p.stem.endswith("_local")]
    assert {p.stem for p in steps} >= {"commitment_breached_steps", "commitment_fulfilled_steps"}
    processes = {"record_repaired", "commitment_breached", "commitment_fulfilled", "commitment_fulfilled_late",
                 "objection_revoked", "complaint_substantiated", "motion_reopened", "integrity_report_returned"}
    assert {p.stem for p in everywhere} >= {f"{name}_everywhere" for name in processes}
    assert {p.stem for p in in_task} >= {f"{name}_local" for name in processes}
    for p in HISTORIES:
        marked = patches(WorkflowHistory.from_json(p.stem, TEXTS[p.stem]))
        assert (ONE_STEP_EVERYWHERE in marked) == (p in everywhere or p in in_task), p.stem
        assert (STEP_IN_TASK in marked) == (p in in_task), p.stem
        if p in steps:
            assert ONE_STEP in marked, p.stem
        elif p not in everywhere and p not in in_task:
            assert ONE_STEP not in marked, p.stem
