"""Attachment rows: binding uploads to the step that carries them (inside that step's own transaction), and
reading a case's files back. A case references a file only once it is bound, so an upload that no step took
(a refused action, a crash before the step was written) is never part of a case."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from store import blobs
from store.models import Attachment

STALE_AFTER = timedelta(days=1)  # an upload no step has taken by then is forgotten


def bind(session: Session, refs: Iterable[dict[str, Any]], *, case_type: str, case_id: int, step: str,
         event_key: str | None, at: datetime) -> int:
    """Give the unbound uploads named by (id, sha256) to the case's step; the number bound. Matching the hash
    too means a reference can never bind other bytes than those the step was decided on."""
    bound = 0
    for ref in refs:
        result = session.execute(
            update(Attachment)
            .where(col(Attachment.id) == ref["id"], col(Attachment.sha256) == ref["sha256"],
                   col(Attachment.case_id).is_(None))
            .values(case_type=case_type, case_id=case_id, step=step, event_key=event_key, bound_at=at))
        bound += int(getattr(result, "rowcount", 0) or 0)
    return bound


def unbind(session: Session, ids: Sequence[str], *, case_type: str, case_id: int) -> None:
    """Give uploads back (a filing that could not be started is removed again): the user may use them anew."""
    session.execute(
        update(Attachment)
        .where(col(Attachment.id).in_(list(ids)), col(Attachment.case_type) == case_type,
               col(Attachment.case_id) == case_id)
        .values(case_type=None, case_id=None, step=None, event_key=None, bound_at=None))


def of_case(session: Session, case_type: str, case_id: int) -> list[Attachment]:
    return list(session.exec(select(Attachment).where(
        Attachment.case_type == case_type, Attachment.case_id == case_id)
        .order_by(col(Attachment.bound_at), col(Attachment.name))).all())


def purge_stale(session: Session, now: datetime | None = None, limit: int = 100) -> int:
    """Forget uploads no step took within STALE_AFTER, and bytes nothing uses any more."""
    cutoff = (now or datetime.now(UTC)) - STALE_AFTER
    stale = session.exec(select(Attachment).where(
        col(Attachment.case_id).is_(None), col(Attachment.created_at) < cutoff).limit(limit)).all()
    hashes = {a.sha256 for a in stale}
    for a in stale:
        session.delete(a)
    session.flush()
    blobs.forget_unreferenced(session, hashes)
    return len(stale)
