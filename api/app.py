"""The FastAPI application: JSON API, server-rendered pages, one Temporal client per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from activities.worker import connect_client
from api import openapi_doc, problems
from api.bodylimit import BodyLimitMiddleware
from api.pages import admin as admin_pages
from api.pages import citizen_forms as forms
from api.pages import docs as docs_pages
from api.pages import errors as page_errors
from api.pages import evidence as evidence_pages
from api.pages import follow as follow_pages
from api.pages import home as home_page
from api.pages import integrity_reports as integrity_pages
from api.pages import motions as motion_pages
from api.pages import portal as pages
from api.pages import reports as report_pages
from api.pages import sharing as sharing_pages
from api.pages import staff as staff_pages
from api.routes import (
    attachments,
    calendar,
    calendar_notices,
    commitments,
    complaints,
    devmail,
    integrity_reports,
    motions,
    objections,
    open_data,
    records,
    reports,
    sharing,
    system,
    tracking,
)
from api.security_headers import SecurityHeadersMiddleware
from domain.keycheck import require_secret_key
from domain.settings import ROOT, get_settings
from store.db import create_read_engine

MAX_BODY_BYTES = 1_000_000  # every form and JSON body fits; larger requests get 413


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    require_secret_key(get_settings())  # before anything starts: a forgeable key must not serve a request
    if getattr(app.state, "temporal", None) is None:
        app.state.temporal = await connect_client()
    app.state.read_engine = create_read_engine()
    try:
        yield
    finally:
        if app.state.read_engine is not None:
            await app.state.read_engine.dispose()


def create_app() -> FastAPI:
    app = FastAPI(title="Chengxin 政务诚信", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # served from local assets by api.pages.docs
                  description="政务承诺、异议、投诉、失信记录与信用修复的流程平台。错误均为 application/problem+json。")
    app.state.temporal = None
    app.state.read_engine = None
    problems.install(app)
    page_errors.install(app)  # after problems: pages get a zh-CN HTML error page instead of JSON
    openapi_doc.install(app)
    docs_pages.install(app)
    settings = get_settings()
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES,
                       multipart_bytes=settings.attachment_max_files * settings.attachment_max_mb * 1024 * 1024
                       + MAX_BODY_BYTES)
    inner = app.build_middleware_stack  # outside even Starlette's error middleware: 413s and 500s carry them too
    app.build_middleware_stack = lambda: SecurityHeadersMiddleware(inner())  # type: ignore[method-assign]
    # /staff/officials and /staff/files/{id}/publicity before /staff/{kind}/{id}/{action}
    for module in (system, commitments, records, tracking, objections, complaints, motions, integrity_reports,
                   calendar, calendar_notices, reports, attachments, sharing, motion_pages, home_page, pages, forms,
                   open_data, report_pages, integrity_pages, evidence_pages, staff_pages, admin_pages, sharing_pages,
                   follow_pages, devmail):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")  # app.css: no inline styles (CSP)
    return app


app = create_app()
