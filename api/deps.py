"""Annotated dependencies: one DB session per request, the process-wide Temporal client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Session
from temporalio.client import Client

from api.queries import ListQuery, run_list, run_list_async
from store.db import get_engine


async def get_session() -> AsyncIterator[Session]:
    """Async on purpose: a sync dependency costs a thread hop per request. Queries are short."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def release(session: Session) -> None:
    """Give the request's connection back before it waits on Temporal. The worker needs connections to apply
    the very Update the request waits for; read what the request needs first, then call this."""
    session.close()


async def list_rows(request: Request, query: ListQuery) -> tuple[list[Any], int]:
    """A list's page and total: on the app's async read engine where there is one (PostgreSQL), else in a session
    of its own. No session dependency: solving it was a tenth of a list request (py-spy, public_list_vs_bare)."""
    engine: AsyncEngine | None = request.app.state.read_engine
    if engine is not None:
        return await run_list_async(engine, query)
    with Session(get_engine()) as session:
        return run_list(session, query)


def get_client(request: Request) -> Client:
    return request.app.state.temporal


SessionDep = Annotated[Session, Depends(get_session)]
ClientDep = Annotated[Client, Depends(get_client)]
