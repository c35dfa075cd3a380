"""Annotated dependencies: one DB session per request, the process-wide Temporal client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from temporalio.client import Client

from store.db import get_engine


async def get_session() -> AsyncIterator[Session]:
    """Async on purpose: a sync dependency costs a thread hop per request. Queries are short."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def release(session: Session) -> None:
    """Give the request's connection back before it waits on Temporal. The worker needs connections to apply
    the very Update the request waits for; read what the request needs first, then call this."""
    session.close()


def get_client(request: Request) -> Client:
    return request.app.state.temporal


SessionDep = Annotated[Session, Depends(get_session)]
ClientDep = Annotated[Client, Depends(get_client)]
