"""campaign calls: the calls campaigns ask the call center to make, and a run's call

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "campaign_calls",
        sa.Column("call_id", ID, primary_key=True),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("script_id", sa.String(200), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
    )
    op.create_index("ix_campaign_calls_customer_id", "campaign_calls", ["customer_id"])
    op.create_index("ix_campaign_calls_due", "campaign_calls", ["state", "due_at", "call_id"])
    with op.batch_alter_table("script_runs") as batch:
        batch.add_column(sa.Column("call_id", ID, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("script_runs") as batch:
        batch.drop_column("call_id")
    op.drop_index("ix_campaign_calls_due", "campaign_calls")
    op.drop_index("ix_campaign_calls_customer_id", "campaign_calls")
    op.drop_table("campaign_calls")
