"""responses remembered by request_id

Revision ID: events_0004
Revises: events_0003

A new table only: a release still running the previous code does not know it (expand now).
"""

import sqlalchemy as sa
from alembic import op

revision = "events_0004"
down_revision = "events_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_ids",
        sa.Column("method", sa.String(200), primary_key=True),
        sa.Column("request_id", sa.String(128), primary_key=True),
        sa.Column("request", sa.LargeBinary, nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_request_ids_create_time", "request_ids", ["create_time"])


def downgrade() -> None:
    op.drop_index("ix_request_ids_create_time", table_name="request_ids")
    op.drop_table("request_ids")
