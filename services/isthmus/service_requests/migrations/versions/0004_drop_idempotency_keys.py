"""retries by request_id in the platform's request log

Revision ID: 0004
Revises: 0003

Retried writes are remembered in the platform's request_ids table (events stream, events_0004) like
every other context's; this context's own table of keys goes. A retry of a request made before the
upgrade under its old idempotency_key is applied again (the key no longer exists in v1's API).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("idempotency_keys")


def downgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("operation", "key"),
    )
