"""A notice written directly as bytes reads, in a mail program, exactly as the standard library's EmailMessage
of the same row: the same headers, the same text and HTML. Rows it cannot write safely take the library's way."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from activities.mail_message import build_message, compose
from store.models import Outbox

HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post",
           "MIME-Version", "Bcc")


def row(**changes: object) -> Outbox:
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    values: dict[str, object] = dict(
        id=41, case_type="commitment", case_id=7, event_key="0002:published", recipient="fgw@test.local",
        template="case_update", subject="【政务承诺】企业开办一日办结：承诺已发布",
        text="您好：\n\n承诺“企业开办一日办结”已发布，履行期限 2026-12-21。\n",
        html="<p>您好：</p>\n<p>承诺已发布。</p>",
        deliver_at=at, created_at=at)
    values.update(changes)
    return Outbox(**values)


def read(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def as_seen(message: EmailMessage) -> dict[str, object]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return {**{name: message[name] for name in HEADERS}, "type": message.get_content_type(),
            "plain": plain.get_content(), "html": html.get_content(),  # type: ignore[attr-defined]
            "parts": [p.get_content_type() for p in message.iter_parts()]}


@pytest.mark.parametrize("changes", [
    {},
    {"subject": "【政务承诺】" + "关于优化营商环境进一步压缩企业开办时间的承诺" * 4 + "：已逾期"},
    {"subject": "Notice 1"},
    {"list_unsubscribe": "http://127.0.0.1:8000/follow/unsubscribe/" + "a" * 80},
    {"text": "第一行\n第二行", "html": "<p>没有结尾换行</p>"},
    {"subject": "企业开办\r\nBcc: victim@example.com\u2028一日办结"},
])
def test_the_direct_mail_reads_as_the_standard_librarys(changes: dict[str, object]) -> None:
    r = row(**changes)
    mail = compose(r)
    assert mail.data is not None and mail.sender == "noreply@chengxin.localhost" and mail.recipient == r.recipient
    direct, library = as_seen(read(mail.data)), as_seen(read(build_message(r).as_bytes()))
    assert direct == library
    assert direct["Bcc"] is None and "\n" not in str(direct["Subject"])
    assert all(len(line) <= 998 for line in mail.data.split(b"\n"))


@pytest.mark.parametrize("changes", [
    {"text": "很长的一行" * 300},                  # over SMTP's line limit in 8bit
    {"recipient": "张三 <zhangsan@test.local>"},   # not a plain address
    {"html": "<p>\r\n</p>"},                      # a carriage return of its own
])
def test_a_row_the_direct_way_cannot_take_goes_the_standard_librarys_way(changes: dict[str, object]) -> None:
    r = row(**changes)
    mail = compose(r)
    assert mail.data is None
    assert as_seen(read(mail.message().as_bytes()))["Subject"] == r.subject


def test_a_row_that_is_no_e_mail_at_all_is_refused_before_anything_is_sent() -> None:
    """The sender counts it as an unbuildable notice (activities/notify.py), not as a failed send."""
    with pytest.raises(ValueError, match="linefeed"):
        compose(row(recipient="fgw@test.local\nBcc: victim@example.com"))
