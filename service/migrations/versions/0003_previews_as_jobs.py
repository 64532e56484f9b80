"""Previews made by the runner, off the web request: each upload's preview state and who reads it.

Uploads already stored have their preview (or their error) and so are `done`. Revision 0003,
after 0002.
"""
import sqlalchemy as sa
from alembic import op

from service.migrations.inspection import columns

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    """Add the uploads' preview state (existing rows: done) and the reading runner."""
    have = columns("uploads")
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
