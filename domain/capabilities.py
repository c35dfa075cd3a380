"""Who may do what outside a case (../shared/spec/processes.md §10): the one table the API's role checks, the
staff and admin pages and the workspace links all read. Case actions have their own tables (domain/actions.py
and each process's RULES); this is the rest — keeping calendars, accounts, reports, the notice log.
`coordinator` is the government office (政府办/督查室) that registers and supervises suggestions and proposals
(domain/motion.py)."""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    keep_calendar = "keep_calendar"  # working-day overrides, State Council notices
    manage_accounts = "manage_accounts"  # departments and staff accounts
    read_all_cases = "read_all_cases"  # every case in full, every department
    read_reports = "read_reports"  # the monitoring reports of the workspace
    read_official_reports = "read_official_reports"  # the archived quarterly reports of every official
    read_audit = "read_audit"  # the audit trail of a case or of an account
    read_case_audit = "read_case_audit"  # ... of a case (admins read only accounts' trails)
    read_notices = "read_notices"  # the outbox: who was told what, and failed deliveries
    publish_evidence = "publish_evidence"  # make a department's evidence file public on a public case
    read_personal_data = "read_personal_data"  # an applicant's name and contact: never the department concerned
    # (no retaliation), nor admins
    read_deputy_contact = "read_deputy_contact"  # a deputy's or member's contact: the office that registered it
    read_all_motions = "read_all_motions"  # every suggestion and proposal in full (units read theirs)
    manage_sharing = "manage_sharing"  # 归集共享: platforms pushed to, senders received from, their keys
    read_sharing = "read_sharing"  # ... their backlogs, failures and receipts


CAPABILITIES: dict[Capability, tuple[str, ...]] = {
    Capability.keep_calendar: ("admin", "credit_office"),
    Capability.manage_accounts: ("admin",),
    Capability.read_all_cases: ("credit_office", "supervisor", "admin"),
    Capability.read_reports: ("department", "coordinator", "credit_office", "supervisor", "admin"),
    Capability.read_official_reports: ("credit_office", "supervisor", "admin"),
    Capability.read_audit: ("credit_office", "supervisor", "admin"),
    Capability.read_case_audit: ("credit_office", "supervisor"),
    Capability.read_notices: ("admin", "credit_office"),
    Capability.publish_evidence: ("credit_office",),
    Capability.read_personal_data: ("credit_office", "supervisor"),
    Capability.read_deputy_contact: ("coordinator", "credit_office"),
    Capability.read_all_motions: ("coordinator", "credit_office", "supervisor", "admin"),
    Capability.manage_sharing: ("admin",),
    Capability.read_sharing: ("admin", "credit_office"),
}


def roles_with(capability: Capability) -> tuple[str, ...]:
    return CAPABILITIES[capability]


def may(role: str | None, capability: Capability) -> bool:
    return role is not None and role in CAPABILITIES[capability]
