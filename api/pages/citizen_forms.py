"""Citizens' forms (no account, no JavaScript): file an objection or a complaint, track by code.

They call the same services as the JSON API; errors come back on the form in Chinese."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, select

from api import ratelimit
from api.deps import ClientDep, SessionDep
from api.idempotency import idempotent
from api.pages import evidence
from api.pages.form_errors import field_messages, form_errors
from api.pages.templating import templates
from api.pages.track_view import day_zh, timeline
from api.pages.uploads import FILES_FIELD, files_hint, names_of, store_posted
from api.problems import Problem
from api.routes.complaints import FeedbackBody
from api.routes.objections import SupplementBody
from api.services.attachments import claim, signed_link
from api.services.citizen import (
    ComplaintIn,
    ObjectionIn,
    check_complaint,
    check_objection,
    code_mail_task,
    complaint_status,
    file_complaint,
    file_objection,
    find_by_code,
    objection_status,
)
from api.temporal_errors import send_update
from api.validation import today_local
from domain.attachments import Viewer
from domain.complaint import COMPLAINT_TOPICS
from domain.messages import FeedbackIn, SupplementIn, WithdrawalIn
from domain.profiles import regulation_zh
from domain.settings import get_settings
from store.calendars import load_calendar
from store.db import get_engine
from store.models import Commitment, Complaint, Department, IdempotencyRecord, Objection, Record
from workflows.complaint import ComplaintWorkflow
from workflows.objection import ObjectionWorkflow

router = APIRouter(include_in_schema=False)


def _clean(form: dict[str, Any]) -> dict[str, Any]:
    """Empty optional fields mean 'not given'."""
    return {k: v for k, v in form.items() if isinstance(v, str) and v.strip() != ""}


# --- filing: form → check your answers → file once → receipt (post/redirect/get) -----------------------------
#
# GET /objections/new gives the form a random one-time token. POST with step=check shows the answers to check
# (step=edit goes back to the form with them); step=file files through api/idempotency.py with the token's
# receipt id as key, so a refresh, a double click or the back button files nothing again and shows the same
# receipt. The answer is a 303 to GET /filed/{receipt id} (sha256 of the token): the receipt id may appear in
# access logs, the tracking code never does.
#
# The code is shown on the receipt page only to the browser that filed, for RECEIPT_SHOWS_CODE: the idempotency
# row holds it sealed (XOR with a SHAKE-256 key stream of the token, which the server does not keep), and the
# filing answer sets a cookie holding the token, limited to that receipt's path, HttpOnly and SameSite=Strict.
# Without the cookie (another browser, someone who read the log) the receipt says that the case was filed and
# what happens next, and nothing about it.

RECEIPT_SHOWS_CODE = timedelta(minutes=30)
RECEIPT_COOKIE = "filed"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
KINDS: dict[str, tuple[str, type[ObjectionIn] | type[ComplaintIn], str]] = {
    "objection": ("信用信息异议", ObjectionIn, "pages/objection_form.html.j2"),
    "complaint": ("投诉", ComplaintIn, "pages/complaint_form.html.j2")}


def receipt_id(token: str) -> str:
    return hashlib.sha256(f"filed:{token}".encode()).hexdigest()[:32]


def _keystream(token: str, n: int) -> bytes:
    return hashlib.shake_256(f"seal:{token}".encode()).digest(n)


def seal(code: str, token: str) -> str:
    data = code.encode()
    return bytes(a ^ b for a, b in zip(data, _keystream(token, len(data)), strict=True)).hex()


def unseal(sealed: str, token: str) -> str:
    data = bytes.fromhex(sealed)
    return bytes(a ^ b for a, b in zip(data, _keystream(token, len(data)), strict=True)).decode()


def _ctx(session: SessionDep, kind: str) -> dict[str, Any]:
    ctx: dict[str, Any] = {"kind": kind}
    if kind == "complaint":
        ctx |= {"departments": {d.code: d.name for d in session.exec(select(Department))}, "topics": COMPLAINT_TOPICS}
    return ctx


def _form_page(request: Request, session: SessionDep, kind: str, form: dict[str, Any], errors: dict[str, str],
               status: int = 200) -> HTMLResponse:
    if not _TOKEN.fullmatch(str(form.get("token", ""))):
        form = {**form, "token": secrets.token_urlsafe(16)}
    if FILES_FIELD in errors:  # the ids' refusal (filing) is about the files the form chose
        errors = {**errors, "files": errors[FILES_FIELD]}
    return templates.TemplateResponse(request, KINDS[kind][2], {
        **_ctx(session, kind), "form": form, "errors": errors, "files_hint": files_hint(),
        "kept_files": names_of(session, _kept(form))}, status_code=status)


def _kept(form: dict[str, Any]) -> list[str]:
    """The ids of the files this filing uploaded so far (kept in a hidden field between its steps)."""
    return str(form.get(FILES_FIELD, "")).split()


def _answers(session: SessionDep, kind: str, body: BaseModel) -> list[tuple[str, str, str]]:
    """(field, label, value as shown) for the check-your-answers page."""
    d = body.model_dump()
    files = ("files", "证明材料" if kind == "objection" else "证据材料",
             "、".join(names_of(session, d["attachments"])) or "未上传")
    return [*_fields_shown(session, kind, d), files]


def _fields_shown(session: SessionDep, kind: str, d: dict[str, Any]) -> list[tuple[str, str, str]]:
    if kind == "objection":
        target = "失信记录" if d["target_type"] == "record" else "政务承诺"
        return [("target_id", "异议对象", f"{target} {d['target_id']}"), ("applicant_name", "姓名或单位名称",
                d["applicant_name"]), ("applicant_email", "电子邮箱", d["applicant_email"]),
                ("applicant_phone", "联系电话", d["applicant_phone"] or "未填写"), ("claim", "异议内容", d["claim"]),
                ("reasons", "事实和理由", d["reasons"])]
    dept = session.get(Department, d["department"])
    anonymous = not d["complainant_name"]
    return [("department", "被投诉单位", dept.name if dept else d["department"]),
            ("topic", "投诉类别", COMPLAINT_TOPICS.get(d["topic"], d["topic"])), ("subject", "投诉事项", d["subject"]),
            ("description", "具体情况", d["description"]),
            ("commitment_id", "相关政务承诺", f"政务承诺 {d['commitment_id']}" if d["commitment_id"] else "未填写"),
            ("complainant_name", "姓名", "匿名投诉（不填姓名）" if anonymous else d["complainant_name"]),
            ("complainant_email", "电子邮箱", d["complainant_email"] or "未填写")]


def _stored_receipt(kind: str, rid: str) -> IdempotencyRecord | None:
    with Session(get_engine(), expire_on_commit=False) as s:
        return s.exec(select(IdempotencyRecord).where(IdempotencyRecord.principal == f"form:{kind}",
                                                      IdempotencyRecord.key == rid)).first()


async def _finished_receipt(kind: str, rid: str, wait_seconds: float = 20) -> IdempotencyRecord | None:
    """The receipt of a filing with this token, waiting while a concurrent request (a double click) files it."""
    for _ in range(int(wait_seconds / 0.1)):
        row = _stored_receipt(kind, rid)
        if row is None or row.status_code is not None:
            return row
        await asyncio.sleep(0.1)
    return None


def _to_receipt(rid: str, token: str) -> RedirectResponse:
    response = RedirectResponse(f"/filed/{rid}", status_code=303)
    response.set_cookie(RECEIPT_COOKIE, token, path=f"/filed/{rid}", httponly=True, samesite="strict",
                        secure=get_settings().public_base_url.startswith("https://"),
                        max_age=int(RECEIPT_SHOWS_CODE.total_seconds()))
    return response


async def _submit(request: Request, session: SessionDep, client: ClientDep, kind: str) -> Response:
    form: dict[str, Any] = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    step = str(form.pop("step", "check"))
    token = str(form.get("token", ""))
    if not _TOKEN.fullmatch(token):  # a form from before tokens, or a forged one: start a fresh filing
        token = form["token"] = secrets.token_urlsafe(16)
    rid = receipt_id(token)
    if await _finished_receipt(kind, rid) is not None:  # already filed with this form
        return _to_receipt(rid, token)
    if step == "edit":
        return _form_page(request, session, kind, form, {})
    what, model, _ = KINDS[kind]
    try:
        if step != "file":  # files chosen on the form are stored when the answers are checked
            form[FILES_FIELD] = " ".join([*_kept(form), *await store_posted(request, None, "files")])
        fields = {k: v for k, v in _clean(form).items() if k not in ("token", FILES_FIELD)}
        body = model.model_validate({**fields, FILES_FIELD: _kept(form)})
        if isinstance(body, ObjectionIn):
            check_objection(session, body)
        else:
            check_complaint(session, body)
        if step != "file":
            return templates.TemplateResponse(request, "pages/check_answers.html.j2", {
                "kind": kind, "what": what, "answers": _answers(session, kind, body), "form": form})
        filed: dict[str, Any] = {}

        async def create() -> tuple[int, Any]:
            result = await (file_objection(session, client, body) if isinstance(body, ObjectionIn)
                            else file_complaint(session, client, body))
            filed.update(result)
            email = body.applicant_email if isinstance(body, ObjectionIn) else body.complainant_email
            return 201, {"kind": kind, "id": result["id"], "sealed": seal(result["tracking_code"], token),
                         "mailed": bool(email)}

        try:
            await idempotent(rid, f"form:{kind}", {"receipt": rid}, create,
                             admit=lambda: ratelimit.take(request, ratelimit.SUBMISSION))
        except Problem as p:
            if p.status != 409 or await _finished_receipt(kind, rid) is None:
                raise
    except (ValidationError, Problem) as err:
        status = err.status if isinstance(err, Problem) else 422
        return _form_page(request, session, kind, form, form_errors(err), status)
    response = _to_receipt(rid, token)
    if (task := code_mail_task(body, filed)) is not None:
        response.background = task
    return response


@router.get("/objections/new", response_class=HTMLResponse)
def objection_form(request: Request, session: SessionDep, target_type: str = "record",
                   target_id: str = "") -> HTMLResponse:
    return _form_page(request, session, "objection", {"target_type": target_type, "target_id": target_id}, {})


@router.post("/objections/new")
async def objection_submit(request: Request, session: SessionDep, client: ClientDep) -> Response:
    return await _submit(request, session, client, "objection")


@router.get("/complaints/new", response_class=HTMLResponse)
def complaint_form(request: Request, session: SessionDep, department: str = "",
                   commitment_id: str = "") -> HTMLResponse:
    return _form_page(request, session, "complaint", {"department": department, "commitment_id": commitment_id}, {})


@router.post("/complaints/new")
async def complaint_submit(request: Request, session: SessionDep, client: ClientDep) -> Response:
    return await _submit(request, session, client, "complaint")


def _about(session: SessionDep, status: dict[str, Any]) -> str:
    """What the case is about, as the tracking page and the receipt say it."""
    if status["kind"] == "complaint":
        dept = status.get("department_name") or status.get("department")
        return f"对{dept}的投诉：{status['subject']}"
    target = status["target"]
    if target["type"] == "record":
        record = session.get(Record, target["id"])
        dept = session.get(Department, record.department_code) if record else None
        title = f"失信记录 {target['id']}" + (f"（{dept.name}）" if dept else "")
    else:
        commitment = session.get(Commitment, target["id"])
        title = commitment.title if commitment else f"政务承诺 {target['id']}"
    return f"对《{title}》的异议"


@router.get("/filed/{rid}", response_class=HTMLResponse)
async def receipt(request: Request, rid: str, session: SessionDep) -> HTMLResponse:
    """The receipt of a filing: what happens next and by when; the code only for the browser that filed."""
    row = None
    if re.fullmatch(r"[0-9a-f]{32}", rid):
        row = next((r for kind in KINDS if (r := _stored_receipt(kind, rid)) is not None and r.body), None)
    if row is None or row.body is None:
        return templates.TemplateResponse(request, "pages/not_found.html.j2", {"what": "该回执"}, status_code=404)
    kind, case_id = row.body["kind"], row.body["id"]
    token = request.cookies.get(RECEIPT_COOKIE, "")
    mine = _TOKEN.fullmatch(token) is not None and hmac.compare_digest(receipt_id(token), rid)
    fresh = row.created_at.replace(tzinfo=row.created_at.tzinfo or UTC) > datetime.now(UTC) - RECEIPT_SHOWS_CODE
    code = unseal(row.body["sealed"], token) if mine and fresh else None
    model = Objection if kind == "objection" else Complaint
    case = session.get(model, case_id)
    status = None
    for _ in range(30):  # the workflow plans the first deadlines right after filing
        if case is None:
            break
        status = objection_status(session, case) if kind == "objection" else complaint_status(session, case)  # type: ignore[arg-type]
        if status["deadlines"]:
            break
        await asyncio.sleep(0.1)
        session.rollback()  # a new transaction sees the rows the workflow has written since
    steps = timeline(status, load_calendar(session), today_local()) if status else []
    return templates.TemplateResponse(request, "pages/filed.html.j2", {
        "kind": kind, "what": KINDS[kind][0], "case_id": case_id, "code": code, "mine": mine,
        "mailed": row.body.get("mailed"), "about": _about(session, status) if status and mine else None,
        "steps": steps, "deadlines": [d for s in steps for d in s.deadlines]})


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "pages/track.html.j2", {"status": None, "error": None, "code": ""})


def _lookup(request: Request, session: SessionDep, code: str) -> dict[str, Any] | None:
    """The case of a valid code (always answered); a wrong code counts against the client's limit."""
    objection = find_by_code(session, Objection, code)
    if objection is not None:
        return objection_status(session, objection)  # type: ignore[arg-type]
    complaint = find_by_code(session, Complaint, code)
    if complaint is not None:
        return complaint_status(session, complaint)  # type: ignore[arg-type]
    ratelimit.check(request, ratelimit.TRACKING_MISS)
    ratelimit.hit(request, ratelimit.TRACKING_MISS)
    return None


def _validated(status: dict[str, Any], action: str, form: Any) -> Any:
    if action in ("satisfied", "dissatisfied") and status["kind"] == "complaint":
        return FeedbackBody(satisfied=action == "satisfied", comment=str(form.get("comment", "")).strip())
    if action == "supplement" and status["kind"] == "objection":
        return SupplementBody(material=str(form.get("material", "")).strip())
    return None


async def _track_action(request: Request, session: SessionDep, client: ClientDep, status: dict[str, Any],
                        action: str, form: Any) -> None:
    """The applicant's own steps, by code: rate a complaint, withdraw or supplement an objection."""
    row = session.get(Complaint if status["kind"] == "complaint" else Objection, status["id"])
    handle = client.get_workflow_handle(f"{status['kind']}-{status['id']}")
    body = _validated(status, action, form)
    if isinstance(body, FeedbackBody):
        await send_update(session, row, handle, ComplaintWorkflow.feedback,
                          FeedbackIn(satisfied=body.satisfied, comment=body.comment), None, "complainant")
    elif action == "withdraw" and status["kind"] == "objection":
        await send_update(session, row, handle, ObjectionWorkflow.withdraw, WithdrawalIn(), None, "applicant")
    elif isinstance(body, SupplementBody):
        ids = await store_posted(request, None, "files")
        files = claim(session, ids, None, case_type="objection", case_id=status["id"], step="supplemented",
                      field="files")
        await send_update(session, row, handle, ObjectionWorkflow.supplement,
                          SupplementIn(material=body.material, attachments=files), None, "applicant")


TRACK_FIELDS = {"comment": "评价意见", "material": "补正材料"}
CONFIRM = {  # the steps asked for again before they are taken: (question, what it means, button)
    "withdraw": ("确认撤回异议吗？", "撤回后，这件异议的办理即告结束，不能恢复；如仍认为信息有误，需要重新提出异议。",
                 "确认撤回"),
    "satisfied": ("确认评价为“满意”吗？", "评价后投诉即办结，评价不能更改。", "确认满意"),
    "dissatisfied": ("确认评价为“不满意”吗？", "第一次评价不满意的，投诉将退回信用办重新审核一次；"
                     "已经重新审核过的，评价后投诉即办结。评价不能更改。", "确认不满意"),
}


def _open_review_due(status: dict[str, Any]) -> str:
    due = [d for d in status["deadlines"] if d["key"].startswith("complaint_review") and d["status"] == "open"]
    return day_zh(due[-1]["due_at"]) if due else ""


def reopened_notice(status: dict[str, Any]) -> str | None:
    """A complaint back with the credit office after a 不满意: said plainly, with the date."""
    if status["kind"] != "complaint" or not status.get("reopened") or status["state"] != "responded":
        return None
    due = _open_review_due(status)
    return ("您对处理结果评价为不满意，投诉已退回信用办重新审核" + (f"，最迟{due}作出审核意见" if due else "")
            + "。审核后您可以再评价一次。")


def _done(action: str, status: dict[str, Any]) -> tuple[str, str]:
    """(what was done, what happens next) after the applicant's own step."""
    if action == "withdraw":
        return "您的异议已撤回。", "办理到此结束。如仍认为信息有误，可以重新提出异议。"
    if action == "supplement":
        return "补正材料已提交。", "信用办将审查补正的材料并决定是否受理，结果会显示在本页。"
    said = "满意" if action == "satisfied" else "不满意"
    if status["state"] == "responded":
        due = _open_review_due(status)
        return (f"已记录您的评价：{said}。",
                "投诉已退回信用办重新审核" + (f"，最迟{due}作出审核意见" if due else "") + "。审核后您可以再评价一次。")
    return f"已记录您的评价：{said}。", "投诉已办结。感谢您的监督。"


def _track_page(request: Request, session: SessionDep, status: dict[str, Any] | None, code: str,
                error: str | None = None, done: tuple[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    ctx: dict[str, Any] = {"status": status, "error": error, "code": code if status else "", "done": done}
    if status is not None:
        ctx |= {"about": _about(session, status), "steps": timeline(status, load_calendar(session), today_local()),
                "notice": reopened_notice(status), "regulation": regulation_zh(status["profile"]["name"]),
                "state_label": "信用办重新审核中" if reopened_notice(status) else status["state_label"],
                "files": evidence.shown(session, status["kind"], status["id"], Viewer(holds_code=True), signed_link),
                "files_hint": files_hint()}
    return templates.TemplateResponse(request, "pages/track.html.j2", ctx, status_code=status_code)


@router.post("/track", response_class=HTMLResponse)
async def track(request: Request, session: SessionDep, client: ClientDep) -> HTMLResponse:
    form = await request.form()
    code = str(form.get("code", "")).strip()
    action = str(form.get("action", ""))
    confirmed = form.get("confirmed") == "1"
    done = None
    try:
        status = _lookup(request, session, code)
        if status is not None and action:
            try:
                if action in CONFIRM and not confirmed:
                    _validated(status, action, form)  # a bad comment is refused before the confirm step
                    question, meaning, button = CONFIRM[action]
                    return templates.TemplateResponse(request, "pages/track_confirm.html.j2", {
                        "code": code, "action": action, "question": question, "meaning": meaning, "button": button,
                        "comment": str(form.get("comment", "")).strip(), "about": _about(session, status)})
                await _track_action(request, session, client, status, action, form)
            except ValidationError as exc:
                field, message = next(iter(field_messages(exc).items()))
                raise Problem(422, f"{TRACK_FIELDS.get(field, field)}：{message}") from None
            status = _lookup(request, session, code)
            if status is not None:
                done = _done(action, status)
    except Problem as p:
        status = _lookup(request, session, code) if p.status not in (404, 429) else None  # a refused step
        return _track_page(request, session, status, code, error=p.detail, status_code=p.status)
    if status is None:
        return _track_page(request, session, None, "", error="查询码无效，请核对后重试", status_code=404)
    return _track_page(request, session, status, code, done=done)
