"""index for the inbox retention purge

Revision ID: events_0002
Revises: events_0001
"""

from alembic import op

revision = "events_0002"
down_revision = "events_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbox_consumer_handled_at", "inbox", ["consumer", "handled_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_consumer_handled_at", table_name="inbox")
