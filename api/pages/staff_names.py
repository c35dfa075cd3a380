"""The words the staff pages use for cases, departments and people: a case's title ("异议 1（关于：政务承诺
《企业开办一日办结》）"), a department's name, who took a step ("信用办", "申请人"), a pending amendment —
so a clerk never reads a type code, a department code or a role key. One function for each, used by the
case page, the work queue and the deadlines list alike."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.accounts import ROLE_LABELS
from domain.integrity_report import parse_report_period
from domain.messages import CASE_TYPE_ZH
from domain.record import CATEGORIES
from store.models import Commitment, Complaint, Department, IntegrityReport, Objection, Record

# the people of a case who are not staff: the one who filed it, and the platform itself
PUBLIC_ROLE_ZH = {"objection": "申请人", "complaint": "投诉人"}
SYSTEM_ZH = "系统"


def department_name(session: Session, code: str | None) -> str:
    if not code:
        return ""
    row = session.get(Department, code)
    return row.name if row else code


def target_zh(session: Session, target_type: str, target_id: int) -> str:
    """What an objection is about: 政务承诺《标题》, or 失信记录 3（单位，类别）."""
    if target_type == "commitment":
        commitment = session.get(Commitment, target_id)
        if commitment is not None:
            return f"政务承诺《{commitment.title}》"
    elif target_type == "record":
        record = session.get(Record, target_id)
        if record is not None:
            category = CATEGORIES.get(record.category, "失信信息")
            return f"失信记录 {target_id}（{department_name(session, record.department_code)}，{category}）"
    return f"{CASE_TYPE_ZH.get(target_type, '信息')} {target_id}"


def case_title(session: Session, case_type: str, row: Any) -> str:
    """The case's title from its table row, the same on every staff page."""
    label = CASE_TYPE_ZH.get(case_type, "案件")
    if isinstance(row, Commitment):
        return f"{label} {row.id}：{row.title}"
    if isinstance(row, Record):
        return f"{label} {row.id}：{department_name(session, row.department_code)}"
    if isinstance(row, Objection):
        return f"{label} {row.id}（关于：{target_zh(session, row.target_type, row.target_id)}）"
    if isinstance(row, Complaint):
        return f"{label} {row.id}：{row.subject}"
    if isinstance(row, IntegrityReport):
        period = parse_report_period(row.period_key).label_zh
        return f"{label} {row.id}：{department_name(session, row.department_code)}（{period}）"
    return f"{label} {getattr(row, 'id', '')}"


def who_zh(case_type: str, role: str, username: str | None = None) -> str:
    """Who took a step, by role in Chinese; staff logins follow in brackets (the staff history names who did
    it), the filer and the platform are never shown by their internal names."""
    if role == "public":
        return PUBLIC_ROLE_ZH.get(case_type, "公众")
    if role == "system":
        return SYSTEM_ZH
    label = ROLE_LABELS.get(role, "工作人员")
    return f"{label}（{username}）" if username else label


def amendment_zh(pending: dict[str, Any] | None, reasons: dict[str, str]) -> str | None:
    """A requested change or withdrawal of a commitment, in a sentence."""
    if not pending:
        return None
    parts = ["撤回承诺" if pending.get("withdraw") else "变更承诺"]
    if pending.get("reason_code"):
        parts.append(f"法定事由：{reasons.get(pending['reason_code'], '其他法定事由')}")
    for key, label in (("title", "新标题"), ("content", "新内容"), ("due_date", "新履行期限")):
        if pending.get(key):
            parts.append(f"{label}：{pending[key]}")
    if pending.get("reason"):
        parts.append(f"理由：{pending['reason']}")
    return "；".join(parts)
