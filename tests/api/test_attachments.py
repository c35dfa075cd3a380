"""Evidence files over HTTP: upload checked by content, deduplicated by hash, bound to the step that names
them, downloaded with safe headers by exactly those the table allows, and made public only by the credit
office and only for a department's evidence."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from domain.settings import get_settings
from store.db import session_scope
from store.models import Attachment, Blob, BlobChunk
from tests.api.test_commitments_api import PROBLEM, body, settled
from tests.api.test_records_api import _wait, record_body

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


def _package(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return out.getvalue()


DOCX = _package("[Content_Types].xml", "word/document.xml")
DOCM = _package("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin")
PLAIN_ZIP = _package("setup.exe")


def _stored_files(root: Path) -> dict[str, bytes]:
    """Every file under `root` (a half-written `.part` would show here too)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def count(model: type) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def upload(api, headers, *files: tuple[str, bytes]):  # type: ignore[no-untyped-def]
    return await api.post("/api/attachments", files=[("files", (n, b, "application/octet-stream")) for n, b in files],
                          headers=headers)


async def _published(api, tokens) -> int:  # type: ignore[no-untyped-def]
    r = await api.post("/api/commitments", json=body(), headers=tokens["fgw"])
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    return cid


async def test_types_are_told_by_content_and_a_refused_request_stores_nothing(api, tokens) -> None:
    for name, data in [("报告.pdf", HTML), ("图.png", SVG), ("方案.docx", DOCM), ("材料.pdf", PLAIN_ZIP),
                       ("run.pdf", b"MZ\x90\x00" + b"\x00" * 60)]:
        r = await upload(api, tokens["fgw"], ("好.pdf", PDF), (name, data))
        assert r.status_code == 415, (name, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        assert name in r.json()["detail"] and "PDF" in r.json()["detail"]
    r = await upload(api, tokens["fgw"], ("空.pdf", b""))
    assert r.status_code == 422 and "空" in r.json()["detail"]
    r = await upload(api, tokens["fgw"], *[(f"{i}.pdf", PDF + bytes([i])) for i in range(11)])
    assert r.status_code == 422 and "10" in r.json()["detail"]
    assert count(Attachment) == count(Blob) == count(BlobChunk) == 0  # not half-written

    r = await upload(api, tokens["fgw"], ("../../etc/办件清单:*?.PDF", PDF), ("表.docx", DOCX), ("照片", PNG))
    assert r.status_code == 201, r.text
    names = [a["name"] for a in r.json()["attachments"]]
    assert names == ["办件清单_.pdf", "表.docx", "照片.png"]
    assert r.json()["attachments"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()


async def test_too_large_is_413_before_anything_is_stored(api, tokens, monkeypatch) -> None:
    monkeypatch.setenv("ATTACHMENT_MAX_MB", "1")
    get_settings.cache_clear()
    try:
        r = await upload(api, tokens["fgw"], ("大.pdf", PDF + b"0" * (1024 * 1024)))
        assert r.status_code == 413, r.text
        assert "1 MB" in r.json()["detail"]
        assert count(Attachment) == count(Blob) == 0
    finally:
        monkeypatch.delenv("ATTACHMENT_MAX_MB")
        get_settings.cache_clear()
    big = PDF + b"1" * (3 * 1024 * 1024)  # above the 1 MB JSON limit, within the 20 MB per file
    r = await upload(api, tokens["fgw"], ("大.pdf", big))
    assert r.status_code == 201, r.text
    assert count(BlobChunk) > 1  # stored in slices, not one value


async def test_fulfilment_files_reach_the_verifier_and_the_public_only_when_published(api, tokens) -> None:
    cid = await _published(api, tokens)
    first = (await upload(api, tokens["fgw"], ("办件清单.pdf", PDF))).json()["attachments"][0]
    again = (await upload(api, tokens["fgw"], ("办件清单（副本）.pdf", PDF))).json()["attachments"][0]
    assert first["sha256"] == again["sha256"] and count(Blob) == 1  # the same bytes are stored once
    scjg_upload = (await upload(api, tokens["scjg"], ("别人的.pdf", PNG))).json()["attachments"][0]

    r = await api.post(f"/api/commitments/{cid}/fulfilment", headers=tokens["fgw"],
                       json={"report": "已全部办结", "attachments": [scjg_upload["id"]]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "attachments"
    r = await api.post(f"/api/commitments/{cid}/fulfilment", headers=tokens["fgw"],
                       json={"report": "已全部办结", "attachments": [first["id"]]})
    assert r.status_code == 200, r.text

    listed = (await api.get(f"/api/commitments/{cid}", headers=tokens["xyb"])).json()["attachments"]
    assert [(a["name"], a["step_label"], a["public"]) for a in listed] == [("办件清单.pdf", "履行情况证明材料", False)]
    d = await api.get(f"/api/attachments/{first['id']}", headers=tokens["xyb"])
    assert d.status_code == 200 and d.content == PDF
    assert d.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%8A%9E%E4%BB%B6%E6%B8%85%E5%8D%95.pdf" in d.headers["content-disposition"]
    assert d.headers["x-content-type-options"] == "nosniff"
    assert d.headers["x-content-sha256"] == hashlib.sha256(PDF).hexdigest()
    assert d.headers["content-type"] == "application/pdf"

    assert (await api.get(f"/api/attachments/{first['id']}", headers=tokens["fgw"])).status_code == 200
    assert (await api.get(f"/api/attachments/{first['id']}", headers=tokens["scjg"])).status_code == 404
    assert (await api.get(f"/api/attachments/{first['id']}")).status_code == 404
    assert (await api.get(f"/api/commitments/{cid}")).json()["attachments"] == []
    assert (await api.get(f"/api/attachments/{again['id']}", headers=tokens["fgw"])).status_code == 404  # unbound

    r = await api.post(f"/api/commitments/{cid}/milestones/1/completion", headers=tokens["fgw"],
                       json={"attachments": [first["id"]]})
    assert r.status_code == 422  # a step takes each upload once

    assert (await api.post(f"/api/attachments/{first['id']}/publicity", json={"public": True},
                           headers=tokens["fgw"])).status_code == 403
    r = await api.post(f"/api/attachments/{first['id']}/publicity", json={"public": True}, headers=tokens["xyb"])
    assert r.status_code == 200 and r.json()["public"] is True
    assert [a["name"] for a in (await api.get(f"/api/commitments/{cid}")).json()["attachments"]] == ["办件清单.pdf"]
    assert (await api.get(f"/api/attachments/{first['id']}")).content == PDF


async def test_a_complainants_files_never_reach_the_accused_department_nor_the_public(api, tokens) -> None:
    proof = (await upload(api, {}, ("聊天记录.png", PNG))).json()["attachments"][0]
    r = await api.post("/api/complaints", json={"department": "fgw", "subject": "拖欠工程款", "description": "d",
                                                "attachments": [proof["id"]]})
    assert r.status_code == 201, r.text
    kid = r.json()["id"]
    staff = (await api.get(f"/api/complaints/{kid}", headers=tokens["xyb"])).json()
    assert [a["name"] for a in staff["attachments"]] == ["聊天记录.png"]
    assert (await api.get(f"/api/attachments/{proof['id']}", headers=tokens["xyb"])).status_code == 200
    assert (await api.get(f"/api/attachments/{proof['id']}", headers=tokens["fgw"])).status_code == 404
    assert (await api.get(f"/api/attachments/{proof['id']}")).status_code == 404
    r = await api.post(f"/api/attachments/{proof['id']}/publicity", json={"public": True}, headers=tokens["xyb"])
    assert r.status_code == 409 and "个人信息" in r.json()["detail"]

    rid = (await api.post("/api/records", json=record_body(), headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published")
    evidence = (await upload(api, {}, ("付款凭证.pdf", PDF))).json()["attachments"][0]
    r = await api.post("/api/objections", json={"target_type": "record", "target_id": rid, "applicant_name": "张三",
                                                "applicant_email": "z@example.com", "claim": "已付清",
                                                "reasons": "见凭证", "attachments": [evidence["id"]]})
    assert r.status_code == 201, r.text
    # the source department verifies an objection (processes.md §4): it reads the applicant's proof
    assert (await api.get(f"/api/attachments/{evidence['id']}", headers=tokens["fgw"])).status_code == 200
    assert (await api.get(f"/api/attachments/{evidence['id']}", headers=tokens["scjg"])).status_code == 404


async def test_attachment_dir_keeps_the_bytes_on_the_shared_file_system(api, tokens, monkeypatch,
                                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("ATTACHMENT_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        cid = await _published(api, tokens)
        up = (await upload(api, tokens["fgw"], ("整改报告.pdf", PDF))).json()["attachments"][0]
        assert _stored_files(tmp_path) == {f"{up['sha256'][:2]}/{up['sha256']}": PDF} and count(BlobChunk) == 0
        r = await api.post(f"/api/commitments/{cid}/fulfilment", headers=tokens["fgw"],
                           json={"report": "完成", "attachments": [up["id"]]})
        assert r.status_code == 200, r.text
        assert (await api.get(f"/api/attachments/{up['id']}", headers=tokens["xyb"])).content == PDF
    finally:
        monkeypatch.delenv("ATTACHMENT_DIR")
        get_settings.cache_clear()


@pytest.mark.parametrize("path", ["/api/attachments/nope", "/files/nope", "/files/nope?e=99999999999&s=00"])
async def test_unknown_or_forged_links_are_404(api, path: str) -> None:
    assert (await api.get(path)).status_code == 404


async def test_an_upload_no_step_took_within_a_day_is_forgotten_with_its_bytes(api, tokens) -> None:
    old = (await upload(api, tokens["fgw"], ("草稿.pdf", PDF))).json()["attachments"][0]
    with session_scope() as session:
        row = session.get(Attachment, old["id"])
        assert row is not None
        row.created_at = row.created_at - timedelta(days=2)
        session.add(row)
    r = await upload(api, tokens["fgw"], ("新图.png", PNG))
    assert r.status_code == 201
    with session_scope() as session:
        assert session.get(Attachment, old["id"]) is None and session.get(Blob, old["sha256"]) is None
    assert count(Attachment) == count(Blob) == 1
