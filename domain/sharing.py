"""归集共享 (../shared/spec/processes.md §11): the wire format between a sending and a receiving Chengxin, how it
is signed, and which change of which item goes to which platform — one table read by the sender's activity,
the receiver's endpoint, the admin pages and the tests.

A push carries one change of one public item as the sender shows it publicly *now* (a snapshot, never a
diff), so a receiver that missed or reordered pushes still ends up right: it keeps the newest `version` (the
sender's audit event id, which only grows) and ignores an older one. A retraction (`retract`) says the item
left public view (repaired, revoked, expired, publication stopped, withdrawn); the receiver hides it.

Signing is HMAC-SHA256 over `"{timestamp}.{body}"` with a key the receiver issued to the sender (key id +
secret); the receiver accepts any key of that sender not yet retired, so a key is rotated by issuing a new
one, switching the sender to it, then retiring the old. A timestamp more than `MAX_SKEW` away is refused, so a
captured request cannot be replayed later; within that window a repeated delivery id changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_SKEW_SECONDS = 300
# HTTP headers of a signed push (and of its signed receipt)
KEY_HEADER = "X-Chengxin-Key"
TIMESTAMP_HEADER = "X-Chengxin-Timestamp"
SIGNATURE_HEADER = "X-Chengxin-Signature"

ItemType = Literal["record", "commitment"]
ReceiptStatus = Literal["applied", "superseded"]  # superseded: a newer version of the item was already held
ITEM_TYPE_ZH: dict[str, str] = {"record": "失信记录", "commitment": "政务承诺"}

# Changes (audit actions, domain/events.py) a platform receives even when it asked only for the main ones: the
# steps the plans name (a record published, rectified, repaired, revoked, expired; a commitment published,
# breached, fulfilled), and what corrects or withdraws them.
MAIN_CHANGES: dict[str, frozenset[str]] = {
    "record": frozenset({"published", "rectification_verified", "repaired", "revoked", "expired", "unpublished",
                         "corrected"}),
    "commitment": frozenset({"published", "verified_accepted", "breached", "withdrawn", "amendment_approved",
                             "commitment_status_corrected", "commitment_status_revoked"}),
}
# States in which an item is no longer public: a push in one of them is a retraction.
RETRACTED_STATES: dict[str, frozenset[str]] = {
    "record": frozenset({"repaired", "revoked", "expired", "unpublished"}),
    "commitment": frozenset({"withdrawn", "draft"}),
}


class PushItem(BaseModel):
    """The public face of the item at the sender (what its own portal shows), never personal data."""

    title: str = Field(max_length=300)
    department_code: str = Field(max_length=32)
    department_name: str = Field(max_length=100)
    state: str = Field(max_length=32)
    state_label: str = Field(max_length=40)
    fields: dict[str, str | int | bool | None] = Field(default_factory=dict)  # labelled public details


class Push(BaseModel):
    """One change of one item, as sent. `delivery_id` is what the receiver keys on (idempotency)."""

    schema_version: Literal["chengxin.push/1"] = "chengxin.push/1"
    delivery_id: str = Field(min_length=8, max_length=64)
    sender: str = Field(max_length=64)
    item_type: ItemType
    item_id: int
    version: int  # the sender's audit event id of the change: only grows
    change: str = Field(max_length=40)
    change_label: str = Field(max_length=40)
    changed_at: datetime
    retract: bool
    url: str | None = Field(default=None, max_length=500)  # the item's public page at the sender
    item: PushItem | None = None  # None for a retraction


class Receipt(BaseModel):
    """What the receiver answers, signed with the same key: the sender stores it as proof of delivery."""

    schema_version: Literal["chengxin.receipt/1"] = "chengxin.receipt/1"
    delivery_id: str
    receiver: str
    sender: str
    item_type: ItemType
    item_id: int
    version: int
    status: ReceiptStatus
    received_at: datetime


def platform_receives(item_type: str, severity: str | None, action: str, *, record_severities: list[str],
                      commitments: bool, all_changes: bool) -> bool:
    """Whether a platform registered with these choices gets this change of this item."""
    if item_type == "record":
        wanted = severity in record_severities
    elif item_type == "commitment":
        wanted = commitments
    else:
        return False
    return wanted and (all_changes or action in MAIN_CHANGES[item_type])


def is_retraction(item_type: str, state: str, public: bool) -> bool:
    return not public or state in RETRACTED_STATES.get(item_type, frozenset())


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_ok(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def new_key() -> tuple[str, str]:
    """A key the receiver issues to a sender: (key id, secret)."""
    return "k-" + secrets.token_hex(6), secrets.token_urlsafe(32)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def receipt_headers(secret: str, key_id: str, timestamp: int, body: bytes) -> dict[str, Any]:
    return {KEY_HEADER: key_id, TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}
