"""Open-data JSON bodies: the public fields of commitments and records (the same columns as the CSV files)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class OpenCommitment(BaseModel):
    id: int
    department: str
    department_name: str | None
    kind_label: str
    title: str
    due_date: date
    state: str
    state_label: str
    overdue: bool
    amended: bool
    objection_pending: bool
    published_at: datetime | None


class OpenRecord(BaseModel):
    id: int
    subject_department: str
    department_name: str | None
    category_label: str
    severity_label: str
    state: str
    state_label: str
    rectification_overdue: bool
    decision_date: date
    publicity_ends: date
    objection_pending: bool


class SigningKeyOut(BaseModel):
    """One open-data signing key: the raw Ed25519 public key (base64) and the same as PEM."""

    key_id: str
    algorithm: str
    public_key: str
    public_key_pem: str
    created_at: datetime
    status: str
    retired_at: datetime | None


class SigningKeys(BaseModel):
    """The keys that sign the open-data files, newest first; `status` says which one signs now."""

    algorithm: str
    keys: list[SigningKeyOut]
