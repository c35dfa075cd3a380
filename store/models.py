"""SQL read model and record. Written only by idempotent activities (and the API's id allocation)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.settings import get_settings


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every database (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every instant in Chengxin carries its offset")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(default: Any = None) -> Any:
    return Field(default=default, sa_column=Column(JSON, nullable=True))


def _tz(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Department(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    email: str = Field(max_length=254)
    supervisor_email: str | None = Field(default=None, max_length=254)
    feed_token: str = Field(max_length=64)
    # rule profile (domain/profiles/<name>.toml) of the jurisdiction; every new case of the department pins it
    profile: str = Field(default_factory=lambda: get_settings().default_profile, max_length=32)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    department_code: str | None = Field(default=None, foreign_key="department.code", max_length=32)
    email: str | None = Field(default=None, max_length=254)
    active: bool = True


class Commitment(SQLModel, table=True):
    # the id is the workflow id: never reuse one; the portal counts by state from the index alone (migration 0015)
    __table_args__ = (Index("ix_commitment_state_overdue", "state", "overdue"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(foreign_key="department.code", index=True, max_length=32)
    kind: str = Field(max_length=32)
    title: str = Field(max_length=200)
    content: str = Field(sa_column=Column(Text, nullable=False))
    official: str | None = Field(default=None, max_length=100)
    due_date: date
    state: str = Field(max_length=32)  # indexed with overdue (__table_args__)
    overdue: bool = False
    amended: bool = False
    profile_name: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    report: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    evidence: list[str] | None = _json()
    pending_amendment: dict[str, Any] | None = _json()
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    published_at: datetime | None = _tz()
    closed_at: datetime | None = _tz()
    record_id: int | None = None  # the dishonesty record its breach created
    objection_pending: bool = False  # 异议处理中
    correction_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status_decision: dict[str, Any] | None = _json()  # a decided objection's corrected public status
    motion_id: int | None = Field(default=None, index=True)  # the suggestion or proposal whose reply promised it


class Record(SQLModel, table=True):
    """A dishonesty record (政务失信记录) and where it stands in rectification and repair."""

    __table_args__ = (UniqueConstraint("source_type", "source_id"),
                      Index("ix_record_public_severity", "public", "severity"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(foreign_key="department.code", index=True, max_length=32)
    official: str | None = Field(default=None, max_length=100)
    category: str = Field(max_length=32)
    severity: str = Field(max_length=16)
    facts: str = Field(sa_column=Column(Text, nullable=False))
    decision_date: date
    rectification_due: date | None = None
    state: str = Field(index=True, max_length=32)
    public: bool = Field(default=False)  # indexed with severity (__table_args__)
    rectification_overdue: bool = False
    explanation: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rectification: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rectification_evidence: list[str] | None = _json()
    commitment_letter: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    repair_decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    mitigation: str | None = Field(default=None, max_length=16)
    mitigation_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    repair_possible_from: date
    publicity_ends: date
    source_type: str | None = Field(default=None, max_length=20)
    source_id: int | None = None
    shared_with: list[str] | None = _json()
    profile_name: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    published_at: datetime | None = _tz()
    closed_at: datetime | None = _tz()
    objection_pending: bool = False  # 异议处理中
    correction_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Objection(SQLModel, table=True):
    """A citizen's objection to published credit information. Personal data never leaves staff views."""

    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    tracking_hash: str = Field(unique=True, max_length=64)
    target_type: str = Field(max_length=20)
    target_id: int
    department_code: str = Field(foreign_key="department.code", index=True, max_length=32)
    applicant_name: str = Field(max_length=100)
    applicant_email: str = Field(max_length=254)
    applicant_phone: str | None = Field(default=None, max_length=30)
    claim: str = Field(sa_column=Column(Text, nullable=False))
    reasons: str = Field(sa_column=Column(Text, nullable=False))
    supplements: list[str] | None = _json()
    state: str = Field(index=True, max_length=32)
    finding: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    department_late: bool = False
    outcome: str | None = Field(default=None, max_length=16)
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    correction: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    profile_name: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = _tz()


class Complaint(SQLModel, table=True):
    """A complaint about a department's dishonest conduct; anonymous ones have no name and no e-mail."""

    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    tracking_hash: str = Field(unique=True, max_length=64)
    department_code: str = Field(foreign_key="department.code", index=True, max_length=32)
    topic: str = Field(max_length=32)
    subject: str = Field(max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    commitment_id: int | None = Field(default=None, index=True)
    complainant_name: str | None = Field(default=None, max_length=100)
    complainant_email: str | None = Field(default=None, max_length=254)
    state: str = Field(index=True, max_length=32)
    response: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    response_evidence: list[str] | None = _json()
    review_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    feedback: str | None = Field(default=None, max_length=16)
    feedback_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reopened: bool = False
    record_id: int | None = None
    profile_name: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = _tz()


class Motion(SQLModel, table=True):
    """A deputy's suggestion or a member's proposal (建议提案, domain/motion.py) and where its handling stands.
    `deputy_contact` is personal data: only the registering office reads it, no page or feed shows it."""

    __table_args__ = {"sqlite_autoincrement": True}  # the id is the workflow id: never reuse one
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    number: str = Field(max_length=64, index=True)
    title: str = Field(max_length=200)
    content: str = Field(sa_column=Column(Text, nullable=False))
    deputy_name: str = Field(max_length=100)
    deputy_contact: str | None = Field(default=None, max_length=254)
    department_code: str = Field(foreign_key="department.code", index=True, max_length=32)  # the lead unit (主办)
    co_departments: list[str] | None = _json()  # 会办单位
    co_opinions: dict[str, Any] | None = _json()  # co-unit → its opinion
    co_late: list[str] | None = _json()  # co-units that sent no opinion in time
    state: str = Field(index=True, max_length=32)
    extended: bool = False  # reply period 6 months, approved by the coordinator
    late: bool = False  # the lead unit missed the reply period (counted against it)
    reopened: bool = False
    reply_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    result_class: str | None = Field(default=None, max_length=1)
    promise: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    promise_due: date | None = None
    approved_by_leader: str | None = Field(default=None, max_length=100)
    replied_at: datetime | None = _tz()
    reply_public: bool = Field(default=False, index=True)
    feedback: str | None = Field(default=None, max_length=32)
    feedback_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    commitment_ids: list[int] | None = _json()  # the commitments its B/C promises became
    created_by: str = Field(max_length=64)
    profile_name: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = _tz()


class CommitmentVersion(SQLModel, table=True):
    """The text a commitment had before an approved amendment (the old text stays visible)."""

    __table_args__ = (UniqueConstraint("commitment_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    version: int
    title: str = Field(max_length=200)
    content: str = Field(sa_column=Column(Text, nullable=False))
    due_date: date
    reason: str = Field(sa_column=Column(Text, nullable=False))
    approved_by: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Milestone(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("commitment_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    seq: int
    title: str = Field(max_length=200)
    due_date: date
    done_at: datetime | None = _tz()
    overdue: bool = False


class DeadlineRow(SQLModel, table=True):
    """One open or closed deadline of a case, as last projected, with its receipt."""

    __tablename__ = "deadline"
    __table_args__ = (UniqueConstraint("case_type", "case_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    case_type: str = Field(max_length=20)
    case_id: int = Field(index=True)
    key: str = Field(max_length=64)
    label: str = Field(max_length=100)
    binds: str = Field(max_length=64)  # department:{code} | credit_office
    department_code: str | None = Field(default=None, index=True, max_length=32)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    provisional: bool = False
    status: str = Field(default="open", index=True, max_length=16)  # open | paused | met | missed | closed
    calendar_version: int = 0
    receipt: dict[str, Any] = _json({})
    spec: dict[str, Any] = _json({})
    reminders: dict[str, Any] | None = _json()  # the offsets it was planned with; {} none; NULL unknown (old row)


class AuditEvent(SQLModel, table=True):
    """Append-only: who, when, what, why. (case_type, case_id, event_key) makes retries write once."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("case_type", "case_id", "event_key"),
                      # a chain cannot fork, even by a bug
                      UniqueConstraint("case_type", "case_id", "seq", name="uq_audit_event_case_seq"))
    id: int | None = Field(default=None, primary_key=True)
    case_type: str = Field(max_length=20)
    case_id: int = Field(index=True)
    event_key: str = Field(max_length=120)
    action: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str | None = Field(default=None, max_length=32)
    actor: str = Field(max_length=64)
    role: str = Field(max_length=20)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    data: dict[str, Any] | None = _json()
    # Tamper evidence (store/audit_chain.py, domain/audit_hash.py): the event's place in its case's chain, the
    # hash of the case's previous event ("" for the first) and the SHA-256 of this row's fields with prev_hash.
    seq: int = Field(default=0)
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class AuditChainHead(SQLModel, table=True):
    """The newest event of each case's chain: every writer of a case locks this row first, so two concurrent
    writers line up instead of both chaining onto the same predecessor."""

    __tablename__ = "audit_chain_head"
    case_type: str = Field(primary_key=True, max_length=20)
    case_id: int = Field(primary_key=True)
    seq: int
    last_hash: str = Field(max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    """One a day: the hash of every audit row with id in (first_id, last_id], chained to the day before; the
    value is published on the portal and in the open data, so a rewrite of the past shows."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True)
    first_id: int | None = None  # None with count 0: nothing new that day; covered: (previous last_id, last_id]
    last_id: int | None = None
    count: int
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SigningKey(SQLModel, table=True):
    """The instance's Ed25519 keys for open-data snapshots. The newest one not retired signs; the public keys
    of retired ones stay listed, so files signed before a rotation still verify. The private key is encrypted
    with a key derived from SECRET_KEY (store/signing.py)."""

    __tablename__ = "signing_key"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(unique=True, max_length=32)
    public_key: str = Field(max_length=64)  # raw 32 bytes, base64
    private_key_pem: str = Field(sa_column=Column(Text, nullable=False))  # PKCS#8, encrypted
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    retired_at: datetime | None = _tz()


class OpenDataSnapshot(SQLModel, table=True):
    """The bytes served for an open-data file and their signature. The newest row of a path is served for a
    minute, by every replica, so a download and its .sig are of the same bytes; older rows keep only hash and
    signature, so `<path>.sig?sha256=` still answers for a file downloaded earlier."""

    __tablename__ = "open_data_snapshot"
    __table_args__ = (UniqueConstraint("path", "sha256"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(max_length=100, index=True)
    sha256: str = Field(max_length=64)
    key_id: str = Field(max_length=32)
    signature: str = Field(max_length=100)  # base64 of the 64-byte Ed25519 signature
    media_type: str = Field(max_length=100)
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    built_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Outbox(SQLModel, table=True):
    """One row per (case, event, recipient): a retried activity never sends twice."""

    __table_args__ = (UniqueConstraint("case_type", "case_id", "event_key", "recipient"),)
    id: int | None = Field(default=None, primary_key=True)
    case_type: str = Field(max_length=20)
    case_id: int = Field(index=True)
    event_key: str = Field(max_length=120)
    recipient: str = Field(max_length=254)
    template: str = Field(max_length=64)
    subject: str = Field(max_length=300)
    text: str = Field(sa_column=Column(Text, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", index=True, max_length=16)  # pending | sending | sent | failed
    claimed_by: str | None = Field(default=None, max_length=200)  # the delivering activity (re-claimed only once stale)
    claimed_at: datetime | None = _tz()
    deliver_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sent_at: datetime | None = _tz()
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    list_unsubscribe: str | None = Field(default=None, max_length=500)  # a follower's mail: its unsubscribe link


class CalendarVersion(SQLModel, table=True):
    __tablename__ = "calendar_version"
    __table_args__ = {"sqlite_autoincrement": True}  # a version number is never reused
    id: int | None = Field(default=None, primary_key=True)
    created_by: str = Field(max_length=64)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CalendarOverride(SQLModel, table=True):
    __tablename__ = "calendar_override"
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="calendar_version.id", index=True)
    day: date = Field(index=True)
    working: bool
    reason: str = Field(sa_column=Column(Text, nullable=False))


class CalendarYear(SQLModel, table=True):
    """A year whose holiday schedule (放假安排) has been entered in full: its days stop being 暂定."""

    __tablename__ = "calendar_year"
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="calendar_version.id", index=True)
    year: int
    reason: str = Field(sa_column=Column(Text, nullable=False))


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=64)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    body: dict[str, Any] | None = _json()
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RateCounter(SQLModel, table=True):
    """Hits of one limit (bucket) by one subject (a client address, an account) in one fixed window.
    Shared by every API replica; incremented atomically with an upsert."""

    __tablename__ = "rate_counter"
    bucket: str = Field(primary_key=True, max_length=32)
    subject: str = Field(primary_key=True, max_length=64)  # sha256 hex: attacker input never stored raw
    window_start: int = Field(primary_key=True)  # unix seconds, a multiple of the window length
    hits: int = 0


class StaffSession(SQLModel, table=True):
    """One login (bearer token or page session): a token is valid only while its row is live, so logout
    and disabling an account take effect at once on every replica."""

    __tablename__ = "staff_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    revoked_at: datetime | None = _tz()


class Follower(SQLModel, table=True):
    """Someone who follows a public commitment, record or department by e-mail (no account). The address is
    personal data: only the change mails use it, no page shows it; lookups go by its keyed hash. A follow
    counts once confirmed (double opt-in) and until unsubscribed; the nonces make old links die with it."""

    __table_args__ = (UniqueConstraint("target_type", "target_id", "email_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    target_type: str = Field(max_length=20)  # commitment | record | department
    target_id: str = Field(max_length=32)  # a case id, or a department code
    email: str = Field(max_length=254)
    email_hash: str = Field(max_length=64, index=True)
    confirm_nonce: str = Field(max_length=32)  # renewed by every follow request: only the newest link confirms
    unsubscribe_nonce: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    confirmed_at: datetime | None = _tz()
    unsubscribed_at: datetime | None = _tz()


class Blob(SQLModel, table=True):
    """The bytes of an evidence file, once per content (sha256): in `blob_chunk` rows, or in ATTACHMENT_DIR."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    stored_in: str = Field(max_length=8)  # db | dir
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class BlobChunk(SQLModel, table=True):
    """A slice of a blob (store/blobs.py CHUNK bytes), so no file is ever read or written whole."""

    __tablename__ = "blob_chunk"
    sha256: str = Field(primary_key=True, foreign_key="blob.sha256", max_length=64)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Attachment(SQLModel, table=True):
    """One uploaded file: its safe name and real type, who uploaded it and, once the step that carries it is
    written, the case and step it belongs to. Unbound rows are an upload not (yet) used by any step."""

    __table_args__ = (Index("ix_attachment_case", "case_type", "case_id"),)
    id: str = Field(primary_key=True, max_length=32)  # random: before it is bound, knowing it is the claim
    sha256: str = Field(foreign_key="blob.sha256", index=True, max_length=64)
    name: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    uploaded_by: str = Field(max_length=64)  # a staff username, or "public"
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    case_type: str | None = Field(default=None, max_length=20)
    case_id: int | None = None
    step: str | None = Field(default=None, max_length=40)  # domain/attachments.py EVIDENCE_STEPS key
    event_key: str | None = Field(default=None, max_length=120)  # the audit event it came with
    bound_at: datetime | None = _tz()
    public: bool = False  # made public by the credit office (department evidence on a public case only)
    public_by: str | None = Field(default=None, max_length=64)
    public_at: datetime | None = _tz()


class IntegrityReport(SQLModel, table=True):
    """A department's periodic integrity report (政务诚信建设情况报送) for one period; its files are attachments
    of step report_submitted. One row per department and period: the opener may run any number of times."""

    __tablename__ = "integrity_report"
    __table_args__ = (UniqueConstraint("department_code", "period_key"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(foreign_key="department.code", index=True, max_length=32)
    period_key: str = Field(index=True, max_length=8)  # 2026Q4, 2026H1, 2026
    kind: str = Field(max_length=8)  # quarter, half, year
    state: str = Field(index=True, max_length=16)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))  # the running due date's end
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    submitted_at: datetime | None = _tz()  # the latest submission
    first_submitted_at: datetime | None = _tz()
    on_time: bool | None = None  # the first submission came by the first due date (None: not submitted)
    overdue: bool = False  # the running due date passed with no report in
    decided_at: datetime | None = _tz()
    return_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    profile_name: str = Field(max_length=32)
    profile_version: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Platform(SQLModel, table=True):
    """A receiving platform this instance pushes to (归集共享, domain/sharing.py): where, as whom, with which
    key, and what it receives. The key is the one the receiver issued; rotating it is replacing it here."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    url: str = Field(max_length=500)  # the receiver's push endpoint
    sender_code: str = Field(max_length=64)  # this instance's name at the receiver
    key_id: str = Field(max_length=40)
    secret: str = Field(max_length=200)
    record_severities: list[str] | None = _json()  # e.g. ["general", "serious"]
    commitments: bool = True
    all_changes: bool = False  # False: only the main steps (domain.sharing.MAIN_CHANGES)
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Delivery(SQLModel, table=True):
    """One change of one item for one platform: queued with the change, sent by its own workflow
    (workflows/delivery.py) until the receiver's signed receipt comes back."""

    __table_args__ = (UniqueConstraint("platform_id", "item_type", "item_id", "event_key"),)
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True, max_length=64)  # the delivery id the receiver keys on
    platform_id: int = Field(foreign_key="platform.id", index=True)
    item_type: str = Field(max_length=20)
    item_id: int
    event_key: str = Field(max_length=120)
    version: int
    retract: bool = False
    body: str = Field(sa_column=Column(Text, nullable=False))  # the exact JSON sent (signed per attempt)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime | None = _tz()  # a retraction must arrive by then (profile: notify_platforms)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_attempt_at: datetime | None = _tz()
    delivered_at: datetime | None = _tz(index=True)
    receipt: dict[str, Any] | None = _json()
    escalated_at: datetime | None = _tz()


class Sender(SQLModel, table=True):
    """A subordinate instance that pushes to this one."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SenderKey(SQLModel, table=True):
    """A key issued to a sender; several may be valid at once while one is rotated out."""

    id: int | None = Field(default=None, primary_key=True)
    sender_id: int = Field(foreign_key="sender.id", index=True)
    key_id: str = Field(unique=True, max_length=40)
    secret: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    retired_at: datetime | None = _tz()


class ForeignItem(SQLModel, table=True):
    """A sender's record or commitment as it last told us (newest version wins); shown with its source."""

    __table_args__ = (UniqueConstraint("sender_id", "item_type", "remote_id"),)
    id: int | None = Field(default=None, primary_key=True)
    sender_id: int = Field(foreign_key="sender.id", index=True)
    item_type: str = Field(max_length=20)
    remote_id: int
    version: int
    public: bool = Field(default=True, index=True)
    title: str = Field(max_length=300)
    department_name: str = Field(max_length=100)
    state_label: str = Field(max_length=40)
    url: str | None = Field(default=None, max_length=500)
    data: dict[str, Any] | None = _json()
    changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class InboundDelivery(SQLModel, table=True):
    """Every delivery id a sender used, with the receipt we gave: a repeat gets the same receipt, nothing more."""

    __table_args__ = (UniqueConstraint("sender_id", "uid"),)
    id: int | None = Field(default=None, primary_key=True)
    sender_id: int = Field(foreign_key="sender.id", index=True)
    uid: str = Field(max_length=64)
    body_sha256: str = Field(max_length=64)
    status: str = Field(max_length=16)
    receipt: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReportPeriod(SQLModel, table=True):
    """A past monitoring period whose figures are stored (api/report_figures.py): a past period never changes, so
    they are computed from the audit log once. `token` is new each time the row is written, so a process that
    cached the figures knows they are still the ones stored."""

    __tablename__ = "report_period"
    period_key: str = Field(primary_key=True, max_length=10)  # 2026Q4, 2026-11, 2026
    token: str = Field(max_length=32)
    events: int  # audit events read to compute it
    computed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReportCount(SQLModel, table=True):
    """One stored figure of a past period for one department: the cases it counted (domain/report.py `Figures.cases`;
    `name` is the count, or `{case_type}:{count}` for answers), so both the count and the cases behind it are read
    without the log."""

    __tablename__ = "report_count"
    __table_args__ = (UniqueConstraint("period_key", "department_code", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    period_key: str = Field(foreign_key="report_period.period_key", max_length=10)
    department_code: str = Field(max_length=32)
    name: str = Field(max_length=60)
    value: int
    case_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))


class ReportLive(SQLModel, table=True):
    """The last counted figures of a period still open to new events (api/report_figures.py), with the log's newest
    event they include and the ids of the events just below it that they include, so a process that starts reads
    them and recounts only the cases with events since, instead of counting the whole period. `counted_at` is when
    the whole count they grew from was made: a count older than an hour is made again (a commit later than the
    window of ids kept would otherwise stay out)."""

    __tablename__ = "report_live"
    period_key: str = Field(primary_key=True, max_length=10)
    newest_id: int
    newest_hash: str = Field(max_length=64)
    departments: list[str] = Field(sa_column=Column(JSON, nullable=False))
    seen: list[int] = Field(sa_column=Column(JSON, nullable=False))
    figures: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    counted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    saved_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
