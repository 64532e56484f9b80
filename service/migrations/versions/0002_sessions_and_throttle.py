"""Session generations and removal tombstones for users; one `throttle` table (with the start of
each key's window) in place of `signin_failures`, whose counts it takes over.

Each step first looks at what is there, because a database adopted from create_all may already have
the new columns and table (service.migrate adds the current schema's tables before stamping 0001).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 00:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from service.migrations.inspection import columns, has_table

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add the users' columns and the throttle table; move the old counts over."""
    have = columns("users")
    with op.batch_alter_table("users") as batch:
        if "session_generation" not in have:
            batch.add_column(sa.Column("session_generation", sa.Integer(), nullable=False,
                                       server_default=sa.text("0")))
        if "removed_at" not in have:
            batch.add_column(sa.Column("removed_at", sa.String(length=32), nullable=True))
    if not has_table("throttle"):
        op.create_table("throttle",
                        sa.Column("key", sa.String(length=200), nullable=False),
                        sa.Column("failures", sa.Integer(), nullable=False),
                        sa.Column("first_at", sa.Float(), nullable=False),
                        sa.Column("last_at", sa.Float(), nullable=False),
                        sa.PrimaryKeyConstraint("key"))
    if has_table("signin_failures"):
        op.execute('INSERT INTO throttle ("key", failures, first_at, last_at) '
                   'SELECT "key", failures, last_at, last_at FROM signin_failures '
                   'WHERE "key" NOT IN (SELECT "key" FROM throttle)')
        op.drop_table("signin_failures")


def downgrade() -> None:
    """Back to revision 0001 (removed users' tombstones go; sessions are kept by cookie only)."""
    op.create_table("signin_failures",
                    sa.Column("key", sa.String(length=200), nullable=False),
                    sa.Column("failures", sa.Integer(), nullable=False),
                    sa.Column("last_at", sa.Float(), nullable=False),
                    sa.PrimaryKeyConstraint("key"))
    op.execute('INSERT INTO signin_failures ("key", failures, last_at) '
               'SELECT "key", failures, last_at FROM throttle')
    op.drop_table("throttle")
    op.execute("DELETE FROM users WHERE removed_at IS NOT NULL")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("removed_at")
        batch.drop_column("session_generation")
