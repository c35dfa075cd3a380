"""Tamper-evident audit log: events written through the real paths (a case transition, the accounts CLI, a failed
login) chain per case; `chengxin audit verify` passes on the untouched log and fails, naming the row, when a row
is edited with raw SQL, edited with its hash re-computed, or deleted; the daily checkpoint pins them; concurrent
writers of one case never fork its chain; migration 0012 chains the rows an installation already has."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import text
from sqlmodel import col, select

from activities.transitions import apply_transition
from api.cli import main
from api.login import _audit_failure
from domain.audit_hash import event_hash
from domain.messages import SYSTEM, Actor, CaseRef, Transition
from store.audit_chain import append_audit, event_fields, verify, write_checkpoint
from store.db import alembic_config, get_engine, session_scope
from store.models import AuditChainHead, AuditEvent

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _transition(n: int, reason: str) -> None:
    assert apply_transition(Transition(
        case=CaseRef(case_type="commitment", case_id=7), event_key=f"step-{n}", action="progress_posted",
        from_state=None, to_state=None, actor=Actor(username="fgw", role="department"), reason=reason,
        at=T0 + timedelta(hours=n), data={"text": reason, "percent": n * 10, "files": ()}))


def _write_log() -> list[int]:
    """Three steps of commitment 7, a department and a user from the CLI, a failed login: the ids of case 7."""
    for n, reason in enumerate(["第一次进展", "第二次进展", "第三次进展"], start=1):
        _transition(n, reason)
    assert not apply_transition(Transition(  # a retried activity writes once and forks nothing
        case=CaseRef(case_type="commitment", case_id=7), event_key="step-1", action="progress_posted",
        from_state=None, to_state=None, actor=SYSTEM, at=T0))
    assert main(["department", "add", "jyj", "--name", "市教育局", "--email", "jyj@test.local"]) == 0
    assert main(["user", "add", "li", "--role", "department", "--department", "jyj",
                 "--password", "Songhua-88-x"]) == 0
    _audit_failure("nobody", "198.51.100.7", "api")
    with session_scope() as s:
        return list(s.exec(select(AuditEvent.id).where(AuditEvent.case_type == "commitment")
                           .order_by(col(AuditEvent.id))).all())


def _sql(statement: str, **params: object) -> None:
    with get_engine().begin() as conn:
        conn.execute(text(statement), params)


def test_verify_passes_untouched_and_names_the_edited_or_deleted_row(capsys) -> None:
    ids = _write_log()
    with session_scope() as s:
        rows = list(s.exec(select(AuditEvent).order_by(col(AuditEvent.id))))
        assert [(r.seq, r.prev_hash == "") for r in rows if r.case_type == "commitment"] == \
            [(1, True), (2, False), (3, False)]
        assert rows[1].prev_hash == rows[0].hash and len(rows) == 6
        write_checkpoint(s, date(2026, 12, 3), datetime.now(UTC) + timedelta(minutes=10))
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.strip() == "审计链完整：6 条记录，1 个检查点"

    # a changed reason: the row itself no longer matches its hash
    _sql("UPDATE audit_event SET reason = '改过的进展' WHERE id = :id", id=ids[1])
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"审计链损坏：第一处在审计记录 id={ids[1]}，案件 政务承诺 7：内容被改动"), err
    _sql("UPDATE audit_event SET reason = '第二次进展' WHERE id = :id", id=ids[1])
    assert main(["audit", "verify"]) == 0
    capsys.readouterr()

    # changed with its hash re-computed: the next row's link and the checkpoint break
    with session_scope() as s:
        row = s.get(AuditEvent, ids[1])
        assert row is not None
        row.reason = "改过的进展"
        forged = event_hash(event_fields(row), row.prev_hash)
    _sql("UPDATE audit_event SET reason = '改过的进展', hash = :h WHERE id = :id", h=forged, id=ids[1])
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"审计链损坏：第一处在审计记录 id={ids[2]}，案件 政务承诺 7：前序哈希不符"), err
    assert "检查点 id=" in err and "检查点不符" in err


def test_a_deleted_row_is_missing_from_its_chain_and_its_checkpoint(capsys) -> None:
    ids = _write_log()
    with session_scope() as s:
        write_checkpoint(s, date(2026, 12, 3), datetime.now(UTC) + timedelta(minutes=10))
    _sql("DELETE FROM audit_event WHERE id = :id", id=ids[1])
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"审计链损坏：第一处在审计记录 id={ids[2]}，案件 政务承诺 7：记录缺失"), err
    assert "第 2 条不见了" in err and "覆盖 6 条记录，库中只剩 5 条" in err

    _sql("DELETE FROM audit_event WHERE id = :id", id=ids[2])  # the newest rows of a case: the head remembers
    assert main(["audit", "verify"]) == 1
    head = "链头 id=commitment-7，案件 政务承诺 7：记录缺失；链头记到第 3 条，库中只有到第 1 条"
    assert head in capsys.readouterr().err


def test_checkpoints_chain_day_by_day_and_leave_recent_rows_to_the_next() -> None:
    _transition(1, "较早的进展")
    now = T0 + timedelta(days=1)
    with session_scope() as s:
        first = write_checkpoint(s, date(2026, 11, 2), now)
        assert write_checkpoint(s, date(2026, 11, 2), now + timedelta(hours=1)).id == first.id  # once per day
    with session_scope() as s:  # written 2 minutes before the checkpoint: may be in a transaction still open
        append_audit(s, AuditEvent(case_type="commitment", case_id=7, event_key="late", action="progress_posted",
                                   actor="fgw", role="department", at=now + timedelta(days=1) - timedelta(minutes=2)))
    with session_scope() as s:
        second = write_checkpoint(s, date(2026, 11, 3), now + timedelta(days=1))
        third = write_checkpoint(s, date(2026, 11, 4), now + timedelta(days=2))
    assert (first.count, second.count, third.count) == (1, 0, 1)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash and second.hash != first.hash
    with session_scope() as s:
        assert verify(s).broken == []


def test_concurrent_writers_of_one_case_line_up_in_one_chain() -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def write(n: int) -> None:
        try:
            start.wait()
            for k in range(5):
                with session_scope("api") as s:
                    append_audit(s, AuditEvent(case_type="user", case_id=0, event_key=f"w{n}-{k}",
                                               action="login_failed", actor="x", role="", at=datetime.now(UTC)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope() as s:
        seqs = [r.seq for r in s.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))]
        assert seqs == list(range(1, 41))
        assert s.get(AuditChainHead, ("user", 0)).seq == 40  # type: ignore[union-attr]
        assert verify(s).broken == []


def test_migration_0012_chains_the_rows_an_installation_already_has() -> None:
    cfg = alembic_config()
    command.downgrade(cfg, "0011")
    try:
        for n, case in enumerate([("commitment", 3), ("record", 5), ("commitment", 3)], start=1):
            _sql("INSERT INTO audit_event (case_type, case_id, event_key, action, actor, role, reason, at, data) "
                 "VALUES (:t, :c, :k, 'progress_posted', 'fgw', 'department', '旧的记录', :at, :data)",
                 t=case[0], c=case[1], k=f"old-{n}", at=T0 + timedelta(minutes=n), data='{"b": 1, "a": [1, 2]}')
    finally:
        command.upgrade(cfg, "head")
    with session_scope() as s:
        rows = list(s.exec(select(AuditEvent).order_by(col(AuditEvent.id))))
        assert [(r.case_type, r.seq) for r in rows] == [("commitment", 1), ("record", 1), ("commitment", 2)]
        assert rows[2].prev_hash == rows[0].hash
        assert verify(s).broken == []
    _transition(1, "迁移之后的第一条")  # chains on after the back-filled rows of its case
    with session_scope() as s:
        newest = s.exec(select(AuditEvent).where(AuditEvent.case_id == 7)).one()
        assert newest.seq == 1 and verify(s).broken == []
