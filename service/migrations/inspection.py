"""What a revision finds in the database before it changes it: a database adopted from create_all
(service.migrate) may already hold what the revision adds, so each step looks first."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def columns(table: str) -> set[str]:
    """The names of the table's columns as the database holds them now."""
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def has_table(table: str) -> bool:
    """True when the database holds the table now."""
    return sa.inspect(op.get_bind()).has_table(table)
