"""Every transition a workflow writes has a Chinese label for the pages (no raw action names shown)."""

from __future__ import annotations

import re
from pathlib import Path

from api.queries import ACTION_LABELS_ZH

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
WRITES = re.compile(r'(?:journal\.write|_move|_touch_target|(?:_finish|_end)\(\s*S\.\w+,)\(?\s*"([a-z_]+)"')
# written as f-strings
DERIVED = ["escalation_due", "escalation_serious", "escalation_digest", "objection_corrected", "objection_revoked"]


def test_every_written_action_has_a_label() -> None:
    actions = {m for path in WORKFLOWS.glob("*.py") for m in WRITES.findall(path.read_text(encoding="utf-8"))}
    actions |= set(DERIVED)
    assert len(actions) > 30
    missing = sorted(a for a in actions if a not in ACTION_LABELS_ZH)
    assert not missing, f"no label for {missing}"
