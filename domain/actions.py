"""Who may take which action, in which state and on which condition — one table per process.

The tables live beside each process's states (domain/commitment.py, domain/record.py, domain/objection.py) and
are read by everything that decides: the workflow validators (before anything enters history), the API's early
role check, the staff forms on case pages and the staff work queue. A condition is a pure function of the case's
public facts (`Facts`), which the workflow builds from its memory and the pages from the read model, so both reach
the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal


@dataclass(frozen=True)
class Facts:
    """What a case shows about itself, enough to decide every action of its process."""

    state: str
    department: str
    today: date
    flags: frozenset[str] = frozenset()  # e.g. "amendment_pending", "paused", "explained" (see each table)
    repair_from: date | None = None
    extensions_left: int = 0

    def has(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(frozen=True)
class Refusal:
    """Why an action is not open: Forbidden (role, department) → 403; InvalidState (state, condition) → 409."""

    kind: Literal["Forbidden", "InvalidState"]
    message: str
    details: dict[str, Any] = field(default_factory=dict)


Condition = Callable[[Facts], Refusal | None]


def flag_set(flag: str, message: str) -> Condition:
    """The action needs `flag`, e.g. a change request must be pending before it can be decided."""
    return lambda f: None if f.has(flag) else Refusal("InvalidState", message, {"state": f.state})


def flag_clear(flag: str, message: str) -> Condition:
    """The action needs `flag` absent, e.g. a clock cannot be paused twice."""
    return lambda f: Refusal("InvalidState", message, {"state": f.state}) if f.has(flag) else None


def either_flag(flags: tuple[str, ...], message: str) -> Condition:
    return lambda f: None if any(f.has(x) for x in flags) else Refusal("InvalidState", message, {"state": f.state})


def extensions_left(message: str) -> Condition:
    return lambda f: None if f.extensions_left > 0 else Refusal("InvalidState", message, {"state": f.state})


def repair_date_reached(message: Callable[[date], str]) -> Condition:
    """Repair only from the day the minimum publicity period allows (../shared/spec/processes.md §6); `message`
    words the refusal for that day."""

    def check(f: Facts) -> Refusal | None:
        if f.repair_from is None or f.today >= f.repair_from:
            return None
        return Refusal("InvalidState", message(f.repair_from),
                       {"state": f.state, "possible_from": f.repair_from.isoformat()})

    return check


@dataclass(frozen=True)
class Rule:
    """One action: who (`roles`), in which states, on which further conditions; `first` are conditions checked
    before the state (their message explains more than the state's would). `deadline` is the key prefix of the
    deadline the action answers; `queued` says the action is a step the case waits for (the work queue lists it),
    not an option that is merely open (a pause, a mitigation)."""

    action: str
    label: str
    roles: frozenset[str]
    states: frozenset[str]
    when: tuple[Condition, ...] = ()
    first: tuple[Condition, ...] = ()
    deadline: str | tuple[str, ...] | None = None
    queued: bool = True
    queued_for: frozenset[str] | None = None  # roles whose queue lists it (default: every role in `roles`)
    state_message: str | None = None  # the refusal for a wrong state, "{state}" is its label

    def waits_for(self, role: str) -> bool:
        return self.queued and role in (self.queued_for if self.queued_for is not None else self.roles)

    def answers(self, deadline_key: str) -> bool:
        """Is `deadline_key` (e.g. "verification-7") the deadline this action meets? `deadline` names the key,
        or the key before a "-<sequence number>" of a deadline that is started again; a tuple names each key a
        profile may run for the step (e.g. henan's total period, shanghai's decision period)."""
        if self.deadline is None:
            return False
        keys = (self.deadline,) if isinstance(self.deadline, str) else self.deadline
        if deadline_key in keys:
            return True
        head, _, tail = deadline_key.rpartition("-")
        return head in keys and tail.isdigit()


def rule(action: str, label: str, roles: Iterable[str], states: Iterable[Any], *, when: Iterable[Condition] = (),
         first: Iterable[Condition] = (), deadline: str | tuple[str, ...] | None = None, queued: bool = True,
         queued_for: Iterable[str] | None = None, state_message: str | None = None) -> Rule:
    return Rule(action, label, frozenset(roles), frozenset(str(s) for s in states), tuple(when), tuple(first),
                deadline, queued, None if queued_for is None else frozenset(queued_for), state_message)


class ActionTable:
    """The rules of one process, and the one decision every layer asks."""

    def __init__(self, case_type: str, case_type_zh: str, state_labels: dict[str, str], rules: Iterable[Rule],
                 creators: Iterable[str] = ()):
        self.case_type = case_type
        self.case_type_zh = case_type_zh
        self.state_labels = state_labels
        self.rules: dict[str, Rule] = {r.action: r for r in rules}
        self.creators = frozenset(creators)  # staff roles that register a new case (citizens file theirs publicly)

    def __getitem__(self, action: str) -> Rule:
        return self.rules[action]

    def _caller(self, roles: frozenset[str], role: str, own_department: str | None, department: str,
                foreign: str) -> Refusal | None:
        if role not in roles:
            return Refusal("Forbidden", "当前角色无权执行此操作")
        if role == "department" and own_department != department:
            return Refusal("Forbidden", foreign)
        return None

    def authorize_create(self, role: str, own_department: str | None, department: str) -> Refusal | None:
        return self._caller(self.creators, role, own_department, department,
                            f"部门用户只能为本单位登记{self.case_type_zh}")

    def authorize(self, action: str, role: str, own_department: str | None, department: str) -> Refusal | None:
        """Role and department only: the API answers 403 without asking the workflow."""
        return self._caller(self.rules[action].roles, role, own_department, department,
                            f"不能操作其他单位的{self.case_type_zh}")

    def state_refusal(self, state: str) -> Refusal:
        return Refusal("InvalidState", f"当前状态（{self.state_labels.get(state, state)}）不允许此操作",
                       {"state": state})

    def refusal(self, action: str, role: str, own_department: str | None, facts: Facts) -> Refusal | None:
        """None when `role` (of `own_department`) may take `action` on a case showing `facts` now. The state is
        judged before the caller, as a case's history explains more than a role does (the API asks `authorize`
        first, so a wrong role there is 403 whatever the state)."""
        r = self.rules[action]
        for condition in r.first:
            if (refused := condition(facts)) is not None:
                return refused
        if facts.state not in r.states:
            if r.state_message:
                label = self.state_labels.get(facts.state, facts.state)
                return Refusal("InvalidState", r.state_message.format(state=label), {"state": facts.state})
            return self.state_refusal(facts.state)
        denied = self.authorize(action, role, own_department, facts.department)
        if denied is not None:
            return denied
        for condition in r.when:
            if (refused := condition(facts)) is not None:
                return refused
        return None
