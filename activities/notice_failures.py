"""A notice that cannot be delivered: why (in words an admin can act on), and whether trying again can help."""

from __future__ import annotations

import unicodedata

import aiosmtplib


def one_line(text: str) -> str:
    """A header value on one line: control characters and line/paragraph separators become spaces and runs of
    whitespace one space, so no stored text can ever add a header line (or break the message)."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return " ".join(cleaned.split())


class UnbuildableNotice(Exception):
    """The stored row cannot be made into an e-mail: the same row fails the same way on every attempt."""


def is_permanent(error: Exception) -> bool:
    """True when trying again cannot help: the message cannot be built, or the server refused every recipient
    with a permanent (5xx) reply. A server that is down, busy or answers 4xx is tried again."""
    if isinstance(error, UnbuildableNotice):
        return True
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(r.code >= 500 for r in error.recipients)
    return isinstance(error, aiosmtplib.SMTPRecipientRefused) and error.code >= 500


def describe(error: Exception) -> str:
    """What went wrong, for the outbox's last_error and the admins' alert: a Chinese summary, then the detail."""
    if isinstance(error, UnbuildableNotice):
        summary = "邮件无法生成"
    elif isinstance(error, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPRecipientRefused):
        summary = "收件地址被邮件服务器拒收" if is_permanent(error) else "邮件服务器暂不接收该收件地址"
    elif isinstance(error, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected | OSError):
        summary = "无法连接邮件服务器"
    elif isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
        summary = "邮件服务器响应超时"
    else:
        summary = "邮件服务器拒绝投递"
    cause = error.__cause__ if isinstance(error, UnbuildableNotice) and error.__cause__ else error
    return f"{summary}（{type(cause).__name__}: {one_line(str(cause))}）"[:2000]
