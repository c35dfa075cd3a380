"""What a decided objection reads of the commitment it disputes: its status as the public sees it and the
dishonesty record its breach opened (the objection's workflow decides with it, deterministically)."""

from __future__ import annotations

from temporalio import activity

from domain.messages import CommitmentFacts
from store.db import session_scope
from store.models import Commitment


@activity.defn
def commitment_facts(commitment_id: int) -> CommitmentFacts:
    with session_scope() as session:
        row = session.get(Commitment, commitment_id)
        if row is None:
            raise LookupError(f"commitment {commitment_id} is not in the database")
        return CommitmentFacts(state=row.state, overdue=row.overdue, record_id=row.record_id)
