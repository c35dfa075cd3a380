"""Writing to the tamper-evident audit log, and checking it.

Every audit row is appended through `append_audit`: it takes the case's chain head with one INSERT … ON CONFLICT
DO UPDATE (PostgreSQL locks that row until commit; SQLite holds its one write lock), so concurrent writers of a
case line up and the chain never forks; the unique (case, seq) constraint backs that up. `write_checkpoint` is
the daily global checkpoint, `verify` re-computes everything and names what is broken."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from domain.audit_hash import EVENT_FIELDS, GENESIS, checkpoint_hash, event_hash
from domain.messages import CASE_TYPE_ZH
from store.models import AuditChainHead, AuditCheckpoint, AuditEvent

# An event written in the last minutes may belong to a transaction still open; it waits for the next checkpoint.
CHECKPOINT_MARGIN = timedelta(minutes=5)


def event_fields(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in EVENT_FIELDS}


def append_audit(session: Session, event: AuditEvent) -> AuditEvent:
    """Chain `event` onto its case's newest event and add it to the session (the caller commits)."""
    head = AuditChainHead.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(head).values(case_type=event.case_type, case_id=event.case_id, seq=1, last_hash=GENESIS)
    stmt = stmt.on_conflict_do_update(index_elements=["case_type", "case_id"], set_={"seq": head.c.seq + 1})
    seq, prev_hash = session.execute(stmt.returning(head.c.seq, head.c.last_hash)).one()
    event.seq, event.prev_hash = seq, prev_hash
    event.hash = event_hash(event_fields(event), prev_hash)
    session.execute(head.update().where(head.c.case_type == event.case_type, head.c.case_id == event.case_id)
                    .values(last_hash=event.hash))
    session.add(event)
    return event


def covered_upto(session: Session) -> int:
    """The highest audit row id the checkpoints cover (0 before the first)."""
    return session.exec(select(func.max(AuditCheckpoint.last_id))).one() or 0


def write_checkpoint(session: Session, day: date, now: datetime) -> AuditCheckpoint:
    """The checkpoint of `day`, written once: a second call for the same day returns the first one."""
    existing = session.exec(select(AuditCheckpoint).where(AuditCheckpoint.day == day)).first()
    if existing is not None:
        return existing
    if session.get_bind().dialect.name == "postgresql":
        # Waits for every transaction that is inserting audit rows, and holds new ones back for the few
        # milliseconds of this one: no id at or below the highest one read can still appear later.
        session.execute(text("LOCK TABLE audit_event IN SHARE MODE"))
    prev = session.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.id).desc())).first()
    after = covered_upto(session)
    recent = session.exec(select(func.min(AuditEvent.id)).where(
        col(AuditEvent.id) > after, col(AuditEvent.at) > now - CHECKPOINT_MARGIN)).one()
    query = select(AuditEvent.id, AuditEvent.hash).where(col(AuditEvent.id) > after)
    if recent is not None:
        query = query.where(col(AuditEvent.id) < recent)
    rows = session.exec(query.order_by(col(AuditEvent.id))).all()
    prev_hash = prev.hash if prev is not None else GENESIS
    first_id, last_id = (rows[0][0], rows[-1][0]) if rows else (None, None)
    checkpoint = AuditCheckpoint(day=day, first_id=first_id, last_id=last_id, count=len(rows), prev_hash=prev_hash,
                                 hash=checkpoint_hash(prev_hash, day, first_id, last_id, (h for _, h in rows)),
                                 created_at=now)
    session.add(checkpoint)
    session.flush()
    return checkpoint


CHECKS_ZH = {
    "content_changed": "内容被改动（按记录内容重新计算的哈希与所存哈希不符）",
    "prev_mismatch": "前序哈希不符（与本案件上一条记录的哈希对不上）",
    "row_missing": "记录缺失",
    "checkpoint_mismatch": "检查点不符",
}


@dataclass(frozen=True)
class Broken:
    """One broken link: which table and row, which case, which check failed."""

    table: str  # audit_event | audit_chain_head | audit_checkpoint
    row_id: str
    case: str | None
    check: str  # a key of CHECKS_ZH
    detail: str

    def zh(self) -> str:
        where = {"audit_event": "审计记录", "audit_chain_head": "链头", "audit_checkpoint": "检查点"}[self.table]
        case = f"，案件 {self.case}" if self.case else ""
        return f"{where} id={self.row_id}{case}：{CHECKS_ZH[self.check]}；{self.detail}"


@dataclass
class Verification:
    rows: int = 0
    checkpoints: int = 0
    broken: list[Broken] = field(default_factory=list)


def _case_zh(case_type: str, case_id: int) -> str:
    return f"{CASE_TYPE_ZH.get(case_type, {'user': '账号', 'system': '系统'}.get(case_type, case_type))} {case_id}"


def verify(session: Session) -> Verification:
    """Re-compute every row's hash, every case's chain (seq without gaps, prev_hash = the previous row's hash),
    every chain head and every checkpoint. Problems come in id order of the rows, then heads, then checkpoints."""
    out = Verification()
    chains: dict[tuple[str, int], tuple[int, str]] = {}  # case → (seq, hash) of its newest row so far
    for row in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)).execution_options(yield_per=2000)):
        out.rows += 1
        key = (row.case_type, row.case_id)
        case = _case_zh(*key)
        if event_hash(event_fields(row), row.prev_hash) != row.hash:
            out.broken.append(Broken("audit_event", str(row.id), case, "content_changed", f"第 {row.seq} 条"))
        seq, last_hash = chains.get(key, (0, GENESIS))
        if row.seq > seq + 1:
            missing = f"第 {seq + 1} 条" if row.seq == seq + 2 else f"第 {seq + 1}–{row.seq - 1} 条"
            out.broken.append(Broken("audit_event", str(row.id), case, "row_missing", f"本条之前的{missing}不见了"))
        elif row.seq != seq + 1 or row.prev_hash != last_hash:
            out.broken.append(Broken("audit_event", str(row.id), case, "prev_mismatch", f"第 {row.seq} 条"))
        chains[key] = (row.seq, row.hash)
    for head in session.exec(select(AuditChainHead)):
        key = (head.case_type, head.case_id)
        seq, last_hash = chains.get(key, (0, GENESIS))
        name = f"{head.case_type}-{head.case_id}"
        if head.seq > seq:
            out.broken.append(Broken("audit_chain_head", name, _case_zh(*key), "row_missing",
                                     f"链头记到第 {head.seq} 条，库中只有到第 {seq} 条"))
        elif head.seq != seq or head.last_hash != last_hash:
            out.broken.append(Broken("audit_chain_head", name, _case_zh(*key), "prev_mismatch",
                                     f"链头与第 {seq} 条记录不符"))
    for key in chains.keys() - {(h.case_type, h.case_id) for h in session.exec(select(AuditChainHead))}:
        out.broken.append(Broken("audit_chain_head", f"{key[0]}-{key[1]}", _case_zh(*key), "row_missing", "链头不见了"))
    _verify_checkpoints(session, out)
    return out


def _verify_checkpoints(session: Session, out: Verification) -> None:
    prev_hash, after = GENESIS, 0
    for cp in session.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.id))):
        out.checkpoints += 1
        upto = cp.last_id if cp.last_id is not None else after
        rows = session.exec(select(AuditEvent.id, AuditEvent.hash).where(
            col(AuditEvent.id) > after, col(AuditEvent.id) <= upto).order_by(col(AuditEvent.id))).all()
        first_id = rows[0][0] if rows else None
        recomputed = checkpoint_hash(cp.prev_hash, cp.day, first_id, rows[-1][0] if rows else None,
                                     (h for _, h in rows))
        label = f"{cp.day.isoformat()}（第 {cp.id} 个）"
        if cp.prev_hash != prev_hash:
            out.broken.append(Broken("audit_checkpoint", str(cp.id), None, "checkpoint_mismatch",
                                     f"{label}与前一个检查点的哈希对不上"))
        elif len(rows) < cp.count:
            out.broken.append(Broken("audit_checkpoint", str(cp.id), None, "row_missing",
                                     f"{label}覆盖 {cp.count} 条记录，库中只剩 {len(rows)} 条"))
        elif len(rows) != cp.count or first_id != cp.first_id or recomputed != cp.hash:
            out.broken.append(Broken("audit_checkpoint", str(cp.id), None, "checkpoint_mismatch",
                                     f"{label}按库中记录重新计算的哈希与所存不符"))
        prev_hash, after = cp.hash, upto


def latest_checkpoints(session: Session, limit: int = 30) -> list[AuditCheckpoint]:
    return list(session.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.id).desc()).limit(limit)))
