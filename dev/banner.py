"""What `make run` prints once everything answers: where each part is, and the demo logins of a first start."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dev.temporal import EMBEDDED_TEMPORAL_UI_PORT


def display_host(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def _width(text: str) -> int:
    """Terminal columns of ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def safe_url(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@dataclass
class Plan:
    web_host: str
    web_port: int
    temporal_address: str
    namespace: str
    embedded_temporal: bool
    smtp_host: str
    smtp_port: int
    sink: bool
    mail_dir: Path | None
    database_url: str = ""
    demo_logins: Sequence[Sequence[str]] | None = None


def banner(plan: Plan) -> str:
    base = f"http://{display_host(plan.web_host)}:{plan.web_port}"
    rows = [
        ("门户 Portal", f"{base}/"),
        ("API docs", f"{base}/docs"),
    ]
    if plan.sink:
        rows.append(("开发邮箱 Dev mail", f"{base}/dev/mail   (SMTP {plan.smtp_host}:{plan.smtp_port})"))
    else:
        rows.append(("SMTP relay", f"{plan.smtp_host}:{plan.smtp_port}"))
    if plan.embedded_temporal:
        rows.append(("Temporal UI", f"http://127.0.0.1:{EMBEDDED_TEMPORAL_UI_PORT}   (gRPC {plan.temporal_address})"))
    else:
        rows.append(("Temporal", f"{plan.temporal_address} (external)"))
    rows.append(("Database", safe_url(plan.database_url)))
    width = max(_width(label) for label, _ in rows) + 2
    out = ["", "=" * 78, " 诚信 Chengxin is running", ""]
    out += [f"   {label}{' ' * (width - _width(label))}{value}" for label, value in rows]
    out.append("")
    if plan.demo_logins:
        out.append(" Demo logins (created now; shown only on this first start):")
        out.append(f"   {'username':<20}{'password':<24}role")
        for username, password, role in plan.demo_logins:
            out.append(f"   {username:<20}{password:<24}{role}")
    else:
        out.append(" Demo data already present (its logins were printed on the first start).")
    out += ["", " Press Ctrl-C to stop.", "=" * 78, ""]
    return "\n".join(out)
