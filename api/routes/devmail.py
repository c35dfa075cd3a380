"""/dev/mail: read-only view of the embedded SMTP sink (development only).

Enabled only when ``DEV_MAIL_DIR`` is set (``make run`` sets it); otherwise every path is 404.
Not part of the HTTP contract, so it is left out of the OpenAPI document.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from dev.mailsink import StoredMail, get_message, list_messages
from domain.settings import get_settings

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
# Explicit autoescape: select_autoescape() would not match the ".html.j2" suffix.
templates = Jinja2Templates(
    env=jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True)
)

# Asia/Shanghai has had no DST since 1991: a fixed offset is exact and needs no tzdata.
CHINA_TZ = timezone(timedelta(hours=8), "CST")

router = APIRouter(include_in_schema=False)


def _mail_dir() -> str:
    directory = get_settings().dev_mail_dir
    if not directory:
        raise HTTPException(status_code=404, detail="Not Found")
    return directory


def _local(ts: datetime) -> str:
    return ts.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


@router.get("/dev/mail", response_class=HTMLResponse)
def dev_mail_list(request: Request, limit: int = 200) -> HTMLResponse:
    directory = _mail_dir()
    messages = list_messages(directory, limit=min(max(limit, 1), 1000))
    return templates.TemplateResponse(
        request,
        "pages/dev_mail.html.j2",
        {"messages": messages, "directory": directory, "local": _local},
    )


# An e-mail's own HTML keeps its inline styles (mail clients need them), so it is not embedded with srcdoc
# (which would inherit the page's policy) but served alone: styles only, no script, a sandbox, framed by us.
MAIL_BODY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"


def _message(filename: str) -> StoredMail:
    try:
        message = get_message(_mail_dir(), filename)
    except ValueError:
        message = None
    if message is None:
        raise HTTPException(status_code=404, detail="Not Found")
    return message


@router.get("/dev/mail/{filename}/body.html", response_class=HTMLResponse)
def dev_mail_body(filename: str) -> HTMLResponse:
    message = _message(filename)
    if message.html is None:
        raise HTTPException(status_code=404, detail="Not Found")
    return HTMLResponse(message.html, headers={"Content-Security-Policy": MAIL_BODY_POLICY})


@router.get("/dev/mail/{filename}", response_class=HTMLResponse)
def dev_mail_message(request: Request, filename: str) -> HTMLResponse:
    message = _message(filename)
    return templates.TemplateResponse(
        request,
        "pages/dev_mail_message.html.j2",
        {"m": message, "local": _local},
    )
