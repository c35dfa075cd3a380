"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM = "application/problem+json"
log = logging.getLogger("chengxin.api")
TOO_LARGE_DETAIL = "请求内容过大（上限 1 MB）"

TITLES = {400: "请求格式错误", 401: "未登录或登录已失效", 403: "无权访问", 404: "未找到", 405: "方法不允许",
          409: "当前状态不允许此操作", 413: "内容过大", 415: "文件类型不支持", 422: "输入有误", 429: "请求过于频繁",
          500: "服务器内部错误", 503: "服务暂不可用"}

PYDANTIC_ZH = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "过长（最多 {max_length} 个字符）",
    "date_from_datetime_parsing": "日期格式无效，应为 YYYY-MM-DD",
    "date_parsing": "日期格式无效，应为 YYYY-MM-DD",
    "date_type": "日期格式无效，应为 YYYY-MM-DD",
    "int_parsing": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "literal_error": "取值无效，可选：{expected}",
    "enum": "取值无效，可选：{expected}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "too_long": "条目过多（最多 {max_length} 项）",
    "string_pattern_mismatch": "格式无效",
    "value_error": "{error}",
    "url_parsing": "网址格式无效，应以 http:// 或 https:// 开头",
    "url_scheme": "网址须以 http:// 或 https:// 开头",
    "url_type": "网址格式无效",
    "url_too_long": "网址过长",
}


class Problem(Exception):
    """Raise anywhere in a request: becomes a problem+json response."""

    def __init__(self, status: int, detail: str, *, errors: list[dict[str, str]] | None = None,
                 title: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.extra = status, detail, errors, extra
        self.title = title or TITLES.get(status, "错误")


def problem_response(status: int, detail: str, *, title: str | None = None,
                     errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None,
                     **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank" if status != 409 else "/problems/invalid-state",
                            "title": title or TITLES.get(status, "错误"), "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def field_error(field: str, message: str) -> Problem:
    return Problem(422, f"{field}：{message}", errors=[{"field": field, "message": message}])


def message_zh(err: dict[str, Any]) -> str:
    template = PYDANTIC_ZH.get(err.get("type", ""))
    ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
    if template:
        try:
            return template.format(**ctx)
        except KeyError:
            pass
    return str(err.get("msg", "无效"))


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if "retry_after" in exc.extra:  # 429 too many, 503 no answer yet
            headers = {"Retry-After": str(exc.extra["retry_after"])}
        return problem_response(exc.status, exc.detail, title=exc.title, errors=exc.errors, headers=headers,
                                **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errs):
            return problem_response(400, "请求体不是有效的 JSON")
        errors = []
        for e in errs:
            loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
            errors.append({"field": ".".join(loc) or "body", "message": message_zh(e)})
        detail = "；".join(f"{e['field']}：{e['message']}" for e in errors)
        return problem_response(422, detail, errors=errors)

    @app.exception_handler(DataError)
    async def _unstorable(_: Request, exc: DataError) -> JSONResponse:
        """Values the database refuses (PostgreSQL: a NUL character, a number out of range) are bad input."""
        log.info("database refused a value: %s", exc.orig)
        return problem_response(422, "请求中包含无法处理的字符或数值（如 NUL 字符）",
                                errors=[{"field": "body", "message": "包含无法处理的字符或数值"}])

    @app.exception_handler(OperationalError)
    async def _database_down(_: Request, exc: OperationalError) -> JSONResponse:
        """The database cannot be reached (restart, failover): nothing was stored; the caller may retry."""
        log.warning("database unavailable: %s", exc.orig)
        return problem_response(503, "数据库暂不可用，请稍后重试", headers={"Retry-After": "30"})

    @app.exception_handler(PoolTimeout)
    async def _no_connection(_: Request, exc: PoolTimeout) -> JSONResponse:
        """Every connection of the pool is busy: refuse quickly rather than queue without end."""
        log.warning("no database connection free: %s", exc)
        return problem_response(503, "系统繁忙，请稍后重试", headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem_response(500, "服务器内部错误，请稍后重试；问题已记录")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        too_large = request.scope.get("chengxin.body_too_large")
        if too_large:  # a chunked body ran over the limit mid-read
            return problem_response(413, too_large if isinstance(too_large, str) else TOO_LARGE_DETAIL)
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "错误")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # Starlette names only the first route of the path; name them all
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem_response(exc.status_code, detail, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app accepts on the request's path (asked of the routes themselves, so
    routes of included routers count too)."""
    return [method for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in request.app.router.routes)]
