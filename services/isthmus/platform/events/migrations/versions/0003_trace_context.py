"""trace context of outbox rows and dead letters

Revision ID: events_0003
Revises: events_0002

Nullable columns only: a release still running the previous code writes and reads these tables as
before (expand now, nothing to contract).
"""

import sqlalchemy as sa
from alembic import op

revision = "events_0003"
down_revision = "events_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("outbox", "dead_letters"):
        op.add_column(table, sa.Column("traceparent", sa.String(128), nullable=True))
        op.add_column(table, sa.Column("tracestate", sa.Text, nullable=True))


def downgrade() -> None:
    for table in ("outbox", "dead_letters"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("tracestate")
            batch.drop_column("traceparent")
