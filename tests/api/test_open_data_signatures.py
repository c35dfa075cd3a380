"""Signed open data: a downloaded file, its `.sig` and the published key verify with `cryptography`, one changed
byte does not; within the minute every download is the same bytes; after a rotation the old key stays listed
and a file downloaded before it still has its signature; the audit checkpoints are published."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from api.cli import main
from store import signing
from store.audit_chain import write_checkpoint
from store.db import session_scope


def _openssl_verifies(tmp_path: Path, data: bytes, sig_b64: str, pem: str) -> bool:
    """The command /open-data/verify shows, run as written there (base64 -d, then openssl pkeyutl -verify)."""
    (tmp_path / "f.json").write_bytes(data)
    (tmp_path / "f.json.sig").write_text(sig_b64)
    (tmp_path / "public.pem").write_text(pem)
    subprocess.run("base64 -d f.json.sig > f.json.sig.bin", shell=True, cwd=tmp_path, check=True)
    return subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public.pem", "-rawin",
                           "-in", "f.json", "-sigfile", "f.json.sig.bin"], cwd=tmp_path,
                          capture_output=True).returncode == 0


def _check(data: bytes, sig_b64: str, key: dict[str, str]) -> None:
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])).verify(base64.b64decode(sig_b64), data)


async def test_download_its_signature_and_the_key_verify_and_a_changed_byte_does_not(api, monkeypatch,
                                                                                      tmp_path) -> None:
    for name in ["commitments.json", "records.json", "commitments.csv", "records.csv", "audit-checkpoints.json"]:
        r = await api.get(f"/open-data/{name}")
        assert r.status_code == 200 and r.headers["x-content-sha256"] == hashlib.sha256(r.content).hexdigest()
        sig = (await api.get(f"/open-data/{name}.sig")).text.strip()
        keys = (await api.get("/open-data/keys.json")).json()["keys"]
        assert [k["status"] for k in keys] == ["active"] and keys[0]["key_id"] == r.headers["x-signature-key-id"]
        _check(r.content, sig, keys[0])
        pem = load_pem_public_key(keys[0]["public_key_pem"].encode())  # the PEM is the same key, for openssl
        assert isinstance(pem, Ed25519PublicKey)
        pem.verify(base64.b64decode(sig), r.content)
        tampered = bytearray(r.content)
        tampered[len(tampered) // 2] ^= 0x01
        with pytest.raises(InvalidSignature):
            _check(bytes(tampered), sig, keys[0])
        if shutil.which("openssl") and name == "commitments.json":
            assert _openssl_verifies(tmp_path, r.content, sig, keys[0]["public_key_pem"])
            assert not _openssl_verifies(tmp_path, bytes(tampered), sig, keys[0]["public_key_pem"])
    assert (await api.get("/open-data/commitments.json")).json()["audit_checkpoint"] is None
    assert (await api.get("/open-data/nothing.json.sig")).status_code == 404

    before = await api.get("/open-data/audit-checkpoints.json")
    assert before.json() == {"items": [], "total": 0, "audit_checkpoint": None}
    assert main(["department", "add", "jyj", "--name", "市教育局", "--email", "jyj@test.local"]) == 0
    with session_scope() as s:
        cp = write_checkpoint(s, date(2026, 12, 3), datetime.now(UTC) + timedelta(minutes=10))
    same = await api.get("/open-data/audit-checkpoints.json")
    assert same.content == before.content  # within the minute: the same bytes, so the .sig fetched later matches

    monkeypatch.setattr(signing, "SNAPSHOT_SECONDS", 0)  # the minute is over
    assert main(["keys", "rotate"]) == 0
    after = await api.get("/open-data/audit-checkpoints.json")
    published = after.json()
    assert published["items"][0] == {"day": "2026-12-03", "hash": cp.hash, "prev_hash": "", "count": 1,
                                     "first_id": cp.first_id, "last_id": cp.last_id}
    assert published["audit_checkpoint"] == published["items"][0]
    assert (await api.get("/open-data/records.json")).json()["audit_checkpoint"]["hash"] == cp.hash
    keys = (await api.get("/open-data/keys.json")).json()["keys"]
    assert [k["status"] for k in keys] == ["active", "retired"] and keys[1]["retired_at"]
    _check(after.content, (await api.get("/open-data/audit-checkpoints.json.sig")).text, keys[0])
    old_sha = hashlib.sha256(before.content).hexdigest()
    old = await api.get("/open-data/audit-checkpoints.json.sig", params={"sha256": old_sha})
    assert old.status_code == 200 and old.headers["x-signature-key-id"] == keys[1]["key_id"]
    _check(before.content, old.text, keys[1])  # downloaded before the rotation: still verifies with the old key
    unknown = await api.get("/open-data/audit-checkpoints.json.sig", params={"sha256": "0" * 64})
    assert unknown.status_code == 404


async def test_the_portal_shows_the_checkpoint_and_how_to_check_a_file(api) -> None:
    with session_scope() as s:
        cp = write_checkpoint(s, date(2026, 12, 3), datetime.now(UTC) + timedelta(minutes=10))
    page = (await api.get("/open-data")).text
    assert "审计链校验值" in page and cp.hash in page and "2026年12月3日" in page
    verify_page = (await api.get("/open-data/verify")).text
    assert "openssl pkeyutl -verify" in verify_page and "/open-data/keys.json" in verify_page
    with session_scope() as s:
        key = signing.active_key(s, datetime.now(UTC))
    assert key.public_key in verify_page
