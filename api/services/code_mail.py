"""The tracking code by e-mail to an applicant who gave an address.

The code is a capability and is stored only hashed, so this mail does not wait in the outbox like other notices:
the row is queued and handed to SMTP at once from the API (`deliver_now`, as the login alerts are), and right
after that attempt — sent or not — the code is replaced in the row's text and HTML. The plain code is in the
database only for the seconds of the SMTP hand-over; the row that stays (in /api/notices) shows that a code mail
went out, not the code. A failed send is not retried (nobody could, without the code): the row is marked failed
and the applicant still has the code from the receipt page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from activities.notify import deliver_now, queue_notice_sync
from domain.messages import CaseRef, NoticeRequest
from store.db import session_scope
from store.models import Outbox

TEMPLATE = "tracking_code"
REDACTED = "（查询码已通过邮件发送，出于安全考虑此处不保存）"


def _scrub(outbox_id: int, code: str) -> None:
    with session_scope() as session:
        row = session.get(Outbox, outbox_id)
        if row is not None:
            row.text, row.html = row.text.replace(code, REDACTED), row.html.replace(code, REDACTED)
            session.add(row)


async def mail_code(case_type: str, case_id: int, email: str, code: str, what: str) -> None:
    """Send the code once (one row per case: a repeat finds the row and sends nothing)."""
    req = NoticeRequest(case=CaseRef(case_type=case_type, case_id=case_id), event_key="tracking-code",
                        template=TEMPLATE, recipients=[f"email:{email}"], at=datetime.now(UTC),
                        context={"code": code, "case_id": case_id, "what": what})
    queued = await asyncio.to_thread(queue_notice_sync, req, True)
    for q in queued:
        try:
            await deliver_now(q.outbox_id, "api-tracking-code")
        finally:
            await asyncio.to_thread(_scrub, q.outbox_id, code)
