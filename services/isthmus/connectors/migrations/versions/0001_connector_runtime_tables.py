"""Connector runtime: stream state, dead letters, sync runs, hub ids.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "connector_stream_state",
        sa.Column("instance", sa.String(100), primary_key=True),
        sa.Column("stream", sa.String(50), primary_key=True),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("tie_breaker", sa.Text(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "connector_dead_letters",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("instance", sa.String(100), nullable=False),
        sa.Column("stream", sa.String(50), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_connector_dead_letters_instance", "connector_dead_letters", ["instance"])
    op.create_table(
        "connector_sync_runs",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("instance", sa.String(100), nullable=False),
        sa.Column("stream", sa.String(50), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("records_read", sa.Integer(), nullable=False),
        sa.Column("records_accepted", sa.Integer(), nullable=False),
        sa.Column("records_rejected", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_connector_sync_runs_instance", "connector_sync_runs", ["instance"])
    op.create_table(
        "connector_hub_ids",
        sa.Column("instance", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(50), primary_key=True),
        sa.Column("external_id", sa.String(200), primary_key=True),
        sa.Column("hub_id", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("connector_hub_ids")
    op.drop_index("ix_connector_sync_runs_instance", "connector_sync_runs")
    op.drop_table("connector_sync_runs")
    op.drop_index("ix_connector_dead_letters_instance", "connector_dead_letters")
    op.drop_table("connector_dead_letters")
    op.drop_table("connector_stream_state")
