"""A case follows its department's jurisdiction: the rule profile a new case pins is its department's."""

from __future__ import annotations

from sqlmodel import Session

from domain.profiles import RuleProfile, load_profile
from domain.settings import get_settings
from store.models import Department


def department_profile(session: Session, department: str) -> RuleProfile:
    """The department's profile (its newest version). An unknown department — refused by the callers before a
    case is filed — falls back to the deployment's DEFAULT_PROFILE; a department whose profile file was
    removed raises, so no case is silently filed under another jurisdiction's periods."""
    dept = session.get(Department, department)
    return load_profile(dept.profile if dept is not None else get_settings().default_profile)
