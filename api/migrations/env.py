"""Alembic environment: migrates the connection the service hands over, or its settings' URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from api.store import Base

config = context.config
target_metadata = Base.metadata


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Run the migrations online (offline SQL generation is not supported)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    from api.config import Settings

    url = config.get_main_option("sqlalchemy.url") or Settings().database_url
    engine = create_engine(url)
    with engine.begin() as own:
        _migrate(own)
    engine.dispose()


run()
