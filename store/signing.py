"""Ed25519 signatures of the open-data files, and the stored snapshots that make a download and its `.sig`
the same bytes.

Keys: the newest key not retired signs; `rotate` retires it and makes a new one, and every public key stays
listed (`/open-data/keys.json`), so files signed before a rotation still verify. The private key is kept in
the database, encrypted (PKCS#8) with a password derived from SECRET_KEY: a database dump alone cannot sign,
and every API replica can. Changing SECRET_KEY therefore needs `chengxin keys rotate`.

Snapshots: a file's bytes are built at most once a minute per path and stored with their signature; every
replica serves the newest stored bytes during that minute. Ed25519 signatures are deterministic, and old
rows keep their hash and signature, so `<path>.sig?sha256=<hash of the downloaded file>` answers for a file
downloaded an hour ago too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.settings import get_settings
from store.models import OpenDataSnapshot, SigningKey

SNAPSHOT_SECONDS = 60


def _password() -> bytes:
    return hmac.new(get_settings().secret_key.encode(), b"chengxin open-data signing key", hashlib.sha256).digest()


def _new_key(session: Session, now: datetime) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(_password()))
    key = SigningKey(key_id=f"{now:%Y%m%d}-{secrets.token_hex(4)}", public_key=base64.b64encode(raw).decode(),
                     private_key_pem=pem.decode(), created_at=now)
    session.add(key)
    session.flush()
    return key


def active_key(session: Session, now: datetime) -> SigningKey:
    """The signing key (created on first use). Two replicas creating one at once both succeed; the newer one
    signs from then on and the other is listed as retired, so what it signed still verifies."""
    key = session.exec(select(SigningKey).where(col(SigningKey.retired_at).is_(None))
                       .order_by(col(SigningKey.id).desc())).first()
    return key if key is not None else _new_key(session, now)


def rotate(session: Session, now: datetime) -> SigningKey:
    for key in session.exec(select(SigningKey).where(col(SigningKey.retired_at).is_(None))):
        key.retired_at = now
        session.add(key)
    session.flush()
    return _new_key(session, now)


def sign(key: SigningKey, body: bytes) -> str:
    private = serialization.load_pem_private_key(key.private_key_pem.encode(), _password())
    assert isinstance(private, Ed25519PrivateKey)
    return base64.b64encode(private.sign(body)).decode()


def public_keys(session: Session) -> list[dict[str, Any]]:
    """Every key, newest first: id, algorithm, the raw public key (base64) and as PEM, and whether it signs."""
    keys = list(session.exec(select(SigningKey).order_by(col(SigningKey.id).desc())))
    active = next((k.id for k in keys if k.retired_at is None), None)
    out = []
    for k in keys:
        pem = serialization.load_der_public_key(_spki(k.public_key)).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        out.append({"key_id": k.key_id, "algorithm": "Ed25519", "public_key": k.public_key, "public_key_pem": pem,
                    "created_at": k.created_at.isoformat(), "status": "active" if k.id == active else "retired",
                    "retired_at": k.retired_at.isoformat() if k.retired_at and k.id != active else None})
    return out


def _spki(raw_b64: str) -> bytes:
    """DER SubjectPublicKeyInfo of a raw Ed25519 key (RFC 8410): fixed prefix + the 32 bytes."""
    return bytes.fromhex("302a300506032b6570032100") + base64.b64decode(raw_b64)


def snapshot(session: Session, path: str, media_type: str, build: Callable[[], bytes],
             now: datetime) -> OpenDataSnapshot:
    """The bytes to serve for `path` now, signed: the stored ones if built within the minute, else built anew
    (unchanged bytes keep their row, signature and hash)."""
    latest = _latest(session, path)
    if latest is not None and now - latest.built_at < timedelta(seconds=SNAPSHOT_SECONDS):
        return latest
    body = build()
    digest = hashlib.sha256(body).hexdigest()
    row = session.exec(select(OpenDataSnapshot).where(OpenDataSnapshot.path == path,
                                                      OpenDataSnapshot.sha256 == digest)).first()
    if latest is not None and latest is not row:
        latest.body = None  # superseded: keep its hash and signature only
        session.add(latest)
    if row is None:
        key = active_key(session, now)
        row = OpenDataSnapshot(path=path, sha256=digest, key_id=key.key_id, signature=sign(key, body),
                               media_type=media_type, body=body, built_at=now)
        try:
            with session.begin_nested():  # another replica built the same bytes at the same moment
                session.add(row)
        except IntegrityError:
            return snapshot(session, path, media_type, build, now)
    else:
        row.body, row.built_at = body, now
        session.add(row)
    session.commit()
    return row


def _latest(session: Session, path: str) -> OpenDataSnapshot | None:
    return session.exec(select(OpenDataSnapshot).where(OpenDataSnapshot.path == path,
                                                       col(OpenDataSnapshot.body).is_not(None))
                        .order_by(col(OpenDataSnapshot.built_at).desc(), col(OpenDataSnapshot.id).desc())).first()


def signature_of(session: Session, path: str, sha256: str) -> OpenDataSnapshot | None:
    return session.exec(select(OpenDataSnapshot).where(OpenDataSnapshot.path == path,
                                                       OpenDataSnapshot.sha256 == sha256.lower())).first()
