"""Uploading evidence files, naming them in a step, and deciding who downloads them: one implementation behind
the JSON API and the forms (domain/attachments.py holds the rules)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api.problems import Problem
from api.schemas.attachments import AttachmentOut
from domain.attachments import (
    ACCEPTED_ZH,
    EvidenceStep,
    Party,
    Viewer,
    detect,
    evidence_step,
    may_publish,
    may_read,
    safe_name,
)
from domain.messages import Actor, AttachmentRef
from domain.settings import get_settings
from store import attachments as attachment_rows
from store import blobs
from store.db import get_engine
from store.models import Attachment, Commitment, Complaint, IntegrityReport, Objection, Record

PUBLIC = "public"  # the uploader of a citizen's file (no account)
LINK_SECONDS = 3600  # a signed download link of the tracking page lasts this long


@dataclass(frozen=True)
class Upload:
    """One file of a request, as the web framework spooled it (in memory up to 1 MB, then on disk)."""

    name: str | None
    file: IO[bytes]


def uploader(actor: Actor | None) -> str:
    return actor.username if actor is not None else PUBLIC


def max_bytes() -> int:
    return get_settings().attachment_max_mb * 1024 * 1024


def _check(uploads: Sequence[Upload], field: str = "files") -> list[tuple[Upload, str, int, str, str]]:
    """Every file's hash, size, safe name and real type, or the refusal of the whole request (naming `field`,
    the form's file input): nothing of it is stored unless every file is acceptable."""
    settings = get_settings()
    if not uploads:
        raise Problem(422, "请选择要上传的文件", errors=[{"field": field, "message": "请选择要上传的文件"}])
    if len(uploads) > settings.attachment_max_files:
        message = f"一次最多上传 {settings.attachment_max_files} 个文件"
        raise Problem(422, message, errors=[{"field": field, "message": message}])
    checked = []
    for u in uploads:
        sha, size = blobs.digest(u.file)
        shown = (u.name or "未命名文件")[:100]
        if size == 0:
            raise Problem(422, f"文件“{shown}”是空的", errors=[{"field": field, "message": f"文件“{shown}”是空的"}])
        if size > max_bytes():
            message = f"文件“{shown}”超过 {settings.attachment_max_mb} MB，请压缩或拆分后上传"
            raise Problem(413, message, errors=[{"field": field, "message": message}])
        kind = detect(u.file)
        if kind is None:
            message = f"文件“{shown}”的内容不是可接受的类型（可上传 {ACCEPTED_ZH}），请另存为 PDF 后上传"
            raise Problem(415, message, title="文件类型不支持", errors=[{"field": field, "message": message}])
        checked.append((u, sha, size, safe_name(u.name, kind), kind.content_type))
    return checked


def _store(checked: list[tuple[Upload, str, int, str, str]], by: str) -> list[Attachment]:
    """All files of the request in one transaction. Two first uploads of the same bytes at once: the second
    finds the first's blob on its retry."""
    for attempt in range(2):
        now = datetime.now(UTC)
        with Session(get_engine(), expire_on_commit=False) as session:
            try:
                rows = []
                for u, sha, size, name, content_type in checked:
                    blobs.put(session, u.file, sha, size)
                    row = Attachment(id=secrets.token_urlsafe(16), sha256=sha, name=name, content_type=content_type,
                                     size=size, uploaded_by=by, created_at=now)
                    session.add(row)
                    rows.append(row)
                attachment_rows.purge_stale(session, now)
                session.commit()
                return rows
            except IntegrityError:
                session.rollback()
                if attempt:
                    raise
    raise AssertionError("unreachable")


async def upload(uploads: Sequence[Upload], actor: Actor | None, field: str = "files") -> list[Attachment]:
    """Check then store (off the event loop: hashing 200 MB must not stall other requests)."""
    checked = await run_in_threadpool(_check, uploads, field)
    return await run_in_threadpool(_store, checked, uploader(actor))


def claim(session: Session, ids: Sequence[str], actor: Actor | None, *, case_type: str, case_id: int | None,
          step: str, field: str = "attachments") -> list[AttachmentRef]:
    """The uploads a step names, if the caller uploaded them and no other step has taken them; else 422 naming
    the field. A repeat of the same step on the same case (an Idempotency-Key retry) finds them bound to it and
    passes. The references carry the hash, so the bytes cannot change between this check and the step."""
    if evidence_step(case_type, step) is None:
        raise AssertionError(f"{case_type}/{step} carries no files")
    limit = get_settings().attachment_max_files
    unique = list(dict.fromkeys(ids))
    if len(unique) > limit:
        raise _bad(field, f"每一步最多附 {limit} 个文件")
    if not unique:
        return []
    rows = {a.id: a for a in session.exec(select(Attachment).where(col(Attachment.id).in_(unique))).all()}
    for i in unique:
        row = rows.get(i)
        if row is None or row.uploaded_by != uploader(actor):
            raise _bad(field, "附件不存在或已过期，请重新上传")
        if row.case_id is not None and (row.case_type, row.case_id, row.step) != (case_type, case_id, step):
            raise _bad(field, f"附件“{row.name}”已用于其他事项，请重新上传")
    return [AttachmentRef(id=i, sha256=rows[i].sha256) for i in unique]


def _bad(field: str, message: str) -> Problem:
    return Problem(422, f"{field}：{message}", errors=[{"field": field, "message": message}])


def bind_filing(session: Session, refs: Sequence[AttachmentRef], case_type: str, case_id: int) -> None:
    """A citizen's filing: its files become the case's in the transaction that stores the case."""
    attachment_rows.bind(session, [r.model_dump() for r in refs], case_type=case_type, case_id=case_id,
                         step="submitted", event_key=None, at=datetime.now(UTC))


# --- reading ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    department: str
    public: bool  # the case is on the public pages


def case_facts(session: Session, case_type: str | None, case_id: int | None) -> CaseFacts | None:
    if case_type is None or case_id is None:
        return None
    if case_type == "commitment":
        c = session.get(Commitment, case_id)
        return CaseFacts(c.department_code, c.state != "draft") if c else None
    if case_type == "record":
        r = session.get(Record, case_id)
        return CaseFacts(r.department_code, r.public) if r else None
    if case_type == "objection":
        o = session.get(Objection, case_id)
        return CaseFacts(o.department_code, False) if o else None
    if case_type == "integrity_report":  # a department's report to the credit office: never public
        ir = session.get(IntegrityReport, case_id)
        return CaseFacts(ir.department_code, False) if ir else None
    p = session.get(Complaint, case_id)
    return CaseFacts(p.department_code, False) if p else None


def party_of(row: Attachment) -> Party | None:
    step = evidence_step(row.case_type or "", row.step or "")
    return step.party if step else None


def step_of(row: Attachment) -> EvidenceStep | None:
    return evidence_step(row.case_type or "", row.step or "")


def readable(session: Session, row: Attachment, viewer: Viewer, facts: CaseFacts | None = None) -> bool:
    """May `viewer` download `row`? An upload no step has taken yet: nobody; a bound one: the table of
    domain/attachments.py."""
    party = party_of(row)
    facts = facts or case_facts(session, row.case_type, row.case_id)
    if party is None or facts is None:
        return False
    return may_read(viewer, party=party, case_type=row.case_type or "", department=facts.department,
                    public_file=row.public, public_case=facts.public)


def case_files(session: Session, case_type: str, case_id: int, viewer: Viewer) -> list[Attachment]:
    """The files of a case `viewer` may download, oldest step first."""
    facts = case_facts(session, case_type, case_id)
    if facts is None:
        return []
    return [a for a in attachment_rows.of_case(session, case_type, case_id) if readable(session, a, viewer, facts)]


def listed(session: Session, case_type: str, case_id: int, actor: Actor | None) -> list[dict[str, Any]]:
    """The case's files `actor` may download, as the case JSON lists them."""
    return [AttachmentOut.of(a).model_dump(mode="json")
            for a in case_files(session, case_type, case_id, viewer_of(actor))]


def viewer_of(actor: Actor | None, holds_code: bool = False) -> Viewer:
    if actor is None:
        return Viewer(holds_code=holds_code)
    return Viewer(role=actor.role, department=actor.department)


def set_public(session: Session, row: Attachment, public: bool, actor: Actor) -> Attachment:
    """The credit office makes a department's evidence public (or not); a citizen's file never."""
    party = party_of(row)
    if party is None or not may_publish(party):
        raise Problem(409, "申请人、投诉人提交的材料含个人信息，不能公开")
    row.public = public
    row.public_by = actor.username if public else None
    row.public_at = datetime.now(UTC) if public else None
    session.add(row)
    session.commit()
    return row


# --- signed links for the applicant (no account) ------------------------------------------------------------


def _signature(attachment_id: str, expires: int) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"file:{attachment_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def signed_link(attachment_id: str, now: float | None = None) -> str:
    """A download link the tracking page gives the holder of the code: it proves the code was shown, for an
    hour, without the code ever entering a URL."""
    expires = int((now or time.time()) + LINK_SECONDS)
    return f"/files/{attachment_id}?e={expires}&s={_signature(attachment_id, expires)}"


def link_ok(attachment_id: str, expires: int | None, signature: str | None) -> bool:
    if expires is None or signature is None or expires < time.time():
        return False
    return hmac.compare_digest(_signature(attachment_id, expires), signature)
