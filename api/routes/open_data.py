"""Open data (../shared/spec/processes.md §8): public commitments and records as CSV (UTF-8 with BOM, so spreadsheet
programs read the Chinese) and JSON, an Atom feed of new and changed public items, and an iCal feed of
a department's upcoming deadlines (behind the department's feed token). Public data only: nothing
about applicants or complainants is ever here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from api.deps import SessionDep
from api.problems import Problem
from api.queries import commitment_summary, department_names, record_summary
from api.schemas.common import AuditCheckpointOut, Listing
from api.schemas.open_data import OpenCommitment, OpenRecord, SigningKeyOut, SigningKeys
from domain.csv_export import csv_bytes
from domain.events import PUBLIC_EVENTS, Event
from domain.messages import CASE_TYPE_ZH
from domain.settings import get_settings
from store.audit_chain import latest_checkpoints
from store.models import AuditEvent, Commitment, DeadlineRow, Department, Record
from store.signing import SNAPSHOT_SECONDS, public_keys, signature_of, snapshot

router = APIRouter(tags=["open data"])

COMMITMENT_FIELDS = ["id", "department", "department_name", "kind_label", "title", "due_date", "state",
                     "state_label", "overdue", "amended", "objection_pending", "published_at"]
RECORD_FIELDS = ["id", "subject_department", "department_name", "category_label", "severity_label", "decision_date",
                 "publicity_ends", "state", "state_label", "rectification_overdue", "objection_pending"]


def public_commitments(session: Session) -> list[dict[str, Any]]:
    names = department_names(session)
    rows = session.exec(select(Commitment).where(Commitment.state != "draft").order_by(col(Commitment.id)))
    return [{k: v for k, v in commitment_summary(r, names).items() if k in COMMITMENT_FIELDS} for r in rows]


def public_records(session: Session) -> list[dict[str, Any]]:
    names = department_names(session)
    rows = session.exec(select(Record).where(col(Record.public).is_(True)).order_by(col(Record.id)))
    return [{k: v for k, v in record_summary(r, names).items() if k in RECORD_FIELDS} for r in rows]


def _csv(items: list[dict[str, Any]], fields: list[str]) -> bytes:
    return csv_bytes(fields, items)


def _json(listing: BaseModel) -> bytes:
    """The bytes FastAPI would send for `listing` as a response_model (JSONResponse's rendering)."""
    return bytes(JSONResponse(jsonable_encoder(listing)).body)


def _checkpoint(session: Session) -> AuditCheckpointOut | None:
    newest = latest_checkpoints(session, 1)
    return AuditCheckpointOut.model_validate(newest[0], from_attributes=True) if newest else None


def _commitments_json(session: Session) -> bytes:
    items = [OpenCommitment.model_validate(i) for i in public_commitments(session)]
    return _json(Listing[OpenCommitment](items=items, total=len(items), audit_checkpoint=_checkpoint(session)))


def _records_json(session: Session) -> bytes:
    items = [OpenRecord.model_validate(i) for i in public_records(session)]
    return _json(Listing[OpenRecord](items=items, total=len(items), audit_checkpoint=_checkpoint(session)))


def _checkpoints_json(session: Session) -> bytes:
    items = [AuditCheckpointOut.model_validate(c, from_attributes=True) for c in latest_checkpoints(session, 400)]
    newest = items[0] if items else None
    return _json(Listing[AuditCheckpointOut](items=items, total=len(items), audit_checkpoint=newest))


CSV = "text/csv; charset=utf-8"
JSON = "application/json"
# Every signed open-data file: name under /open-data/ → (media type, builder of its bytes).
SIGNED: dict[str, tuple[str, Callable[[Session], bytes]]] = {
    "commitments.csv": (CSV, lambda s: _csv(public_commitments(s), COMMITMENT_FIELDS)),
    "commitments.json": (JSON, _commitments_json),
    "records.csv": (CSV, lambda s: _csv(public_records(s), RECORD_FIELDS)),
    "records.json": (JSON, _records_json),
    "audit-checkpoints.json": (JSON, _checkpoints_json),
}


def _signed(session: Session, name: str) -> Response:
    """The file's stored snapshot (at most a minute old), with where its signature is."""
    media_type, build = SIGNED[name]
    snap = snapshot(session, f"/open-data/{name}", media_type, lambda: build(session), datetime.now(UTC))
    headers = {"X-Content-SHA256": snap.sha256, "X-Signature-Key-Id": snap.key_id,
               "Link": f'</open-data/{name}.sig?sha256={snap.sha256}>; rel="signature"',
               "Cache-Control": f"public, max-age={SNAPSHOT_SECONDS}"}
    if media_type == CSV:
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(snap.body, media_type=media_type, headers=headers)


@router.get("/open-data/commitments.csv")
def commitments_csv(session: SessionDep) -> Response:
    return _signed(session, "commitments.csv")


@router.get("/open-data/commitments.json", response_model=Listing[OpenCommitment])
def commitments_json(session: SessionDep) -> Response:
    return _signed(session, "commitments.json")


@router.get("/open-data/records.csv")
def records_csv(session: SessionDep) -> Response:
    return _signed(session, "records.csv")


@router.get("/open-data/records.json", response_model=Listing[OpenRecord])
def records_json(session: SessionDep) -> Response:
    return _signed(session, "records.json")


@router.get("/open-data/audit-checkpoints.json", response_model=Listing[AuditCheckpointOut])
def audit_checkpoints_json(session: SessionDep) -> Response:
    """The daily checkpoints of the audit log (审计链校验值), newest first (at most 400)."""
    return _signed(session, "audit-checkpoints.json")


@router.get("/open-data/keys.json", response_model=SigningKeys)
def signing_keys(session: SessionDep) -> SigningKeys:
    """The public keys that sign the open-data files: the active one and every retired one (not signed itself:
    a key cannot vouch for itself; compare it with the key shown on /open-data/verify)."""
    return SigningKeys(algorithm="Ed25519", keys=[SigningKeyOut(**k) for k in public_keys(session)])


@router.get("/open-data/{name}.sig", response_class=PlainTextResponse)
def signature(name: str, session: SessionDep,
              sha256: Annotated[str | None, Query(pattern="^[0-9a-fA-F]{64}$")] = None) -> PlainTextResponse:
    """The detached Ed25519 signature (base64) of `name`: of the bytes served now, or of the file whose SHA-256
    is `sha256` (a file downloaded earlier)."""
    if name not in SIGNED:
        raise Problem(404, "没有这个开放数据文件")
    if sha256 is None:
        media_type, build = SIGNED[name]
        snap = snapshot(session, f"/open-data/{name}", media_type, lambda: build(session), datetime.now(UTC))
    else:
        found = signature_of(session, f"/open-data/{name}", sha256)
        if found is None:
            raise Problem(404, "没有这个文件的签名：该文件不是本平台发布的")
        snap = found
    return PlainTextResponse(snap.signature + "\n", headers={"X-Signature-Key-Id": snap.key_id,
                                                            "X-Content-SHA256": snap.sha256})


def _atom_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@router.get("/feed.atom")
def feed(session: SessionDep) -> Response:
    """New public items and every change a public page shows: transitions, extensions, pauses, moved
    deadlines, the 异议处理中 mark, corrections (reminders and internal steps left out)."""
    return _atom(session, None)


@router.get("/feeds/departments/{code}.atom")
def department_feed(code: str, session: SessionDep) -> Response:
    """The same feed, of one department's commitments and records only."""
    dept = session.get(Department, code)
    if dept is None:
        raise Problem(404, "单位不存在")
    return _atom(session, dept)


def _atom(session: Session, dept: Department | None) -> Response:
    base = get_settings().public_base_url
    commitments, records = select(Commitment.id).where(Commitment.state != "draft"), \
        select(Record.id).where(col(Record.public).is_(True))
    if dept is not None:
        commitments = commitments.where(Commitment.department_code == dept.code)
        records = records.where(Record.department_code == dept.code)
    public_commitments_ids = set(session.exec(commitments).all())
    public_record_ids = set(session.exec(records).all())
    query = select(AuditEvent).where(col(AuditEvent.to_state).is_not(None)
                                     | col(AuditEvent.action).in_([e.value for e in PUBLIC_EVENTS]))
    if dept is not None:  # in the query: the newest 500 of the site may hold none of this department's
        query = query.where(((col(AuditEvent.case_type) == "commitment")
                             & col(AuditEvent.case_id).in_(public_commitments_ids))
                            | ((col(AuditEvent.case_type) == "record")
                               & col(AuditEvent.case_id).in_(public_record_ids)))
    events = session.exec(query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(500))
    entries = []
    public = {("commitment", i) for i in public_commitments_ids} | {("record", i) for i in public_record_ids}
    for e in events:
        if (e.case_type, e.case_id) not in public:
            continue
        kind = "政务承诺" if e.case_type == "commitment" else "失信记录"
        link = f"{base}/{e.case_type}s/{e.case_id}"
        entries.append(
            f"<entry><id>tag:chengxin,{e.at.date().isoformat()}:{e.case_type}-{e.case_id}-{e.id}</id>"
            f"<title>{escape(f'{kind} {e.case_id}：{Event.label_of(e.action)}')}</title>"
            f'<link href="{escape(link)}"/><updated>{_atom_time(e.at)}</updated>'
            f"<summary>{escape(e.reason or '')}</summary></entry>")
        if len(entries) >= 50:
            break
    updated = _atom_time(datetime.now(UTC))
    self_path, title, page = "/feed.atom", "政务诚信专栏：新增与变更", "/"
    if dept is not None:
        self_path, title, page = f"/feeds/departments/{dept.code}.atom", f"{dept.name}：新增与变更", \
            f"/departments/{dept.code}"
    xml = ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
           f"<id>{escape(base + self_path)}</id><title>{escape(title)}</title>"
           f'<link href="{escape(base + page)}"/><link rel="self" href="{escape(base + self_path)}"/>'
           f"<updated>{updated}</updated><author><name>政务诚信平台</name></author>{''.join(entries)}</feed>")
    return Response(xml.encode("utf-8"), media_type="application/atom+xml; charset=utf-8")


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@router.get("/departments/{code}/deadlines.ics")
def deadlines_ics(code: str, session: SessionDep, token: str = Query(max_length=100)) -> Response:
    """Upcoming open deadlines of one department, for its calendar app (the token is the capability)."""
    dept = session.get(Department, code)
    if dept is None or not token or token != dept.feed_token:
        raise Problem(404, "日历订阅地址无效")
    rows = session.exec(select(DeadlineRow).where(DeadlineRow.department_code == code,
                                                  col(DeadlineRow.status).in_(["open", "paused"]),
                                                  col(DeadlineRow.due_at) >= datetime.now(UTC))
                        .order_by(col(DeadlineRow.due_at)))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = get_settings().public_base_url
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Chengxin//deadlines//ZH", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_ics_text(dept.name + ' 时限')}"]
    for r in rows:
        due = r.due_at.astimezone(UTC)
        case_zh = CASE_TYPE_ZH.get(r.case_type, r.case_type)
        summary = f"{r.label}（{case_zh} {r.case_id}）" + ("【暂定】" if r.provisional else "")
        lines += ["BEGIN:VEVENT", f"UID:{r.case_type}-{r.case_id}-{r.key}@chengxin", f"DTSTAMP:{stamp}",
                  f"DTSTART:{due.strftime('%Y%m%dT%H%M%SZ')}",
                  f"SUMMARY:{_ics_text(summary)}", f"URL:{base}/{r.case_type}s/{r.case_id}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    body = "".join(_fold(line) for line in lines)
    return Response(body.encode("utf-8"), media_type="text/calendar; charset=utf-8")


def _fold(line: str, limit: int = 75) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets continue on the next line after a space."""
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode("utf-8")) > limit:
            out.append(current)
            current = " " + ch
        else:
            current += ch
    out.append(current)
    return "\r\n".join(out) + "\r\n"
