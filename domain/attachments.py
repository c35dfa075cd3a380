"""Evidence files: which types are accepted (by their content, never by the name), how a name is made safe,
which steps carry files and whose files they are, and who may read them. One table, read by the upload and
download routes, the case pages and the forms."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

from domain.capabilities import Capability, may


@dataclass(frozen=True)
class FileType:
    key: str
    content_type: str
    extensions: tuple[str, ...]  # the first is the one a name gets when its own does not fit
    label: str


FILE_TYPES: dict[str, FileType] = {t.key: t for t in (
    FileType("pdf", "application/pdf", (".pdf",), "PDF"),
    FileType("ofd", "application/ofd", (".ofd",), "OFD"),
    FileType("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG 图片"),
    FileType("png", "image/png", (".png",), "PNG 图片"),
    FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",),
             "Word 文档"),
    FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",),
             "Excel 表格"),
)}
ACCEPT = ",".join(ext for t in FILE_TYPES.values() for ext in t.extensions)  # the file input's `accept`
ACCEPTED_ZH = "PDF、OFD、JPEG、PNG、Word（docx）、Excel（xlsx）"

_ZIP_MAGIC = b"PK\x03\x04"


def detect(file: IO[bytes]) -> FileType | None:
    """The type of `file` read from its bytes (the name and the declared type are ignored): an HTML page, an
    SVG, a script or a program is None whatever it is called. Office files and OFD are ZIP packages told apart
    by the parts they hold; a ZIP of anything else is refused. Leaves the file at its start."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return FILE_TYPES["pdf"]
        if head.startswith(b"\xff\xd8\xff"):
            return FILE_TYPES["jpeg"]
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return FILE_TYPES["png"]
        if head.startswith(_ZIP_MAGIC):
            return _package_type(file)
        return None
    finally:
        file.seek(0)


def _package_type(file: IO[bytes]) -> FileType | None:
    try:
        with zipfile.ZipFile(file) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "OFD.xml" in names:
        return FILE_TYPES["ofd"]
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names) and "word/vbaProject.bin" not in names:
            return FILE_TYPES["docx"]
        if any(n.startswith("xl/") for n in names) and "xl/vbaProject.bin" not in names:
            return FILE_TYPES["xlsx"]
    return None


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]+')


def safe_name(name: str | None, kind: FileType) -> str:
    """The uploaded name without a path, control characters or characters a file system or a header
    refuses, at most 120 characters, ending in an extension of its real type."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).strip(" ._") or "附件"
    stem, dot, ext = base.rpartition(".")
    if not dot or f".{ext.lower()}" not in kind.extensions:
        stem = base
        ext = kind.extensions[0].lstrip(".")
    return f"{stem[:110].rstrip(' .') or '附件'}.{ext.lower()}"


class Party(StrEnum):
    """Whose evidence a file is: it decides who reads it."""

    department = "department"  # a department's report, explanation, rectification, letter, reply
    applicant = "applicant"  # an objection's applicant (personal data)
    complainant = "complainant"  # a complainant (personal data; never the accused department)


@dataclass(frozen=True)
class EvidenceStep:
    """A step that carries files: the audit event (or filing) it comes with, and whose files they are."""

    key: str  # the Event value written with the step, or "submitted" for a filing
    case_type: str
    party: Party
    label: str  # what the files are, on pages


EVIDENCE_STEPS: tuple[EvidenceStep, ...] = (
    EvidenceStep("fulfilment_reported", "commitment", Party.department, "履行情况证明材料"),
    EvidenceStep("milestone_done", "commitment", Party.department, "节点完成材料"),
    EvidenceStep("progress_posted", "commitment", Party.department, "进展材料"),
    EvidenceStep("explained", "record", Party.department, "书面说明材料"),
    EvidenceStep("rectification_submitted", "record", Party.department, "整改材料"),
    EvidenceStep("repair_requested", "record", Party.department, "信用承诺书及修复申请材料"),
    EvidenceStep("submitted", "objection", Party.applicant, "异议证明材料"),
    EvidenceStep("supplemented", "objection", Party.applicant, "补正材料"),
    EvidenceStep("submitted", "complaint", Party.complainant, "投诉证据材料"),
    EvidenceStep("responded", "complaint", Party.department, "单位答复材料"),
    EvidenceStep("report_submitted", "integrity_report", Party.department, "诚信建设情况报告材料"),
)
_STEPS = {(s.case_type, s.key): s for s in EVIDENCE_STEPS}


def evidence_step(case_type: str, key: str) -> EvidenceStep | None:
    return _STEPS.get((case_type, key))


@dataclass(frozen=True)
class Viewer:
    """Who asks for a file: a staff role (with its department), the applicant holding the case's tracking code,
    or the public (role None)."""

    role: str | None = None
    department: str | None = None
    holds_code: bool = False


def may_read(viewer: Viewer, *, party: Party, case_type: str, department: str, public_file: bool,
             public_case: bool) -> bool:
    """The table of issue 8 for files. The credit office and supervisors always; the department its own
    department's evidence, and an objection's files because the spec has the source department verify the
    objection (processes.md §4) — never a complainant's (no retaliation, processes.md §5/§10); the applicant
    their own case's files; the public only department evidence the credit office made public on a public case."""
    if viewer.role is not None and may(viewer.role, Capability.read_personal_data):
        return True
    if party is Party.department:
        if viewer.role is not None and may(viewer.role, Capability.read_all_cases):
            return True
        if viewer.role == "department" and viewer.department == department:
            return True
        if viewer.holds_code and case_type in ("objection", "complaint"):
            return True  # the department's reply to the applicant's own case
        return public_file and public_case
    if viewer.holds_code:
        return True
    return party is Party.applicant and viewer.role == "department" and viewer.department == department


def may_publish(party: Party) -> bool:
    """Only a department's evidence may ever be made public; a citizen's files never are."""
    return party is Party.department
