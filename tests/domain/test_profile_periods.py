"""Every period a rule profile names is either a deadline the product runs or says, in the profile, why it is
kept as information only (../shared/spec/processes.md §2): a period nothing reads is a rule silently ignored.
Code may name an informational period only through `RuleProfile.tracked(...)`, which runs it nowhere it is
informational (shanghai runs 第36条's forward and decision periods, henan and shenzhen keep theirs as information)."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.profiles import available_profiles, load_profile
from domain.settings import ROOT

CODE = "\n".join(p.read_text(encoding="utf-8") for folder in ("workflows", "activities", "api")
                 for p in sorted(Path(ROOT, folder).rglob("*.py")))


@pytest.mark.parametrize("name", available_profiles())
def test_every_period_is_run_as_a_deadline_or_says_why_not(name: str) -> None:
    profile = load_profile(name)
    unread = [key for key, period in profile.periods.items()
              if period.informational is None and f'"{key}"' not in CODE]
    assert not unread, f"{name}: periods read by nothing and not marked informational: {unread}"
    for key, period in profile.periods.items():
        if period.informational is not None:
            assert period.informational.strip(), f"{name}.{key}: informational needs its reason"
            assert CODE.count(f'"{key}"') == CODE.count(f'tracked("{key}")'), \
                f"{name}.{key} is marked informational but the code reads it other than through tracked()"
