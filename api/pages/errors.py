"""Errors on pages are pages: a request to a server-rendered page (a route outside the JSON API, or an
unknown address asked for by a browser) that fails validation, raises a Problem or breaks gets a zh-CN
HTML page with the same status, not the API's problem+json. The API keeps its JSON (api/problems.py);
this module only wraps the handlers problems.install registered."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.pages.templating import templates
from api.problems import TITLES, Problem, message_zh

Handler = Callable[[Request, Any], Awaitable[Response]]
NOT_PAGES = ("/api/", "/open-data/", "/docs", "/redoc", "/openapi.json", "/feed", "/healthz", "/static/")
FIELDS_ZH = {"period": "统计期间", "page": "页码", "department": "单位", "state": "状态", "figure": "指标",
             "q": "关键词", "limit": "条数", "version": "日历版本", "affected": "受影响数", "start": "起算日期",
             "working_days": "工作日天数", "target_type": "异议对象", "target_id": "对象编号",
             "commitment_id": "承诺编号", "record_id": "记录编号", "case_id": "编号", "user_id": "用户编号",
             "code": "单位代码", "name": "姓名", "rid": "回执编号", "kind_name": "类别", "filename": "邮件"}
_LATIN_ONLY = re.compile(r"^[\x00-\x7f]*$")


def is_page(request: Request) -> bool:
    """A page route (include_in_schema=False, outside the API), or an unmatched address a browser asked for."""
    path = request.url.path
    if path.startswith(NOT_PAGES) or path.endswith((".csv", ".json", ".atom", ".ics")):
        return False
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        return not route.include_in_schema
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, detail: str, errors: list[str] | None = None,
               headers: dict[str, str] | None = None) -> Response:
    if _LATIN_ONLY.match(detail):  # Starlette's "Not Found" and the like: never English on a page
        detail = ""
    return templates.TemplateResponse(request, "pages/error.html.j2", {
        "status": status, "title": TITLES.get(status, "出错了"), "detail": detail, "errors": errors or []},
        status_code=status, headers=headers)


def _validation_lines(exc: RequestValidationError) -> list[str]:
    lines = []
    for e in exc.errors():
        names = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
        field = "、".join(FIELDS_ZH.get(n, "输入") for n in names) or "输入"
        lines.append(f"{field}：{message_zh(e)}")
    return lines


def install(app: FastAPI) -> None:
    """Wrap the handlers api.problems registered: page requests get error_page, API requests what they had."""
    def wrap(kind: type[Exception] | int, page: Callable[[Request, Any], Response]) -> None:
        api_handler: Handler = app.exception_handlers[kind]  # type: ignore[assignment]

        async def handler(request: Request, exc: Any) -> Response:
            return page(request, exc) if is_page(request) else await api_handler(request, exc)

        app.exception_handlers[kind] = handler

    wrap(RequestValidationError, lambda r, e: error_page(r, 422, "请检查以下输入", _validation_lines(e)))
    wrap(Problem, lambda r, e: error_page(
        r, e.status, e.detail, [x["message"] for x in e.errors or [] if x.get("message") not in e.detail],
        {"Retry-After": str(e.extra["retry_after"])} if "retry_after" in e.extra else None))
    wrap(StarletteHTTPException, lambda r, e: error_page(
        r, e.status_code, e.detail if isinstance(e.detail, str) else "", headers=getattr(e, "headers", None)))
    wrap(DataError, lambda r, e: error_page(r, 422, "请求中包含无法处理的字符或数值"))
    wrap(OperationalError, lambda r, e: error_page(r, 503, "数据库暂不可用，请稍后重试", headers={"Retry-After": "30"}))
    wrap(PoolTimeout, lambda r, e: error_page(r, 503, "系统繁忙，请稍后重试", headers={"Retry-After": "5"}))
    wrap(Exception, _unexpected)


def _unexpected(request: Request, exc: Exception) -> Response:
    from api.problems import log

    log.exception("unhandled error", exc_info=exc)
    return error_page(request, 500, "服务器内部错误，请稍后重试；问题已记录")
