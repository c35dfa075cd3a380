"""Evidence files through the pages (multipart forms, no JavaScript): a department attaches a rectification
report, the credit office sees it with its hash and makes it public, the public page lists it; a renamed HTML
file is refused on the form with nothing stored; a complainant's proof goes through check-your-answers to the
credit office, never to the accused department."""

from __future__ import annotations

import hashlib
import re

from sqlmodel import func, select

from store.db import session_scope
from store.models import Attachment, AuditEvent, Objection
from tests.api.test_attachments import HTML, PDF, PNG
from tests.api.test_citizen_forms import file_form
from tests.api.test_citizens_api import _published_record
from tests.api.test_staff_forms import _nonce
from tests.api.test_staff_pages import _login


def count(model: type) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def test_rectification_report_uploaded_on_the_form_reaches_the_public_page(api, tokens) -> None:
    rid = await _published_record(api, tokens)
    csrf = await _login(api, "fgw")
    page = await api.get(f"/staff/records/{rid}")
    assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
    assert "每个文件不超过 20 MB" in page.text
    events = count(AuditEvent)

    form = {"csrf": csrf, "explanation": "资金拨付滞后", "nonce": _nonce(page.text, "explanation")}
    refused = await api.post(f"/staff/records/{rid}/explanation", data=form,
                             files=[("attachments", ("说明.pdf", HTML, "application/pdf"))])
    assert refused.status_code == 422
    assert "说明.pdf" in refused.text and "不是可接受的类型" in refused.text
    assert 'value="资金拨付滞后"' in refused.text or "资金拨付滞后</textarea>" in refused.text
    assert count(Attachment) == 0 and count(AuditEvent) == events

    r = await api.post(f"/staff/records/{rid}/explanation", data=form,
                       files=[("attachments", ("书面说明.pdf", PDF, "application/pdf")),
                              ("attachments", ("付款计划.png", PNG, "image/png"))])
    assert r.status_code == 303, r.text
    own = await api.get(f"/staff/records/{rid}")
    assert "书面说明.pdf" in own.text and "付款计划.png" in own.text
    assert "在公开页面公开" not in own.text  # only the credit office decides what is public

    assert "书面说明.pdf" not in (await api.get(f"/records/{rid}")).text
    csrf = await _login(api, "xyb")
    staff_page = await api.get(f"/staff/records/{rid}")
    assert hashlib.sha256(PDF).hexdigest() in staff_page.text and "书面说明材料" in staff_page.text
    file_id = re.search(r'href="/files/([^"]+)" download>书面说明.pdf', staff_page.text).group(1)
    r = await api.post(f"/staff/files/{file_id}/publicity", data={"csrf": csrf, "public": "true"})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/staff/records/{rid}")
    shown = (await api.get(r.headers["location"])).text
    assert "已提交：证明材料已在公开页面公开" in shown and "已公开" in shown

    api.cookies.clear()
    public = await api.get(f"/records/{rid}")
    assert "书面说明.pdf" in public.text and "付款计划.png" not in public.text
    assert hashlib.sha256(PDF).hexdigest() in public.text
    download = await api.get(f"/files/{file_id}")
    assert download.content == PDF and download.headers["content-disposition"].startswith("attachment")


async def test_a_complainants_proof_is_checked_filed_and_kept_from_the_accused(api, tokens) -> None:
    form = await api.get("/complaints/new")
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    data = {"department": "fgw", "topic": "arrears", "subject": "拖欠账款", "description": "两年未结算",
            "complainant_name": "", "complainant_email": "", "token": token}
    refused = await api.post("/complaints/new", data=data, files=[("files", ("合同.pdf", HTML, "application/pdf"))])
    assert refused.status_code == 415 and "合同.pdf" in refused.text and count(Attachment) == 0

    check = await api.post("/complaints/new", data=data, files=[("files", ("聊天记录.png", PNG, "image/png"))])
    assert check.status_code == 200 and "请核对您填写的内容" in check.text and "聊天记录.png" in check.text
    kept = re.search(r'name="attachments" value="([^"]+)"', check.text).group(1)
    filed = await api.post("/complaints/new", data={**data, "attachments": kept, "step": "file"})
    assert filed.status_code == 303, filed.text

    with session_scope() as session:
        row = session.exec(select(Attachment)).one()
        assert (row.case_type, row.step) == ("complaint", "submitted")
        kid = row.case_id
    await _login(api, "xyb")
    assert "聊天记录.png" in (await api.get(f"/staff/complaints/{kid}")).text
    await api.post(f"/api/complaints/{kid}/triage", json={}, headers=tokens["xyb"])
    await _login(api, "fgw")
    page = await api.get(f"/staff/complaints/{kid}")
    assert page.status_code == 200 and "聊天记录.png" not in page.text


async def test_the_applicant_adds_proof_by_补正_and_downloads_it_by_the_tracking_pages_signed_link(
        api, tokens) -> None:
    rid = await _published_record(api, tokens)
    r, code = await file_form(api, "/objections/new", {
        "target_type": "record", "target_id": str(rid), "applicant_name": "王五", "applicant_email": "ww@example.com",
        "claim": "记录有误", "reasons": "已付清"})
    with session_scope() as s:
        oid = s.exec(select(Objection)).one().id
    await api.post(f"/api/objections/{oid}/acceptance", headers=tokens["xyb"],
                   json={"accepted": True, "needs_supplement": True, "reason": "请补充付款凭证"})
    page = await api.post("/track", data={"code": code})
    assert 'enctype="multipart/form-data"' in page.text
    refused = await api.post("/track", data={"code": code, "action": "supplement", "material": "银行回单"},
                             files=[("files", ("回单.pdf", HTML, "application/pdf"))])
    assert refused.status_code == 415 and "回单.pdf" in refused.text and count(Attachment) == 0
    done = await api.post("/track", data={"code": code, "action": "supplement", "material": "银行回单"},
                          files=[("files", ("银行回单.pdf", PDF, "application/pdf"))])
    assert done.status_code == 200 and "补正材料已提交" in done.text and "银行回单.pdf" in done.text
    link = re.search(r'href="(/files/[^"?]+\?e=\d+&amp;s=[0-9a-f]+)" download>银行回单.pdf', done.text).group(1)
    link = link.replace("&amp;", "&")
    assert (await api.get(link)).content == PDF
    assert (await api.get(link.split("?")[0])).status_code == 404  # without the signature: not public
    assert (await api.get(link[:-1] + ("0" if link[-1] != "0" else "1"))).status_code == 404
    assert code not in link
