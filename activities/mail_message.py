"""An outbox row as the e-mail that goes out.

`build_message` makes it an EmailMessage. That parses every header through the standard library's header
registry, which made building a notice cost about as much as sending it (issue 19: 1.4 ms a message, an eighth of
the worker's CPU per case). `compose` writes the common notice (plain ASCII addresses, no line too long for
8bit) directly as the bytes EmailMessage would give it: multipart/alternative, UTF-8 parts in 8bit, RFC 2047
encoded words in the headers. Anything else, and any server without 8BITMIME, gets the EmailMessage."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from activities.notice_failures import one_line
from domain.settings import get_settings
from store.models import Outbox

PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+")
MAX_LINE_BYTES = 900  # below SMTP's 998 octets a line, with room for the line ending


@dataclass(frozen=True)
class OutgoingMail:
    """What the mailer sends: the envelope, the bytes when they could be written directly (for a server that
    takes 8bit), and the row to make an EmailMessage of otherwise."""

    sender: str
    recipient: str
    data: bytes | None
    row: Outbox
    built: EmailMessage | None = None  # the library's message, when compose already had to make it

    def message(self) -> EmailMessage:
        return self.built or build_message(self.row)


def _headers(row: Outbox) -> list[tuple[str, str]]:
    """The headers of a row's e-mail, in order. The subject is made one line again: rows queued before titles
    were checked may hold a line break, and a header must never take one."""
    headers = [("From", get_settings().mail_from), ("To", row.recipient), ("Subject", one_line(row.subject)),
               ("Date", format_datetime(row.created_at)),
               ("Message-ID", f"<outbox-{row.id}.{row.case_type}-{row.case_id}@chengxin>")]
    if row.list_unsubscribe:  # a follower's mail: one click in the mail program unsubscribes (RFC 2369, 8058)
        headers += [("List-Unsubscribe", f"<{row.list_unsubscribe}>"),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    return headers


def build_message(row: Outbox) -> EmailMessage:
    """The e-mail of a row through the standard library (any address it accepts, any text)."""
    msg = EmailMessage()
    for name, value in _headers(row):
        msg[name] = value
    msg.set_content(row.text)
    msg.add_alternative(row.html, subtype="html")
    return msg


@functools.lru_cache(maxsize=4)
def _sender(mail_from: str) -> tuple[str, str] | None:
    """(envelope sender, From header) of MAIL_FROM, or None when it is not a plain ASCII address."""
    name, address = parseaddr(mail_from)
    if not PLAIN_ADDRESS.fullmatch(address):
        return None
    return address, formataddr((name, address), charset="utf-8") if name else address


def _header_line(name: str, value: str) -> str | None:
    """One header as written; the subject in encoded words when it needs them, any other header only as plain
    ASCII (an address, a URL, an id: encoded words are not allowed there)."""
    if name == "Subject" and not (value.isascii() and len(name) + len(value) < 76):
        return f"{name}: {Header(value, 'utf-8', header_name=name).encode()}"
    return f"{name}: {value}" if value.isascii() and len(name) + len(value) < MAX_LINE_BYTES else None


def _part(subtype: str, text: str) -> bytes | None:
    body = text if text.endswith("\n") else text + "\n"
    if "\r" in body:
        return None
    try:
        data = body.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the standard library says what is wrong with it
        return None
    if any(len(line) > MAX_LINE_BYTES for line in data.split(b"\n")):
        return None
    return (f'Content-Type: text/{subtype}; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n').encode() + data


def _direct(row: Outbox) -> bytes | None:
    """The e-mail's bytes, or None when this row needs the standard library's care."""
    sender = _sender(get_settings().mail_from)
    if sender is None or not PLAIN_ADDRESS.fullmatch(row.recipient):
        return None
    plain, html = _part("plain", row.text), _part("html", row.html)
    boundary = f"==============={secrets.randbelow(10**19):019d}=="
    if plain is None or html is None or boundary.encode() in plain + html:
        return None
    lines = [f"From: {sender[1]}" if name == "From" else _header_line(name, value) for name, value in _headers(row)]
    if None in lines:
        return None
    lines += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative;\n boundary="{boundary}"', ""]
    head = ("\n".join(line for line in lines if line is not None) + "\n").encode()
    delimiter = f"--{boundary}\n".encode()
    return head + delimiter + plain + b"\n" + delimiter + html + f"\n--{boundary}--\n".encode()


def compose(row: Outbox) -> OutgoingMail:
    """The mail of a claimed row. Raises when the row cannot be made into an e-mail at all."""
    data = _direct(row)
    built = build_message(row) if data is None else None  # a row the library refuses fails here, before any send
    sender = _sender(get_settings().mail_from)
    return OutgoingMail(sender=sender[0] if sender else parseaddr(get_settings().mail_from)[1],
                        recipient=row.recipient, data=data, row=row, built=built)
