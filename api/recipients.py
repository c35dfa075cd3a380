"""Who an outbox row went to, as staff may see it. An outbox row keeps only the address, so a recipient is
official when the address is a department's duty mailbox, a supervisor's, the credit office's, the admin
mailbox or a staff account's; any other address is a citizen's (an applicant or complainant) and is masked
for roles that may not see personal data (../shared/spec/processes.md §8): unknown addresses are masked, never shown."""

from __future__ import annotations

from sqlmodel import Session, select

from domain.settings import get_settings
from store.models import Department, User


def official_addresses(session: Session) -> set[str]:
    """Every address the platform itself sends to, lower-case (as the outbox stores them)."""
    settings = get_settings()
    out = {settings.credit_office_email, settings.admin_email}
    for d in session.exec(select(Department)):
        out.update(a for a in (d.email, d.supervisor_email) if a)
    out.update(u.email for u in session.exec(select(User)) if u.email)
    return {a.strip().lower() for a in out}


def mask_email(address: str) -> str:
    """zhang.san@example.com → z***@example.com: enough to tell two notices apart, not to write to."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def shown_recipient(address: str, official: set[str], personal: bool) -> str:
    return address if personal or address.strip().lower() in official else mask_email(address)


def shown_error(error: str | None, address: str, official: set[str], personal: bool) -> str | None:
    """An SMTP error often quotes the refused address ("550 <a@b.cn>: unknown user"): masked there too."""
    shown = shown_recipient(address, official, personal)
    return error.replace(address, shown) if error and shown != address else error
