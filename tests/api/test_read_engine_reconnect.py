"""The public lists' read engine on PostgreSQL (store/db.py create_read_engine) after the database closed its
connections, as a restart does: the next visitor still gets the list, not an error."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from domain.settings import get_settings
from store.db import READ_APPLICATION, get_engine


async def test_a_list_is_served_after_the_database_closed_the_pooled_connections(api) -> None:  # type: ignore[no-untyped-def]
    if not get_settings().database_url.startswith("postgresql"):
        pytest.skip("the read engine exists on PostgreSQL only")
    assert (await api.get("/api/commitments")).status_code == 200  # a connection is pooled now
    with get_engine().begin() as conn:
        closed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE application_name = :name AND datname = current_database()"),
                              {"name": READ_APPLICATION}).scalar_one()
    assert closed >= 1
    r = await api.get("/api/commitments")
    assert r.status_code == 200, r.text
    assert (await api.get("/api/records")).status_code == 200
