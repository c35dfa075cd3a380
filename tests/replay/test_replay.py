"""Golden histories of every process replay on today's code: a change that would break the cases
already running fails here (then guard it with `workflow.patched()`). Each replays under every workflow
runner the worker can be configured with, so the check does not depend on WORKFLOW_RUNNER: unsandboxed
(the default) nothing else would catch a non-deterministic change."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from activities.worker import RUNNERS, WORKFLOWS, workflow_runner
from workflows.common import ONE_STEP

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


def test_the_step_histories_took_the_one_activity_per_step_path() -> None:
    """`*_steps` goldens record the new path (tests/replay/make_histories.py --suffix _steps): each carries the
    patch marker, so their replay checks that path, and the others the path of the histories before it."""
    steps = [p for p in HISTORIES if p.stem.endswith("_steps")]
    assert {p.stem for p in steps} >= {"commitment_breached_steps", "commitment_fulfilled_steps"}
    for p in HISTORIES:
        history = WorkflowHistory.from_json(p.stem, TEXTS[p.stem])
        marked = any(ONE_STEP.encode() in e.SerializeToString() for e in history.events)
        assert marked == (p in steps), p.stem
