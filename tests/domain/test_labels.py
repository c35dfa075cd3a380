"""Audit events are one enum (domain.events.Event): every action written has a Chinese label for the pages
(no raw action names shown), the strings already stored never change, and nothing writes a bare string."""

from __future__ import annotations

import re
from pathlib import Path

from domain.events import PUBLIC_EVENTS, Event

ROOT = Path(__file__).resolve().parents[2]
WRITERS = [p for d in ("workflows", "activities", "api") for p in sorted((ROOT / d).glob("*.py"))]

# Every action string stored in audit_events (and in recorded histories' event keys) before the enum existed:
# existing rows keep them, so each must stay an Event value.
STORED = frozenset("""
login_failed user_created user_enabled user_disabled department_created created published fulfilment_reported
verified_accepted verified_rejected overdue breached reminder escalation_due escalation_serious escalation_digest
amendment_requested amendment_approved amendment_rejected withdrawn paused resumed extended milestone_done
milestone_overdue deadline_moved record_opened explained rectification_submitted rectification_verified
rectification_rejected repair_requested repaired repair_rejected mitigated classified unpublished expired
rectification_overdue rectification_due_set objection_marked objection_unmarked objection_corrected
objection_revoked correction_noted corrected revoked overdue_cleared rectification_overdue_cleared department_late
submitted supplement_requested supplemented accepted rejected forwarded verified decided closed triaged dismissed
responded reviewed feedback reopened
""".split())

# an action passed as a string literal: journal/_move/_touch_target/_audit calls, _finish/_end(S.x, "…"), action="…"
BARE = re.compile(r'(?:journal\.write|_move|_touch_target)\(\s*f?"|(?:_finish|_end)\(\s*S\.\w+,\s*f?"'
                  r'|_audit\(session, "\w+", [^,]+, f?"|\baction="')
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_event_has_a_chinese_label() -> None:
    assert len(Event) > 30
    unlabelled = sorted(e.value for e in Event if not CJK.search(e.label_zh))
    assert not unlabelled, f"no Chinese label for {unlabelled}"


def test_stored_action_strings_stay_event_values() -> None:
    missing = sorted(STORED - {e.value for e in Event})
    assert not missing, f"stored actions no longer in domain.events.Event: {missing}"


def test_nothing_writes_a_bare_action_string() -> None:
    bare = [f"{p.relative_to(ROOT)}:{n}" for p in WRITERS
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if BARE.search(line) and "add_argument" not in line]  # argparse's action="store_true" is no event
    assert not bare, f"audit actions written as strings, not domain.events.Event: {bare}"


def test_every_event_referenced_exists() -> None:
    """`Event.x` in a branch no test runs would fail only there: every reference names a member."""
    names = {m for p in WRITERS for m in re.findall(r"\bEvent\.(\w+)", p.read_text(encoding="utf-8"))}
    assert len(names) > 30
    unknown = sorted(n for n in names if n not in Event.__members__ and n not in ("label_of", "value"))
    assert not unknown, f"no such event: {unknown}"


def test_only_changes_a_public_page_shows_are_public() -> None:
    internal = {Event.reminder, Event.escalation_due, Event.escalation_serious, Event.escalation_digest,
                Event.login_failed, Event.user_created, Event.user_enabled, Event.user_disabled,
                Event.department_created}
    assert PUBLIC_EVENTS and not internal & PUBLIC_EVENTS
    assert Event.label_of("paused") == "中止计时" and Event.label_of("no_such_action") == "no_such_action"
