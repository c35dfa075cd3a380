"""Content-addressed bytes of evidence files: in the database (default: every API replica and worker reads the
same rows) or in ATTACHMENT_DIR (a shared file system). Written and read in CHUNK-sized slices, so a 20 MB file
never sits whole in memory."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import delete
from sqlmodel import Session, col, select

from domain.settings import get_settings
from store.db import get_engine
from store.models import Attachment, Blob, BlobChunk

CHUNK = 256 * 1024


def digest(file: IO[bytes]) -> tuple[str, int]:
    """sha256 (hex) and size of `file`, read in slices; leaves it at its start."""
    file.seek(0)
    h = hashlib.sha256()
    size = 0
    while block := file.read(CHUNK):
        h.update(block)
        size += len(block)
    file.seek(0)
    return h.hexdigest(), size


def _dir() -> Path | None:
    name = get_settings().attachment_dir
    return Path(name) if name else None


def _path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def put(session: Session, file: IO[bytes], sha256: str, size: int) -> None:
    """Store the bytes of `file` under `sha256` unless they are stored already (deduplicated). Database chunks
    join the caller's transaction, so a refused or failed upload leaves none behind; a file in ATTACHMENT_DIR is
    written to a temporary name and renamed into place, so no reader sees half of it."""
    if session.get(Blob, sha256) is not None:
        return
    root = _dir()
    session.add(Blob(sha256=sha256, size=size, stored_in="dir" if root else "db", created_at=datetime.now(UTC)))
    session.flush()
    file.seek(0)
    if root is None:
        seq = 0
        while block := file.read(CHUNK):
            session.add(BlobChunk(sha256=sha256, seq=seq, data=block))
            seq += 1
            if seq % 8 == 0:
                session.flush()  # hand the slices to the database as they come, not all at the end
        return
    target = _path(root, sha256)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{sha256}.{secrets.token_hex(4)}.part")
    with partial.open("wb") as out:
        while block := file.read(CHUNK):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)


def read(sha256: str) -> Iterator[bytes]:
    """The stored bytes in slices, each fetched on its own: a download holds one slice and no connection
    between them."""
    with Session(get_engine()) as session:
        blob = session.get(Blob, sha256)
        if blob is None:
            raise LookupError(sha256)
        stored_in = blob.stored_in
    if stored_in == "dir":
        root = _dir()
        if root is None:
            raise LookupError(f"{sha256} is in ATTACHMENT_DIR, which is not set")
        with _path(root, sha256).open("rb") as f:
            while block := f.read(CHUNK):
                yield block
        return
    seq = 0
    while True:
        with Session(get_engine()) as session:
            data = session.exec(select(BlobChunk.data).where(
                BlobChunk.sha256 == sha256, BlobChunk.seq == seq)).first()
        if data is None:
            return
        yield data
        seq += 1


def forget_unreferenced(session: Session, sha256s: set[str]) -> None:
    """Delete the bytes of these hashes that no attachment uses any more (after stale uploads are purged).
    Files in ATTACHMENT_DIR stay: another replica may be renaming the same content into place."""
    for sha in sha256s:
        if session.exec(select(Attachment.id).where(Attachment.sha256 == sha)).first() is not None:
            continue
        session.execute(delete(BlobChunk).where(col(BlobChunk.sha256) == sha))
        blob = session.get(Blob, sha)
        if blob is not None:
            session.delete(blob)
