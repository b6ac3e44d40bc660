"""Connector dead letters can be resolved: by a replay the hub accepts, or by a later sync that
delivers the same record. Resolved letters stay (for the record) but are no longer listed or counted.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connector_dead_letters") as table:
        table.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("resolution", sa.Text(), nullable=True))
        table.add_column(sa.Column("replay_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_index(
        "ix_connector_dead_letters_open",
        "connector_dead_letters",
        ["instance", "stream", "record_key"],
        postgresql_where=sa.text("resolved_at IS NULL"),
        sqlite_where=sa.text("resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_connector_dead_letters_open", "connector_dead_letters")
    with op.batch_alter_table("connector_dead_letters") as table:
        table.drop_column("replay_count")
        table.drop_column("resolution")
        table.drop_column("resolved_at")
