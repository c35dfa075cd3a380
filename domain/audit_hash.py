"""The hashes of the tamper-evident audit log, as pure functions: the migration that back-fills existing rows,
the writer and `chengxin audit verify` must compute exactly the same bytes, so they are defined once here.

Version 1 (the `v` field) is frozen: a change of format is a new version, never an edit of this one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

GENESIS = ""  # prev_hash of a case's first event
HASH_VERSION = 1
EVENT_FIELDS = ("case_type", "case_id", "seq", "event_key", "action", "from_state", "to_state", "actor", "role",
                "reason", "at", "data")


def utc_iso(at: datetime) -> str:
    """An instant as stored: UTC, microseconds, so SQLite and PostgreSQL give the same text."""
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def json_normal(data: Any) -> Any:
    """`data` as the JSON column gives it back (tuples become lists, dates strings), so the hash computed
    before the insert equals the one computed from the stored row."""
    if data is None:
        return None
    return json.loads(json.dumps(data, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def canonical(fields: Mapping[str, Any], prev_hash: str) -> bytes:
    """The bytes that are hashed: one JSON object with sorted keys and no spaces (the row id is left out, so a
    restored dump with other ids still verifies; `seq` is in, so a removed row leaves a gap)."""
    body: dict[str, Any] = {name: fields.get(name) for name in EVENT_FIELDS}
    body["at"] = utc_iso(fields["at"]) if isinstance(fields["at"], datetime) else fields["at"]
    body["data"] = json_normal(fields.get("data")) or None
    body["prev_hash"] = prev_hash
    body["v"] = HASH_VERSION
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(fields, prev_hash)).hexdigest()


def checkpoint_hash(prev_hash: str, day: date, first_id: int | None, last_id: int | None,
                    row_hashes: Iterable[str]) -> str:
    """SHA-256 over the previous checkpoint's hash, what this one claims (day, id range, count) and each covered
    row's hash in id order: publishing this one value pins every row up to `last_id`."""
    digest = hashlib.sha256()
    hashes = list(row_hashes)
    digest.update(f"v{HASH_VERSION}\n{prev_hash}\n{day.isoformat()}\n{first_id}\n{last_id}\n{len(hashes)}\n"
                  .encode("ascii"))
    for h in hashes:
        digest.update(h.encode("ascii") + b"\n")
    return digest.hexdigest()
