"""Previews made by the runner, off the web request: each upload's preview state and who reads it.

Uploads already stored have their preview (or their error) and so are `done`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 03:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    """Add the uploads' preview state (existing rows: done) and the reading runner."""
    have = _columns("uploads")
    with op.batch_alter_table("uploads") as batch:
        if "preview_state" not in have:
            batch.add_column(sa.Column("preview_state", sa.String(length=16), nullable=False,
                                       server_default=sa.text("'done'")))
        if "preview_runner" not in have:
            batch.add_column(sa.Column("preview_runner", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Back to 0002: uploads not yet read keep no preview and read as unusable."""
    op.execute("UPDATE uploads SET error = 'this file was not read: upload it again' "
               "WHERE preview_state <> 'done'")
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("preview_runner")
        batch.drop_column("preview_state")
