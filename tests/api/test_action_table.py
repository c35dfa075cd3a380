"""The forms on case pages and the work queue offer an action exactly when the workflow accepts it.

Each process is driven through its states over HTTP. At every step, for every staff role (and the case's own
department and another one), every action of the process's table is tried on the workflow itself with a payload
that its validator refuses for its content (an empty reason, an unknown milestone ...): a refusal for the content
means the workflow accepts the action from this caller now, a refusal for the state or the caller (409/403)
means it does not — and nothing enters the history either way. The forms on /staff/{kind}/{id} and the steps
listed on /staff must be exactly the accepted ones (the queue lists only steps a case waits for, not options such
as a pause). Actions whose Update has no content to refuse (publish, resume) are tried only where they are not
offered, where they must be refused; where they are offered, the drive takes them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.pages.staff_actions import CASE_KINDS, CaseKind
from api.validation import today_local
from domain import messages as m
from store.db import session_scope
from store.models import Commitment, Complaint, Objection, Record
from tests.api.conftest import STAFF
from tests.api.test_citizens_api import APPLICANT
from tests.api.test_commitments_api import body
from tests.api.test_records_api import record_body
from tests.api.test_staff_pages import _login
from workflows.commitment import CommitmentWorkflow as CW
from workflows.complaint import ComplaintWorkflow as KW
from workflows.objection import ObjectionWorkflow as OW
from workflows.record import RecordWorkflow as RW

ACTORS = {"own": "fgw", "foreign": "scjg", "credit_office": "xyb", "supervisor": "ducha", "admin": "admin"}
ACCEPTED_FOR_CONTENT = {"InvalidInput", "NotFound", "UnlawfulReason"}
REFUSED = {"InvalidState", "Forbidden"}
YESTERDAY = today_local() - timedelta(days=1)

# action → (Update, payload the validator refuses for its content); None: the Update has no content to refuse
Probe = Callable[[m.Actor], Any]
PROBES: dict[str, dict[str, tuple[Any, Probe | None]]] = {
    "commitment": {
        "publish": (CW.publish, None),
        "report_fulfilment": (CW.report_fulfilment, lambda a: m.FulfilmentReport(actor=a, report=" ")),
        "complete_milestone": (CW.complete_milestone, lambda a: m.MilestoneDone(actor=a, seq=999)),
        "verify": (CW.verify, lambda a: m.VerificationDecision(actor=a, accepted=False, reason=" ")),
        "request_amendment": (CW.request_amendment, lambda a: m.AmendmentRequest(
            actor=a, reason_code="term_change", reason="换届")),
        "decide_amendment": (CW.decide_amendment, lambda a: m.AmendmentDecision(actor=a, approved=False, reason="")),
        "pause": (CW.pause, lambda a: m.PauseRequest(actor=a, reason_code="inspection", reason=" ")),
        "resume": (CW.resume, None),
        "extend": (CW.extend, lambda a: m.ExtensionRequest(actor=a, working_days=0, reason="延期")),
        "post_progress": (CW.post_progress, lambda a: m.ProgressUpdate(actor=a, text=" ")),
    },
    "record": {
        "explain": (RW.explain, lambda a: m.ExplanationIn(actor=a, explanation=" ")),
        "submit_rectification": (RW.submit_rectification, lambda a: m.RectificationIn(actor=a, description=" ")),
        "verify_rectification": (RW.verify_rectification,
                                 lambda a: m.RectificationVerdict(actor=a, accepted=False, reason=" ")),
        "request_repair": (RW.request_repair, lambda a: m.RepairRequest(actor=a, commitment_letter=" ")),
        "decide_repair": (RW.decide_repair, lambda a: m.RepairDecision(actor=a, approved=False, reason=" ")),
        "set_rectification_due": (RW.set_rectification_due, lambda a: m.RectificationDueIn(
            actor=a, due_date=YESTERDAY, reason="限期")),
        "classify": (RW.classify, lambda a: m.SeverityIn(actor=a, severity="general", reason=" ")),
        "mitigate": (RW.mitigate, lambda a: m.MitigationIn(actor=a, effect="mitigated", reason=" ")),
    },
    "objection": {
        "accept": (OW.accept, lambda a: m.AcceptanceIn(actor=a, accepted=False, reason=" ")),
        "verify": (OW.verify, lambda a: m.FindingIn(actor=a, finding=" ")),
        "decide": (OW.decide, lambda a: m.ObjectionDecisionIn(actor=a, outcome="upheld", reason=" ")),
    },
    "complaint": {
        "triage": (KW.triage, lambda a: m.TriageIn(actor=a, dismiss=True, reason=" ")),
        "respond": (KW.respond, lambda a: m.ResponseIn(actor=a, response=" ")),
        "review": (KW.review, lambda a: m.ReviewIn(actor=a, substantiated=False, reason=" ")),
    },
}
Step = tuple[str, str, Callable[[], Any] | None]  # (what the case shows, its state, the call that gets it there)
MODELS = {"commitment": Commitment, "record": Record, "objection": Objection, "complaint": Complaint}


def _actor(name: str) -> m.Actor:
    role, dept = STAFF[name]
    return m.Actor(username=name, role=role, department=dept)


def _kind(case_type: str) -> CaseKind:
    return next(k for k in CASE_KINDS.values() if k.case_type == case_type)


class Checker:
    """Compares, for one case, what the pages offer each actor with what the workflow accepts from them."""

    def __init__(self, api: httpx.AsyncClient, temporal: Client) -> None:
        self.api, self.temporal = api, temporal
        self.pages: dict[str, httpx.AsyncClient] = {}
        self.wrong: list[str] = []
        self.checked = 0

    async def login_all(self) -> None:
        for who, name in ACTORS.items():
            client = httpx.AsyncClient(transport=self.api._transport, base_url=str(self.api.base_url))
            await _login(client, name)
            self.pages[who] = client

    async def settle(self, case_type: str, case_id: int, state: str) -> None:
        """Until the read model shows `state` and the workflow is idle: no activity and no workflow task to run."""
        handle = self.temporal.get_workflow_handle(f"{case_type}-{case_id}")
        for _ in range(600):
            with session_scope() as s:
                row = s.get(MODELS[case_type], case_id)
                shown = row.state if row is not None else None
            raw = (await handle.describe()).raw_description
            idle = not raw.pending_activities and not raw.HasField("pending_workflow_task")
            if shown == state and idle:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{case_type} {case_id} did not settle in {state} (shows {shown})")

    async def _accepts(self, case_type: str, case_id: int, action: str, actor: m.Actor) -> bool | None:
        update, probe = PROBES[case_type][action]
        if probe is None:
            return None
        try:
            await self.temporal.get_workflow_handle(f"{case_type}-{case_id}").execute_update(update, probe(actor))
        except WorkflowUpdateFailedError as err:
            assert isinstance(err.cause, ApplicationError), err
            assert err.cause.type in ACCEPTED_FOR_CONTENT | REFUSED, err.cause
            return err.cause.type in ACCEPTED_FOR_CONTENT
        except RPCError as err:  # the case has ended: its workflow accepts nothing (the API answers 409)
            assert err.status == RPCStatusCode.NOT_FOUND, err
            return False
        raise AssertionError(f"the probe of {action} was applied: {probe(actor)}")

    async def _refuses(self, case_type: str, case_id: int, action: str, actor: m.Actor) -> bool:
        """An action without content to refuse, tried for real where it is not offered."""
        update, _ = PROBES[case_type][action]
        arg = {"publish": m.PublishRequest, "resume": m.ResumeRequest}[action](actor=actor)
        try:
            await self.temporal.get_workflow_handle(f"{case_type}-{case_id}").execute_update(update, arg)
        except WorkflowUpdateFailedError as err:
            return isinstance(err.cause, ApplicationError) and err.cause.type in REFUSED
        except RPCError as err:
            return err.status == RPCStatusCode.NOT_FOUND
        return False

    async def check(self, case_type: str, case_id: int, step: str) -> None:
        kind = _kind(case_type)
        labels = {kind.rules[a.action].label: a.action for a in kind.actions}
        for who, name in ACTORS.items():
            page = await self.pages[who].get(f"/staff/{kind.kind}/{case_id}")
            offered = {a.action for a in kind.actions if f'id="action-{a.key}"' in page.text}
            home = (await self.pages[who].get("/staff")).text
            start = home.index("<h2>等待我处理</h2>")
            queue = home[start:home.index("</table>", start)]
            rows = re.findall(rf'<a href="/staff/{kind.kind}/{case_id}">.*?</td>\s*<td[^>]*>([^<]+)</td>', queue, re.S)
            queued = {labels[label] for label in rows}
            for action in PROBES[case_type]:
                rule = kind.rules[action]
                accepted = await self._accepts(case_type, case_id, action, _actor(name))
                if accepted is None:  # no content to refuse: only where it is not offered
                    if action not in offered and not await self._refuses(case_type, case_id, action, _actor(name)):
                        self.wrong.append(f"{step}: {who} not offered {action}, but the workflow applied it")
                    continue
                self.checked += 1
                if accepted != (action in offered):
                    self.wrong.append(f"{step}: {who} {action}: workflow accepts={accepted}, form shown={not accepted}")
                if (accepted and rule.waits_for(_actor(name).role)) != (action in queued):
                    self.wrong.append(f"{step}: {who} {action}: workflow accepts={accepted}, queued={action in queued}")

    async def drive(self, case_type: str, case_id: int, steps: list[Step]) -> None:
        """Take each step (an HTTP call, or None for the state the case starts in), then compare."""
        for name, state, act in steps:
            if act is not None:
                await _ok(await act())
            await self.settle(case_type, case_id, state)
            await self.check(case_type, case_id, name)

    async def close(self) -> None:
        for client in self.pages.values():
            await client.aclose()


@pytest.fixture
async def checker(api, tokens, temporal_client):  # type: ignore[no-untyped-def]
    c = Checker(api, temporal_client)
    await c.login_all()
    yield c
    await c.close()


async def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return r.json()


async def test_commitment_forms_and_queue_match_the_workflow(api, tokens, checker) -> None:
    due = (today_local() + timedelta(days=40)).isoformat()
    milestone = (today_local() + timedelta(days=10)).isoformat()
    cid = (await _ok(await api.post("/api/commitments", headers=tokens["fgw"], json=body(
        publish=False, due_date=due, milestones=[{"title": "制定方案", "due_date": milestone}]))))["id"]
    url, dept, office = f"/api/commitments/{cid}", tokens["fgw"], tokens["xyb"]
    steps: list[Step] = [
        ("草稿", "draft", None),
        ("草稿，变更待审批", "draft", lambda: api.post(f"{url}/amendment", headers=dept, json={
            "reason_code": "public_interest", "reason": "公共利益需要", "title": "企业开办半日办结"})),
        ("草稿，变更未获批", "draft", lambda: api.post(f"{url}/amendment", headers=office, json={
            "approved": False, "reason": "理由不足"})),
        ("履行中", "published", lambda: api.post(f"{url}/publish", headers=dept)),
        ("履行中，计时中止", "published", lambda: api.post(f"{url}/pause", headers=office, json={
            "reason_code": "inspection", "reason": "检验检测"})),
        ("履行中，恢复计时", "published", lambda: api.post(f"{url}/resume", headers=office)),
        ("履行中，节点完成", "published", lambda: api.post(f"{url}/milestones/1/completion", headers=dept, json={})),
        ("履行中，已延期", "published", lambda: api.post(f"{url}/extension", headers=office, json={
            "working_days": 2, "reason": "延期"})),
        ("待核验", "fulfilment_reported", lambda: api.post(f"{url}/fulfilment", headers=dept, json={
            "report": "已按期办结"})),
        ("已践诺", "fulfilled", lambda: api.post(f"{url}/verification", headers=office, json={"accepted": True})),
    ]
    await checker.drive("commitment", cid, steps)
    assert checker.checked > 100 and not checker.wrong, "\n".join(checker.wrong)


async def test_record_forms_and_queue_match_the_workflow(api, tokens, checker) -> None:
    rid = (await _ok(await api.post("/api/records", headers=tokens["xyb"], json=record_body(
        decision_date=(today_local() - timedelta(days=150)).isoformat()))))["id"]
    url, dept, office = f"/api/records/{rid}", tokens["fgw"], tokens["xyb"]
    steps: list[Step] = [
        ("公示中", "published", None),
        ("已说明", "rectifying", lambda: api.post(f"{url}/explanation", headers=dept, json={"explanation": "说明"})),
        ("整改待核验", "rectifying", lambda: api.post(f"{url}/rectification", headers=dept, json={
            "description": "已整改"})),
        ("整改未通过", "rectifying", lambda: api.post(f"{url}/rectification-verification", headers=office, json={
            "accepted": False, "reason": "材料不全"})),
        ("再次提交整改", "rectifying", lambda: api.post(f"{url}/rectification", headers=dept, json={
            "description": "补齐材料"})),
        ("已整改", "rectified", lambda: api.post(f"{url}/rectification-verification", headers=office, json={
            "accepted": True})),
        ("修复申请中", "repair_requested", lambda: api.post(f"{url}/repair", headers=dept, json={
            "commitment_letter": "本单位承诺依法履约"})),
        ("修复未通过", "repair_rejected", lambda: api.post(f"{url}/repair-decision", headers=office, json={
            "approved": False, "reason": "整改不到位"})),
    ]
    await checker.drive("record", rid, steps)
    assert checker.checked > 100 and not checker.wrong, "\n".join(checker.wrong)


async def test_a_record_before_its_repair_date_offers_no_repair(api, tokens, checker) -> None:
    rid = (await _ok(await api.post("/api/records", headers=tokens["xyb"], json=record_body(
        decision_date=today_local().isoformat()))))["id"]
    url = f"/api/records/{rid}"
    await _ok(await api.post(f"{url}/explanation", headers=tokens["fgw"], json={"explanation": "说明"}))
    await _ok(await api.post(f"{url}/rectification", headers=tokens["fgw"], json={"description": "已整改"}))
    await _ok(await api.post(f"{url}/rectification-verification", headers=tokens["xyb"], json={"accepted": True}))
    await checker.settle("record", rid, "rectified")
    await checker.check("record", rid, "已整改，最短公示期未满")
    assert not checker.wrong, "\n".join(checker.wrong)


async def test_objection_and_complaint_forms_and_queue_match_the_workflow(api, tokens, checker) -> None:
    rid = (await _ok(await api.post("/api/records", headers=tokens["xyb"], json=record_body())))["id"]
    for _ in range(400):
        if (await api.get(f"/api/records/{rid}")).status_code == 200:
            break
        await asyncio.sleep(0.05)
    oid = (await _ok(await api.post("/api/objections", json={"target_type": "record", "target_id": rid,
                                                             "claim": "有误", "reasons": "已付清", **APPLICANT})))["id"]
    url, dept, office = f"/api/objections/{oid}", tokens["fgw"], tokens["xyb"]
    await checker.drive("objection", oid, [
        ("已提交", "submitted", None),
        ("核实中", "verifying", lambda: api.post(f"{url}/acceptance", headers=office, json={"accepted": True})),
        ("已核实", "verifying", lambda: api.post(f"{url}/verification", headers=dept, json={"finding": "属实"})),
        ("已办结", "closed", lambda: api.post(f"{url}/decision", headers=office, json={
            "outcome": "upheld", "reason": "维持"})),
    ])

    kid = (await _ok(await api.post("/api/complaints", json={"department": "fgw", "topic": "arrears",
                                                             "subject": "拖欠工程款", "description": "未付"})))["id"]
    url = f"/api/complaints/{kid}"
    await checker.drive("complaint", kid, [
        ("已提交", "submitted", None),
        ("已分办", "triaged", lambda: api.post(f"{url}/triage", headers=office, json={})),
        ("单位已答复", "responded", lambda: api.post(f"{url}/response", headers=dept, json={"response": "已支付"})),
        ("投诉不属实", "unsubstantiated", lambda: api.post(f"{url}/review", headers=office, json={
            "substantiated": False, "reason": "已付清"})),
    ])
    assert checker.checked > 60 and not checker.wrong, "\n".join(checker.wrong)
