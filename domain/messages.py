"""Small pydantic messages that cross the workflow boundary (never table objects)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.calendar import Deadline
from domain.deadlines import DeadlineSpec, ScheduledEvent
from domain.profiles import Reminders, RuleProfile


class Actor(BaseModel):
    username: str
    role: str
    department: str | None = None


SYSTEM = Actor(username="system", role="system")


CASE_TYPE_ZH = {"commitment": "政务承诺", "record": "失信记录", "objection": "异议", "complaint": "投诉",
                "motion": "建议提案", "integrity_report": "政务诚信建设情况报告",
                "follower": "关注"}  # a follower's confirmation mail is filed under its follow (api/pages/follow.py)


class AttachmentRef(BaseModel):
    """An uploaded file as a workflow knows it: its id and the hash of its bytes, never the bytes."""

    id: str
    sha256: str


def evidence_data(refs: list[AttachmentRef], data: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The audit event's data with the step's files, which the transition binds to the case (store/attachments)."""
    if not refs:
        return data
    return {**(data or {}), "attachments": [r.model_dump() for r in refs]}


class CaseRef(BaseModel):
    case_type: str
    case_id: int
    department: str | None = None


# --- commitment workflow -------------------------------------------------------------------------


class MilestoneSpec(BaseModel):
    seq: int
    title: str
    due_date: date


class CommitmentStart(BaseModel):
    commitment_id: int
    department: str
    title: str
    due_date: date
    created_on: date
    milestones: list[MilestoneSpec] = Field(default_factory=list)
    publish: bool = False
    actor: Actor
    profile: RuleProfile


class PublishRequest(BaseModel):
    actor: Actor


class FulfilmentReport(BaseModel):
    actor: Actor
    report: str
    evidence: list[str] = Field(default_factory=list)
    attachments: list[AttachmentRef] = Field(default_factory=list)


class VerificationDecision(BaseModel):
    actor: Actor
    accepted: bool
    reason: str = ""


class AmendmentRequest(BaseModel):
    actor: Actor
    withdraw: bool = False
    reason_code: str
    reason: str
    title: str | None = None
    content: str | None = None
    due_date: date | None = None


class AmendmentDecision(BaseModel):
    actor: Actor
    approved: bool
    reason: str = ""


class PauseRequest(BaseModel):
    actor: Actor
    reason_code: Literal["awaiting_supplement", "inspection", "force_majeure"]
    reason: str


class ResumeRequest(BaseModel):
    actor: Actor


class ExtensionRequest(BaseModel):
    actor: Actor
    working_days: int
    reason: str


class MilestoneDone(BaseModel):
    actor: Actor
    seq: int
    note: str = ""
    attachments: list[AttachmentRef] = Field(default_factory=list)


PROGRESS_TEXT_MAX = 2000


class ProgressUpdate(BaseModel):
    """A dated progress note the department posts while the commitment runs (no change of state); `percent` is
    the department's own estimate, shown as it was given."""

    actor: Actor
    text: str
    percent: int | None = Field(default=None, ge=0, le=100)
    attachments: list[AttachmentRef] = Field(default_factory=list)


class CommitmentView(BaseModel):
    """What an update returns: the state after the action."""

    commitment_id: int
    state: str
    overdue: bool
    amended: bool
    due_at: datetime | None = None
    extensions_used: int = 0
    paused: bool = False


# --- activities ------------------------------------------------------------------------------------


class QueuedNotice(BaseModel):
    outbox_id: int
    deliver_at: datetime


class PlanRequest(BaseModel):
    case: CaseRef
    spec: DeadlineSpec
    binds: str
    reminders: Reminders | None = None
    at: datetime


class Plan(BaseModel):
    deadline: Deadline
    events: list[ScheduledEvent]
    paused: bool
    notices: list[QueuedNotice] = Field(default_factory=list)


DeadlineState = Literal["open", "paused", "met", "missed", "closed"]


class DeadlineStatus(BaseModel):
    case: CaseRef
    key: str
    status: DeadlineState


class Transition(BaseModel):
    case: CaseRef
    event_key: str
    action: str
    from_state: str | None
    to_state: str | None
    actor: Actor
    reason: str | None = None
    at: datetime
    data: dict[str, Any] = Field(default_factory=dict)
    # column updates applied to the case row in the same transaction as the audit event
    changes: dict[str, Any] = Field(default_factory=dict)


class NoticeRequest(BaseModel):
    case: CaseRef
    event_key: str
    template: str
    recipients: list[str]  # department:{code} | supervisor:{code} | credit_office | admins | email:{addr}
    context: dict[str, Any] = Field(default_factory=dict)
    at: datetime
    window: bool = False  # reminders/escalations wait for 08:30–18:00 on a working day


class StepRequest(BaseModel):
    """One step of a case, written by one activity in one transaction (activities/step.py): its transitions
    (with their followers' mails and 归集共享 deliveries when public), its notices and the deadlines it opens."""

    case: CaseRef
    transitions: list[Transition] = Field(default_factory=list)
    notices: list[NoticeRequest] = Field(default_factory=list)
    plans: list[PlanRequest] = Field(default_factory=list)
    # Deadlines the step closes (workflows.common.ONE_STEP_EVERYWHERE), set after its plans are written, so a
    # deadline the step opens and closes ends closed. Steps of ONE_STEP histories send none.
    closes: list[DeadlineStatus] = Field(default_factory=list)


class CalendarWake(BaseModel):
    """A calendar change wakes a case with its deadlines' new plans, by key (activities/calendar_change.py)."""

    plans: dict[str, Plan] = Field(default_factory=dict)


class StepResult(BaseModel):
    notices: list[QueuedNotice] = Field(default_factory=list)  # every row still to deliver, with its instant
    plans: list[Plan] = Field(default_factory=list)  # in the order of the request's plans




# --- record workflow -----------------------------------------------------------------------------


class RecordStart(BaseModel):
    record_id: int
    department: str
    title: str
    severity: str
    decision_date: date
    recorded_on: date
    rectification_due: date | None = None
    shared_with: list[str] = Field(default_factory=list)
    actor: Actor
    profile: RuleProfile


class ExplanationIn(BaseModel):
    actor: Actor
    explanation: str
    attachments: list[AttachmentRef] = Field(default_factory=list)


class RectificationIn(BaseModel):
    actor: Actor
    description: str
    evidence: list[str] = Field(default_factory=list)
    attachments: list[AttachmentRef] = Field(default_factory=list)


class RectificationVerdict(BaseModel):
    actor: Actor
    accepted: bool
    reason: str = ""


class RepairRequest(BaseModel):
    actor: Actor
    commitment_letter: str
    evidence: list[str] = Field(default_factory=list)
    attachments: list[AttachmentRef] = Field(default_factory=list)


class RepairDecision(BaseModel):
    actor: Actor
    approved: bool
    reason: str = ""


class MitigationIn(BaseModel):
    actor: Actor
    effect: Literal["mitigated", "exempted"]
    reason: str


class SeverityIn(BaseModel):
    actor: Actor
    severity: Literal["minor", "general", "serious"]
    reason: str


class RectificationDueIn(BaseModel):
    actor: Actor
    due_date: date
    reason: str


class RecordView(BaseModel):
    record_id: int
    state: str
    public: bool
    severity: str
    rectification_overdue: bool
    repair_possible_from: date
    publicity_ends: date


class BreachRecordRequest(BaseModel):
    """A breached commitment opens one record (the source key makes a retry find the same one)."""

    commitment_id: int
    department: str
    title: str
    at: datetime
    profile: RuleProfile


# --- objection and complaint workflows -------------------------------------------------------------


class Target(BaseModel):
    case_type: Literal["record", "commitment"]
    case_id: int
    department: str
    title: str


class ObjectionStart(BaseModel):
    objection_id: int
    target: Target
    received_on: date
    applicant_email: str
    profile: RuleProfile


class AcceptanceIn(BaseModel):
    actor: Actor
    accepted: bool
    needs_supplement: bool = False
    reason: str = ""


class SupplementIn(BaseModel):
    material: str
    attachments: list[AttachmentRef] = Field(default_factory=list)


class FindingIn(BaseModel):
    actor: Actor
    finding: str


class ObjectionDecisionIn(BaseModel):
    actor: Actor
    outcome: Literal["corrected", "revoked", "upheld"]
    reason: str
    correction: str = ""


class WithdrawalIn(BaseModel):
    reason: str = ""


class ObjectionOutcome(BaseModel):
    """Sent to a record's workflow: apply a decided objection to it."""

    objection_id: int
    outcome: Literal["corrected", "revoked", "upheld"]
    reason: str
    correction: str = ""
    actor: Actor
    source: str = ""  # who decided it, e.g. "投诉（编号 3）复核"; default: the objection


class CommitmentStatusDecision(BaseModel):
    """Sent to a commitment's workflow: a decided objection corrects or revokes its public status."""

    objection_id: int
    outcome: Literal["corrected", "revoked"]
    reason: str
    correction: str = ""
    disputed: str  # the status the objection disputed, as the public saw it (e.g. 未践诺)
    record_id: int | None = None  # the dishonesty record its breach opened, revoked with it
    actor: Actor


class CommitmentFacts(BaseModel):
    """What an objection's decision needs to know of the disputed commitment (read by an activity)."""

    state: str
    overdue: bool
    record_id: int | None = None


class ObjectionView(BaseModel):
    objection_id: int
    state: str
    outcome: str | None = None
    department_late: bool = False


class ComplaintStart(BaseModel):
    complaint_id: int
    department: str
    subject: str
    received_on: date
    complainant_email: str | None = None
    commitment_id: int | None = None
    profile: RuleProfile


class TriageIn(BaseModel):
    actor: Actor
    dismiss: bool = False
    department: str | None = None
    reason: str = ""


class ResponseIn(BaseModel):
    actor: Actor
    response: str
    evidence: list[str] = Field(default_factory=list)
    attachments: list[AttachmentRef] = Field(default_factory=list)


class ReviewIn(BaseModel):
    actor: Actor
    substantiated: bool
    reason: str
    severity: Literal["minor", "general", "serious"] = "general"


class FeedbackIn(BaseModel):
    satisfied: bool
    comment: str = ""


class ComplaintView(BaseModel):
    complaint_id: int
    state: str
    department: str
    reopened: bool = False
    record_id: int | None = None


class ComplaintRecordRequest(BaseModel):
    complaint_id: int
    department: str
    subject: str
    severity: str
    reason: str
    at: datetime
    profile: RuleProfile


# --- suggestion and proposal workflow (建议提案, workflows/motion.py) ------------------------------------


class MotionStart(BaseModel):
    motion_id: int
    kind: str  # domain.motion.MOTION_KINDS
    number: str
    title: str
    department: str  # the lead unit (主办)
    co_departments: list[str] = Field(default_factory=list)  # 会办单位
    assigned_on: date
    actor: Actor
    profile: RuleProfile
    unit_names: dict[str, str] = Field(default_factory=dict)  # code → name, for the history and the notices' words


class ReassignmentRequestIn(BaseModel):
    actor: Actor
    reason: str


class ReassignIn(BaseModel):
    actor: Actor
    department: str | None = None  # the new lead unit; None declines the request (the unit keeps it)
    reason: str = ""
    department_name: str | None = None  # the new lead unit's name, for the history's words


class OpinionIn(BaseModel):
    actor: Actor
    opinion: str


class DraftIn(BaseModel):
    actor: Actor
    reply: str
    result_class: Literal["A", "B", "C", "D"]
    promise: str | None = None  # B/C: what the unit promises, tracked as a commitment
    promise_due: date | None = None


class ApprovalIn(BaseModel):
    actor: Actor
    leader: str  # the unit's leader who approved the reply (审签)


class MotionExtensionIn(BaseModel):
    actor: Actor
    reason: str


class MotionFeedbackIn(BaseModel):
    actor: Actor  # the coordinator records what the deputy or member said (they have no account)
    feedback: Literal["satisfied", "basically_satisfied", "dissatisfied"]
    comment: str = ""


class MotionPublishIn(BaseModel):
    actor: Actor


class MotionView(BaseModel):
    motion_id: int
    state: str
    department: str
    co_departments: list[str] = Field(default_factory=list)
    co_sent: list[str] = Field(default_factory=list)
    co_late: list[str] = Field(default_factory=list)
    extended: bool = False
    late: bool = False
    reopened: bool = False
    reply_public: bool = False
    reply_due_at: datetime | None = None
    commitment_ids: list[int] = Field(default_factory=list)


class MotionPromiseRequest(BaseModel):
    """A B/C reply's promise becomes a commitment of the lead unit: one per reply round, however often asked."""

    motion_id: int
    round: int
    department: str
    title: str
    promise: str
    due_date: date
    actor: Actor
    at: datetime


# --- quarterly report workflow -------------------------------------------------------------------


class ReportRun(BaseModel):
    period: str | None = None  # e.g. "2026Q3"; None: the quarter that ended last (what the schedule runs)


class ReportNotice(BaseModel):
    period: str
    at: datetime  # the workflow's time: the notice is due now, not at the activity's wall-clock time


class ReportDone(BaseModel):
    period: str
    sent_at: datetime
    notices: int


class CalendarReplanRequest(BaseModel):
    """Re-plan every open deadline on calendar `version`, as of `at` (the batch workflow's clock)."""

    version: int
    at: datetime


class WakeGroup(BaseModel):
    """Cases to signal at `at` (domain.deadlines.wake_time), most urgent first."""

    at: datetime
    workflow_ids: list[str]


class CalendarReplanResult(BaseModel):
    version: int
    reprojected: int = 0  # open deadlines brought to the version
    moved: int = 0  # of which the due date (or 暂定) changed: logged on the case, party told
    wake: list[WakeGroup] = Field(default_factory=list)  # cases that must move a timer, in order of `at`
    notices: list[QueuedNotice] = Field(default_factory=list)  # one digest per party


class CalendarChangeProgress(BaseModel):
    """What a calendar change run has done so far (its `progress` query)."""

    version: int
    replanned: bool = False  # the batch is done: every open deadline is on the version
    reprojected: int = 0
    moved: int = 0
    woken: int = 0  # cases signalled so far
    waiting: int = 0  # cases still to be woken, at `next_wake_at`
    next_wake_at: datetime | None = None


# --- integrity reports (workflows/integrity_report.py) ----------------------------------------------------


class IntegrityReportStart(BaseModel):
    report_id: int
    department: str
    period_key: str  # 2026Q4, 2026H1, 2026 (domain/integrity_report.py)
    profile: RuleProfile


class ReportSubmission(BaseModel):
    actor: Actor
    text: str
    attachments: list[AttachmentRef] = Field(default_factory=list)


class ReportAcceptance(BaseModel):
    actor: Actor
    comment: str = ""


class ReportReturn(BaseModel):
    actor: Actor
    reason: str
    due_date: date  # the new due date the credit office sets


class IntegrityReportView(BaseModel):
    report_id: int
    department: str
    period_key: str
    state: str
    due_date: date | None
    overdue: bool
    on_time: bool | None


class IntegrityOpenRun(BaseModel):
    """The opener's input from the Schedule: empty (today, local); a test or an operator may name the day."""

    today: date | None = None


class IntegrityOpenRequest(BaseModel):
    today: date
    at: datetime


class IntegrityOpenDone(BaseModel):
    started: list[str]  # workflow ids started by this run
    already: int  # reports whose workflow was already started (or has finished)


# --- 归集共享 (workflows/delivery.py) -------------------------------------------------------------------------


class DeliveryStart(BaseModel):
    delivery_id: int
    uid: str
    case: CaseRef  # the record or commitment it carries
    platform: str  # the receiving platform's name, for the notice
    title: str
    due_at: datetime | None = None  # a retraction's deadline: past it, the credit office is told
    max_interval_seconds: int = 600  # the longest wait between two attempts
