"""The catalogue of staff forms: for each case kind, the form of each action of its process's table, its
fields, and the API endpoint it calls.

A form posts to the same endpoint function as the JSON API, with the same body model, so permissions,
validation and the workflow Update are one code path. Who sees a form, in which state and on which condition,
is the process's action table (domain/actions.py), never this catalogue."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from sqlmodel import Session

from api.pages.staff_names import amendment_zh, case_title, department_name, target_zh
from api.pages.uploads import FILES_FIELD, files_hint
from api.routes import commitments, complaints, integrity_reports, motions, objections, records
from api.scope import reads_in_full
from domain import motion
from domain.actions import ActionTable, Facts, Refusal
from domain.commitment import KINDS, Action
from domain.commitment import RULES as COMMITMENT_RULES
from domain.complaint import COMPLAINT_RULES, COMPLAINT_TOPICS, ComplaintAction
from domain.integrity_report import REPORT_RULES, ReportAction, parse_report_period
from domain.messages import Actor
from domain.objection import OBJECTION_RULES, ObjectionAction
from domain.record import CATEGORIES, MITIGATIONS, SEVERITIES, RecordAction
from domain.record import RULES as RECORD_RULES
from store.models import Commitment, Complaint, IntegrityReport, Motion, Objection, Record

FieldKind = Literal["text", "textarea", "date", "number", "select", "lines", "buttons", "milestones", "files",
                    "checkboxes"]
Choices = dict[str, str] | Callable[[dict[str, Any]], dict[str, str]]


@dataclass(frozen=True)
class FormField:
    """One input. `buttons` renders one submit button per choice (the button pressed is the value);
    `lines` becomes a list (one item per line), `checkboxes` the list of the choices ticked; `milestones` is lines
    of "YYYY-MM-DD 节点名称"; `files` is the
    form's file input, stored before the action and passed as the ids of the uploads (api/pages/uploads.py)."""

    name: str
    label: str
    kind: FieldKind = "text"
    choices: Choices = field(default_factory=dict)
    required: bool = False
    hint: str = ""
    path: bool = False  # passed to the endpoint as a path parameter, not in the body
    default: str = ""  # preselected on a fresh form
    blank: str = "（不选）"  # the first option of a select that may be left unchosen

    def options(self, case: dict[str, Any]) -> dict[str, str]:
        return self.choices(case) if callable(self.choices) else self.choices


ANY = "*"


@dataclass(frozen=True)
class StaffAction:
    """The form of one action of the process's table (`action` names its rule: who, when, on which condition)."""

    key: str  # the last URL segment of the form: /staff/{kind}/{id}/{key}
    action: str
    endpoint: Callable[..., Awaitable[Any]]
    body: type[BaseModel] | None = None
    fields: tuple[FormField, ...] = ()
    submit: str = "提交"
    # (field, value) whose submission cannot be undone: the page asks "请确认" first; ANY = whatever is chosen
    confirm: tuple[tuple[str, str], ...] = ()

    def needs_confirmation(self, form: dict[str, str]) -> bool:
        return any(form.get(name) == value or (value == ANY and form.get(name)) for name, value in self.confirm)

    def chosen(self, case: dict[str, Any], form: dict[str, str]) -> str | None:
        """The words of the outcome chosen (the button pressed, e.g. 不予受理); None for a form of one button."""
        for f in self.fields:
            if f.kind == "buttons" and form.get(f.name) in f.options(case):
                return f.options(case)[form[f.name]]
        return None

    def done_key(self, form: dict[str, str]) -> str:
        """What the success banner after the action looks up: the form's key and the button pressed."""
        button = next((f.name for f in self.fields if f.kind == "buttons"), None)
        return f"{self.key}:{form.get(button, '')}" if button else self.key

    @property
    def takes_files(self) -> bool:
        return any(f.kind == "files" for f in self.fields)


@dataclass(frozen=True)
class CaseKind:
    kind: str  # URL segment: commitments, records, objections, complaints
    case_type: str  # audit/deadline case type and workflow id prefix
    label: str
    id_param: str
    model: type[Any]
    rules: ActionTable
    read: Callable[..., dict[str, Any]]  # the API's staff read endpoint
    actions: tuple[StaffAction, ...]
    facts: Callable[[dict[str, Any], Session], list[tuple[str, Any]]]  # (the API's read, session) → shown facts
    row_title: Callable[[Any], str]  # a short title from the table row, for lists
    # who reads a case in full, and the refusal of an action: by default the case's department and the table;
    # a motion's co-units read it too and send their opinions (domain/motion.py)
    reads: Callable[[Actor, Any], bool] = lambda actor, row: reads_in_full(actor, row.department_code)
    refuse: Callable[[str, Actor, Facts, Any], Refusal | None] | None = None
    unit_sql_filter: bool = True  # the work queue may select a unit's cases by department_code

    def refusal(self, action: str, actor: Actor, facts: Facts, row: Any) -> Refusal | None:
        if self.refuse is not None:
            return self.refuse(action, actor, facts, row)
        return self.rules.refusal(action, actor.role, actor.department, facts)

    def title(self, session: Session, row: Any) -> str:
        return case_title(session, self.case_type, row)

    def action(self, key: str) -> StaffAction | None:
        return next((a for a in self.actions if a.key == key), None)

    def label_of(self, action: StaffAction) -> str:
        return self.rules[action.action].label

    def offered(self, actor: Actor, facts: Facts, row: Any = None) -> list[StaffAction]:
        """The forms of the actions `actor` may take now: the table decides, as the workflow will."""
        return [a for a in self.actions if self.refusal(a.action, actor, facts, row) is None]


FEEDBACK_ZH = {"satisfied": "满意", "dissatisfied": "不满意"}


def _departments(case: dict[str, Any]) -> dict[str, str]:
    """The departments a case may be sent to, by name (the page puts them in the case as `departments`)."""
    return dict(case.get("departments") or {})


def _open_milestones(case: dict[str, Any]) -> dict[str, str]:
    return {str(m["seq"]): f"{m['seq']}. {m['title']}（{m['due_date']}）" for m in case["milestones"] if not m["done"]}


AMENDMENT_REASONS = {"national_interest": "国家利益需要", "public_interest": "公共利益需要",
                     "legal_cause": "其他法定事由"}
REASON = FormField("reason", "理由", "textarea")
REASON_REQUIRED = FormField("reason", "理由", "textarea", required=True)
EVIDENCE = FormField("evidence", "证明材料（每行一项，选填）", "lines")
FILES = FormField(FILES_FIELD, "上传证明材料（选填，可多选）", "files", hint=files_hint())

COMMITMENT = CaseKind(
    kind="commitments", case_type="commitment", label="政务承诺", id_param="commitment_id", model=Commitment,
    rules=COMMITMENT_RULES,
    read=commitments.get_commitment,
    row_title=lambda r: r.title,
    facts=lambda c, _: [("责任单位", c["department_name"]), ("承诺内容", c["content"]), ("履行期限", c["due_date"]),
                        ("履行情况报告", c["report"]),
                        ("待审批的变更", amendment_zh(c["pending_amendment"], AMENDMENT_REASONS)),
                        ("适用规则", c["profile"]["label"])],
    actions=(
        StaffAction("publish", Action.publish, commitments.publish, submit="发布承诺"),
        StaffAction("fulfilment", Action.report_fulfilment, commitments.report_fulfilment,
                    commitments.FulfilmentIn,
                    (FormField("report", "履行情况", "textarea", required=True), EVIDENCE, FILES),
                    submit="提交报告"),
        StaffAction("verification", Action.verify, commitments.verify, commitments.VerificationIn,
                    (FormField("reason", "核验意见（不通过时必填）", "textarea"),
                     FormField("accepted", "结论", "buttons", {"true": "核验通过", "false": "不通过"})),
                    confirm=(("accepted", "true"),)),
        StaffAction("milestone", Action.complete_milestone, commitments.complete_milestone,
                    commitments.MilestoneDoneIn,
                    (FormField("seq", "节点", "select", _open_milestones, required=True, path=True),
                     FormField("note", "说明"), FILES)),
        StaffAction("amendment", Action.request_amendment, commitments.amendment,
                    commitments.AmendmentIn,
                    (FormField("withdraw", "撤回承诺", "select", {"false": "否，变更内容", "true": "是，撤回承诺"}),
                     FormField("reason_code", "法定事由", "select",
                               AMENDMENT_REASONS, required=True),
                     FormField("reason", "理由", "textarea", required=True,
                               hint="政府换届、领导人员更替不得作为理由"),
                     FormField("title", "新标题（不变则留空）"),
                     FormField("content", "新内容（不变则留空）", "textarea"),
                     FormField("due_date", "新履行期限（不变则留空）", "date")),
                    confirm=(("withdraw", "true"),)),
        StaffAction("amendment-decision", Action.decide_amendment, commitments.amendment,
                    commitments.AmendmentIn,
                    (REASON, FormField("approved", "结论", "buttons", {"true": "批准", "false": "不批准"})),
                    confirm=(("approved", "true"),)),
        StaffAction("pause", Action.pause, commitments.pause, commitments.PauseIn,
                    (FormField("reason_code", "中止事由", "select",
                               {"awaiting_supplement": "等待补充材料", "inspection": "检验检测鉴定",
                                "force_majeure": "不可抗力"}, required=True), REASON_REQUIRED)),
        StaffAction("resume", Action.resume, commitments.resume, submit="恢复计时"),
        StaffAction("extension", Action.extend, commitments.extend, commitments.ExtensionIn,
                    (FormField("working_days", "延长工作日数", "number", required=True), REASON_REQUIRED)),
        StaffAction("progress", Action.post_progress, commitments.post_progress, commitments.ProgressIn,
                    (FormField("text", "进展情况", "textarea", required=True, hint="公开显示在承诺页面的履行进展中"),
                     FormField("percent", "完成进度（%，选填）", "number", hint="0 至 100 的整数"), FILES),
                    submit="发布进展"),
    ),
)

RECORD = CaseKind(
    kind="records", case_type="record", label="失信记录", id_param="record_id", model=Record, rules=RECORD_RULES,
    read=records.get_record,
    row_title=lambda r: CATEGORIES.get(r.category, r.category),
    facts=lambda r, _: [("失信行为", r["category_label"]), ("严重程度", r["severity_label"]), ("事实", r["facts"]),
                        ("认定日期", r["decision_date"]), ("整改期限", r["rectification_due"]),
                        ("书面说明", r["explanation"]), ("整改情况", r["rectification"]),
                        ("信用修复承诺书", r["commitment_letter"]), ("可申请修复日期", r["repair_possible_from"]),
                        ("公示截止", r["publicity_ends"]), ("异议更正", r["correction_note"]),
                        ("适用规则", r["profile"]["label"])],
    actions=(
        StaffAction("explanation", RecordAction.explain, records.explain, records.ExplanationBody,
                    (FormField("explanation", "说明", "textarea", required=True), FILES)),
        StaffAction("rectification", RecordAction.submit_rectification, records.rectification,
                    records.RectificationBody,
                    (FormField("description", "整改情况", "textarea", required=True), EVIDENCE, FILES)),
        StaffAction("rectification-verification", RecordAction.verify_rectification, records.verify_rectification,
                    records.DecisionBody,
                    (FormField("reason", "核验意见（不通过时必填）", "textarea"),
                     FormField("accepted", "结论", "buttons", {"true": "整改通过", "false": "整改不通过"}))),
        StaffAction("repair", RecordAction.request_repair, records.repair, records.RepairBody,
                    (FormField("commitment_letter", "信用修复承诺书", "textarea", required=True), EVIDENCE,
                     FormField(FILES_FIELD, "上传签署的信用承诺书及其他材料（可多选）", "files", hint=files_hint()))),
        StaffAction("repair-decision", RecordAction.decide_repair, records.decide_repair, records.DecisionBody,
                    (FormField("reason", "意见（不予修复时必填）", "textarea"),
                     FormField("approved", "结论", "buttons", {"true": "准予修复", "false": "不予修复"})),
                    confirm=(("approved", "true"),)),
        StaffAction("rectification-deadline", RecordAction.set_rectification_due, records.rectification_deadline,
                    records.DueBody, (FormField("due_date", "整改期限", "date", required=True), REASON_REQUIRED)),
        StaffAction("severity", RecordAction.classify, records.severity, records.SeverityBody,
                    (FormField("severity", "严重程度", "select", SEVERITIES, required=True), REASON_REQUIRED)),
        StaffAction("mitigation", RecordAction.mitigate, records.mitigation, records.MitigationBody,
                    (FormField("effect", "处理", "select", MITIGATIONS, required=True), REASON_REQUIRED)),
    ),
)

OBJECTION = CaseKind(
    kind="objections", case_type="objection", label="异议", id_param="objection_id", model=Objection,
    rules=OBJECTION_RULES,
    read=objections.get_objection,
    row_title=lambda r: r.claim[:40],
    facts=lambda o, s: [("异议对象", target_zh(s, o["target"]["type"], o["target"]["id"])),
                        ("信息提供单位", department_name(s, o["department"])),
                        ("申请人", o["applicant_name"]), ("联系邮箱", o["applicant_email"]), ("异议请求", o["claim"]),
                        ("理由", o["reasons"]), ("补正材料", "；".join(o["supplements"]) or None),
                        ("核实意见", o["finding"]), ("决定理由", o["decision_reason"]), ("更正内容", o["correction"]),
                        ("适用规则", o["profile"]["label"])],
    actions=(
        StaffAction("acceptance", ObjectionAction.accept, objections.accept, objections.AcceptanceBody,
                    (FormField("needs_supplement", "要求补正材料", "select",
                               {"false": "否", "true": "是，要求申请人补正"}),
                     FormField("reason", "说明（不予受理或要求补正时必填）", "textarea"),
                     FormField("accepted", "结论", "buttons", {"true": "受理", "false": "不予受理"})),
                    confirm=(("accepted", "false"),)),
        StaffAction("verification", ObjectionAction.verify, objections.verify, objections.FindingBody,
                    (FormField("finding", "核实意见", "textarea", required=True),)),
        StaffAction("decision", ObjectionAction.decide, objections.decide, objections.DecisionBody,
                    (FormField("outcome", "决定", "select",
                               {"upheld": "维持原信息", "corrected": "更正", "revoked": "撤销"}, required=True),
                     FormField("correction", "更正内容（更正时必填）", "textarea"), REASON_REQUIRED),
                    confirm=(("outcome", ANY),)),
    ),
)

COMPLAINT = CaseKind(
    kind="complaints", case_type="complaint", label="投诉", id_param="complaint_id", model=Complaint,
    rules=COMPLAINT_RULES,
    read=complaints.get_complaint,
    row_title=lambda r: r.subject,
    facts=lambda c, _: [("被投诉单位", c["department_name"]), ("类别", COMPLAINT_TOPICS.get(c["topic"], c["topic"])),
                        ("投诉内容", c["description"]), ("投诉人", c["complainant_name"]),
                        ("联系邮箱", c["complainant_email"]), ("单位答复", c["response"]),
                        ("审核意见", c["review_reason"]), ("投诉人评价", FEEDBACK_ZH.get(c["feedback"] or "")),
                        ("适用规则", c["profile"]["label"])],
    actions=(
        StaffAction("triage", ComplaintAction.triage, complaints.triage, complaints.TriageBody,
                    (FormField("department", "改派单位", "select", _departments, blank="不改派"),
                     FormField("reason", "说明（不予受理时必填）", "textarea"),
                     FormField("dismiss", "结论", "buttons", {"false": "分办", "true": "不予受理"})),
                    confirm=(("dismiss", "true"),)),
        StaffAction("response", ComplaintAction.respond, complaints.respond, complaints.ResponseBody,
                    (FormField("response", "答复", "textarea", required=True), EVIDENCE, FILES)),
        StaffAction("review", ComplaintAction.review, complaints.review, complaints.ReviewBody,
                    (FormField("severity", "属实时的严重程度", "select", SEVERITIES, default="general"),
                     REASON_REQUIRED,
                     FormField("substantiated", "结论", "buttons", {"true": "投诉属实", "false": "投诉不属实"})),
                    confirm=(("substantiated", ANY),)),
    ),
)

def _motion_refusal(action: str, actor: Actor, facts: Facts, row: Any) -> Refusal | None:
    return motion.refusal(action, actor.role, actor.department, facts, list(row.co_departments or []))


def _motion_facts(m: dict[str, Any], session: Session) -> list[tuple[str, Any]]:
    def names(codes: list[str]) -> str | None:
        return "、".join(department_name(session, c) for c in codes) or None

    opinions = "；".join(f"{department_name(session, k)}：{v}" for k, v in m["co_opinions"].items()) or None
    return [("类别", m["kind_zh"]), ("编号", m["number"]), ("主办单位", m["department_name"]),
            ("会办单位", names(m["co_departments"])), ("代表委员", m["deputy_name"]),
            ("联系方式", m["deputy_contact"]), ("内容", m["content"]), ("会办意见", opinions),
            ("答复", m["reply_text"]), ("办理结果", m["result_class_zh"]), ("承诺", m["promise"]),
            ("审签领导", m["approved_by_leader"]), ("会办逾期", names(m["co_late"])),
            ("代表委员意见", motion.FEEDBACK.get(m["feedback"] or "")), ("适用规则", m["profile"]["label"])]


MOTION = CaseKind(
    kind="motions", case_type="motion", label="建议提案", id_param="motion_id", model=Motion,
    rules=motion.MOTION_RULES,
    read=motions.get_motion,
    row_title=lambda r: f"{r.number} {r.title}",
    reads=motions.may_read, refuse=_motion_refusal, unit_sql_filter=False,
    facts=lambda m, session: _motion_facts(m, session),
    actions=(
        StaffAction("request_reassignment", motion.MotionAction.request_reassignment, motions.request_reassignment,
                    motions.ReasonBody, (FormField("reason", "不属于本单位职责的理由", "textarea", required=True),)),
        StaffAction("reassign", motion.MotionAction.reassign, motions.reassign, motions.ReassignBody,
                    (FormField("department", "新的主办单位", "select", _departments, blank="不予调整"),
                     REASON)),
        StaffAction("send_opinion", motion.MotionAction.send_opinion, motions.send_opinion, motions.OpinionBody,
                    (FormField("opinion", "会办意见", "textarea", required=True),)),
        StaffAction("draft_reply", motion.MotionAction.draft_reply, motions.draft_reply, motions.DraftBody,
                    (FormField("reply", "答复内容", "textarea", required=True),
                     FormField("result_class", "办理结果", "select", motion.RESULT_CLASSES, required=True),
                     FormField("promise", "所作承诺（B类、C类必填）", "textarea"),
                     FormField("promise_due", "承诺兑现日期（B类、C类必填）", "date"))),
        StaffAction("approve_reply", motion.MotionAction.approve_reply, motions.approve_reply, motions.ApprovalBody,
                    (FormField("leader", "审签的单位领导", required=True),), submit="审签并答复"),
        StaffAction("extend", motion.MotionAction.extend, motions.extend, motions.ReasonBody,
                    (FormField("reason", "延期理由（涉及面广、处理难度大）", "textarea", required=True),)),
        StaffAction("record_feedback", motion.MotionAction.record_feedback, motions.record_feedback,
                    motions.FeedbackBody,
                    (FormField("feedback", "代表委员意见", "select", motion.FEEDBACK, required=True),
                     FormField("comment", "具体意见（选填）", "textarea"))),
        StaffAction("publish_reply", motion.MotionAction.publish_reply, motions.publish_reply, None, (),
                    submit="公开答复"),
    ),
)


TIMELINESS_ZH = {True: "按期报送", False: "逾期报送"}

INTEGRITY_REPORT = CaseKind(
    kind="integrity-reports", case_type="integrity_report", label="政务诚信建设情况报告", id_param="report_id",
    model=IntegrityReport, rules=REPORT_RULES,
    read=integrity_reports.get_report,
    row_title=lambda r: f"{parse_report_period(r.period_key).label_zh}政务诚信建设情况",
    facts=lambda r, _: [("报送单位", r["department_name"]), ("报送期间", r["label"]), ("报送期限", r["due_date"]),
                        ("报告内容", r["text"]), ("是否按期", TIMELINESS_ZH.get(r["on_time"])),
                        ("退回理由", r["return_reason"])],
    actions=(
        StaffAction("submission", ReportAction.submit, integrity_reports.submit, integrity_reports.SubmissionBody,
                    (FormField("text", "本期政务诚信建设情况", "textarea", required=True),
                     FormField(FILES_FIELD, "上传报告材料（选填，可多选）", "files", hint=files_hint())),
                    submit="报送"),
        StaffAction("acceptance", ReportAction.accept, integrity_reports.accept, integrity_reports.AcceptanceBody,
                    (FormField("comment", "审核意见（选填）", "textarea"),), submit="审核通过"),
        StaffAction("return", ReportAction.return_report, integrity_reports.return_report,
                    integrity_reports.ReturnBody,
                    (REASON_REQUIRED, FormField("due_date", "重新报送期限", "date", required=True)), submit="退回"),
    ),
)

CASE_KINDS: dict[str, CaseKind] = {k.kind: k for k in (COMMITMENT, RECORD, OBJECTION, COMPLAINT, MOTION,
                                                        INTEGRITY_REPORT)}
KIND_OF_CASE_TYPE: dict[str, CaseKind] = {k.case_type: k for k in CASE_KINDS.values()}


@dataclass(frozen=True)
class CreateForm:
    """A form that registers a new case through the API's create endpoint."""

    kind: str
    label: str
    rules: ActionTable  # its `creators` may use the form
    endpoint: Callable[..., Awaitable[Any]]
    body: type[BaseModel]
    fields: Callable[[dict[str, str], str], tuple[FormField, ...]]  # (departments, role) → fields

    def open_to(self, role: str) -> bool:
        return role in self.rules.creators


def _commitment_fields(departments: dict[str, str], role: str) -> tuple[FormField, ...]:
    dept = () if role == "department" else (FormField("department", "责任单位", "select", departments, True),)
    return (*dept, FormField("kind", "承诺类别", "select", KINDS, True), FormField("title", "标题", required=True),
            FormField("content", "承诺内容", "textarea", required=True),
            FormField("due_date", "履行期限", "date", required=True), FormField("official", "责任人（选填）"),
            FormField("milestones", "履行节点（选填，每行一项：2027-03-31 节点名称）", "milestones"),
            FormField("publish", "登记后立即发布", "select", {"true": "是，立即发布", "false": "否，先保存草稿"}, True))


def _record_fields(departments: dict[str, str], role: str) -> tuple[FormField, ...]:
    return (FormField("subject_department", "失信主体单位", "select", departments, True),
            FormField("subject_official", "责任人（选填）"),
            FormField("category", "失信行为类别", "select", CATEGORIES, True),
            FormField("severity", "严重程度", "select", SEVERITIES, True, default="general"),
            FormField("facts", "失信事实", "textarea", required=True),
            FormField("decision_date", "认定日期", "date", required=True),
            FormField("rectification_due", "整改期限（留空按默认）", "date"))


def _motion_fields(departments: dict[str, str], role: str) -> tuple[FormField, ...]:
    return (FormField("kind", "类别", "select", motion.MOTION_KINDS, True),
            FormField("number", "编号", required=True, hint="如：第 101 号"),
            FormField("title", "标题", required=True),
            FormField("content", "建议或提案内容", "textarea", required=True),
            FormField("deputy_name", "代表或委员姓名", required=True),
            FormField("deputy_contact", "联系方式（选填，仅本办可见，不公开）"),
            FormField("lead_department", "主办单位", "select", departments, True),
            FormField("co_departments", "会办单位（选填，可多选）", "checkboxes", departments,
                      hint="会办单位须在一个月内向主办单位提出会办意见；主办单位不必再选"))


CREATE_FORMS: dict[str, CreateForm] = {
    "commitments": CreateForm("commitments", "登记政务承诺", COMMITMENT_RULES,
                              commitments.create_commitment, commitments.CommitmentCreate, _commitment_fields),
    "records": CreateForm("records", "记录失信信息", RECORD_RULES, records.create_record,
                          records.RecordCreate, _record_fields),
    "motions": CreateForm("motions", "登记建议提案", motion.MOTION_RULES, motions.create_motion, motions.MotionCreate,
                          _motion_fields),
}


def form_values(fields: tuple[FormField, ...], form: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(body, path parameters) from submitted form text; an empty field means 'not given'."""
    body: dict[str, Any] = {}
    path: dict[str, Any] = {}
    for f in fields:
        if f.kind == "files":  # not text: api/pages/uploads.py stores the files
            continue
        raw = form.get(f.name, "").strip()
        if not raw:
            continue
        value: Any = raw
        if f.kind in ("lines", "checkboxes"):
            value = [line.strip() for line in raw.splitlines() if line.strip()]
        elif f.kind == "milestones":
            value = [dict(zip(("due_date", "title"), line.strip().split(None, 1), strict=False))
                     for line in raw.splitlines() if line.strip()]
        (path if f.path else body)[f.name] = value
    return body, path


DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def short_label(f: FormField) -> str:
    """The label without its bracketed note: 新履行期限（不变则留空） → 新履行期限."""
    return f.label.split("（", 1)[0]


def input_errors(fields: tuple[FormField, ...], form: dict[str, str]) -> dict[str, str]:
    """What the clerk must do before the form can be sent, by field, said as an instruction (请填写理由,
    请输入 2026-12-31 这样的日期): a required field left empty, a date not written as a date. The API's own
    checks come after these."""
    errors: dict[str, str] = {}
    for f in fields:
        raw = form.get(f.name, "").strip()
        if f.kind == "buttons":
            continue
        if not raw and f.required:
            errors[f.name] = (f"请选择{short_label(f)}" if f.kind in ("select", "checkboxes")
                              else f"请填写{short_label(f)}")
        elif raw and f.kind == "date" and not DATE.fullmatch(raw):
            errors[f.name] = "请输入 2026-12-31 这样的日期"
    return errors

