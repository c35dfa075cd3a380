"""Who reads what (../shared/spec/processes.md §10), in one place for every read endpoint, list filter and page.

The credit office, supervisors and admins read every case in full. A department reads its own department's
cases in full, drafts and unpublished records included, and another department's only as the public does:
published commitments and records in publicity, with the history naming roles rather than staff logins.
"""

from __future__ import annotations

from domain.capabilities import Capability, roles_with
from domain.messages import Actor

READS_ALL = frozenset(roles_with(Capability.read_all_cases))


def reads_all(actor: Actor | None) -> bool:
    return actor is not None and actor.role in READS_ALL


def reads_in_full(actor: Actor | None, department: str | None) -> bool:
    """May `actor` see the case of `department` as staff do (drafts, unpublished records, who did what)?"""
    if actor is None:
        return False
    return actor.role in READS_ALL or (actor.role == "department" and actor.department == department)


def own_department(actor: Actor | None) -> str | None:
    """The department whose cases a department user reads in full (None for the public and for READS_ALL)."""
    return actor.department if actor is not None and actor.role == "department" else None
