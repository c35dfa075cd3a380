"""Embedded local SMTP server ("mail sink") for development and tests.

Every message received is written verbatim as one ``.eml`` file into a directory, with the SMTP
envelope (sender, recipients) prepended as ``X-MailFrom`` / ``X-RcptTo`` headers. File names sort by
arrival time (UTC), e.g. ``20261122T021500.123456-0f1e...c9.eml``. ``/dev/mail`` in the API and the
API tests read the directory back with :func:`list_messages` / :func:`get_message`.

Importing this module has no side effects; :func:`start_mail_sink` starts the server in a thread.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = [
    "MailSinkHandler",
    "StoredMail",
    "get_message",
    "list_messages",
    "start_mail_sink",
]

_STAMP_FORMAT = "%Y%m%dT%H%M%S.%f"
FILENAME_RE = re.compile(r"^(\d{8}T\d{6}\.\d{6})-([0-9a-f]{32})\.eml$")


@dataclass(frozen=True)
class StoredMail:
    """One received message, parsed for display and assertions."""

    filename: str
    received_at: datetime  # UTC, aware
    mail_from: str  # decoded From header, e.g. "政务诚信平台 <noreply@chengxin.localhost>"
    to: list[str]  # bare recipient addresses: the SMTP envelope (includes Cc/Bcc), else To+Cc
    subject: str  # decoded
    text: str | None  # text/plain body
    html: str | None  # text/html body
    header_to: str = ""  # decoded To header as written
    cc: str = ""  # decoded Cc header
    envelope_from: str = ""  # SMTP MAIL FROM
    message_id: str = ""
    attachments: list[str] = field(default_factory=list)  # attachment file names
    headers: list[tuple[str, str]] = field(default_factory=list)  # all headers, decoded, in order


class MailSinkHandler:
    """aiosmtpd handler storing every message in ``directory`` as a ``.eml`` file."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = _as_bytes(envelope.original_content or envelope.content)
        self.store(envelope.mail_from or "", list(envelope.rcpt_tos), content)
        return "250 Message accepted for delivery"

    def store(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
        """Write one message atomically (temp file + rename) and return its path."""
        now = datetime.now(UTC)
        name = f"{now.strftime(_STAMP_FORMAT)}-{uuid.uuid4().hex}.eml"
        envelope_headers = (
            f"X-MailFrom: {_header_safe(mail_from)}\r\n"
            f"X-RcptTo: {_header_safe(', '.join(rcpt_tos))}\r\n"
        ).encode()
        path = self.directory / name
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(envelope_headers + content)
        os.replace(tmp, path)
        return path


def _as_bytes(content: bytes | str | None) -> bytes:
    if content is None:
        return b""
    if isinstance(content, str):
        return content.encode("utf-8", "surrogateescape")
    return content


def _header_safe(value: str) -> str:
    # Envelope addresses may be UTF-8 (SMTPUTF8); a header line must not break.
    return value.replace("\r", " ").replace("\n", " ")


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start_mail_sink(
    host: str = "127.0.0.1", port: int = 8025, directory: str | os.PathLike[str] = "var/mail"
) -> Controller:
    """Start the SMTP sink in a background thread; stop it with ``controller.stop()``.

    ``port=0`` picks a free port; the port in use is ``controller.port``.
    """
    if port == 0:
        port = _free_port(host)
    controller = Controller(
        MailSinkHandler(directory),
        hostname=host,
        port=port,
        enable_SMTPUTF8=True,
        server_hostname="chengxin-mailsink",
    )
    controller.start()
    return controller


def _decode(value: object) -> str:
    """Header value as str (policy.default already decodes RFC 2047 words)."""
    if value is None:
        return ""
    try:
        return str(value)
    except Exception:  # malformed header: keep whatever is there
        return repr(value)


def _addresses(*values: str) -> list[str]:
    return [addr for _name, addr in getaddresses([v for v in values if v]) if addr]


def _body(msg: EmailMessage, subtype: str) -> str | None:
    try:
        part = msg.get_body(preferencelist=(subtype,))
    except Exception:  # malformed structure
        return None
    if part is None:
        return None
    try:
        content = part.get_content()
    except Exception:  # unknown charset or bad transfer encoding: best effort
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None
    if not isinstance(content, str):
        return None
    return content.replace("\r\n", "\n")  # SMTP line endings -> Python's


def _parse(path: Path) -> StoredMail:
    match = FILENAME_RE.match(path.name)
    if match:
        received_at = datetime.strptime(match.group(1), _STAMP_FORMAT).replace(tzinfo=UTC)
    else:  # pragma: no cover - only files written by the handler are listed
        received_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    headers: list[tuple[str, str]] = []
    for key, value in msg.items():
        headers.append((key, _decode(value)))
    envelope_from = _decode(msg.get("X-MailFrom"))
    rcpt_to = [a.strip() for a in _decode(msg.get("X-RcptTo")).split(",") if a.strip()]
    header_to = _decode(msg.get("To"))
    cc = _decode(msg.get("Cc"))
    attachments = (
        [part.get_filename() or "(unnamed)" for part in msg.iter_attachments()] if msg.is_multipart() else []
    )
    return StoredMail(
        filename=path.name,
        received_at=received_at,
        mail_from=_decode(msg.get("From")) or envelope_from,
        to=rcpt_to or _addresses(header_to, cc),
        subject=_decode(msg.get("Subject")),
        text=_body(msg, "plain"),
        html=_body(msg, "html"),
        header_to=header_to,
        cc=cc,
        envelope_from=envelope_from,
        message_id=_decode(msg.get("Message-ID")),
        attachments=attachments,
        headers=headers,
    )


def list_messages(directory: str | os.PathLike[str], limit: int = 200) -> list[StoredMail]:
    """The newest ``limit`` messages in ``directory``, newest first (empty if it does not exist)."""
    base = Path(directory)
    if not base.is_dir():
        return []
    names = sorted((n for n in os.listdir(base) if FILENAME_RE.match(n)), reverse=True)
    result: list[StoredMail] = []
    for name in names[: max(limit, 0)]:
        try:
            result.append(_parse(base / name))
        except FileNotFoundError:  # deleted meanwhile (e.g. a test clearing the directory)
            continue
    return result


def get_message(directory: str | os.PathLike[str], filename: str) -> StoredMail | None:
    """One message by file name; ``None`` if absent.

    Raises ``ValueError`` for anything that is not a sink file name (e.g. ``../secret``).
    """
    if not FILENAME_RE.match(filename):
        raise ValueError(f"not a mail sink file name: {filename!r}")
    base = Path(directory).resolve()
    path = (base / filename).resolve()
    if path.parent != base:
        raise ValueError(f"not a mail sink file name: {filename!r}")
    if not path.is_file():
        return None
    try:
        return _parse(path)
    except FileNotFoundError:
        return None
