"""Alembic environment: the schema is store.models on SQLModel.metadata."""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel, create_engine

import store.models  # noqa: F401  (registers the tables)

config = context.config


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render our UTCDateTime as the plain column type it stores (no import of app code in migrations)."""
    if type_ == "type" and isinstance(obj, store.models.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          render_item=render_item)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
