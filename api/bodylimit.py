"""Refuse request bodies over a size limit with a 413 problem (before the body is read into memory)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM, TITLES, TOO_LARGE_DETAIL
from domain.settings import get_settings

TOO_LARGE = "chengxin.body_too_large"


def files_too_large_detail() -> str:
    settings = get_settings()
    return (f"上传内容过大：每个文件不超过 {settings.attachment_max_mb} MB，"
            f"每次不超过 {settings.attachment_max_files} 个文件")


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """`max_bytes` for every body; `multipart_bytes` for a multipart/form-data body (evidence files: at most
    ATTACHMENT_MAX_FILES of ATTACHMENT_MAX_MB each, plus the form's fields). Starlette spools each file part to
    disk above 1 MB, so neither limit is memory held."""

    def __init__(self, app: ASGIApp, max_bytes: int, multipart_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.multipart_bytes = multipart_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.multipart_bytes if multipart else self.max_bytes
        detail = files_too_large_detail() if multipart else TOO_LARGE_DETAIL
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, detail)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    scope[TOO_LARGE] = detail  # FastAPI turns a failed body read into 400: the handler maps it
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, detail)

    async def _refuse(self, send: Send, detail: str) -> None:
        body = json.dumps({"type": "about:blank", "title": TITLES[413], "status": 413,
                           "detail": detail}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
