"""Alembic's entry point: run the revisions on the connection service.migrations hands over
(inside its transaction and lock), or on a URL for `alembic` used by hand."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from service.schema import metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # `alembic -c service/migrations/alembic.ini ...` with -x url=... or sqlalchemy.url
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url")
    with create_engine(url).begin() as conn:
        _run(conn)
