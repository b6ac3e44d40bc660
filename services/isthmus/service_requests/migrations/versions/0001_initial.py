"""Cases, interactions, contact suppressions, idempotency keys and merge moves.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_suppressions",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("service_request_ids", sa.JSON(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "customer_moves",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("merge_id", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("from_customer_id", sa.String(length=64), nullable=False),
        sa.Column("to_customer_id", sa.String(length=64), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("customer_moves", schema=None) as batch_op:
        batch_op.create_index("ix_customer_moves_merge", ["merge_id", "from_customer_id"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("operation", "key"),
    )
    op.create_table(
        "interactions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("service_request_id", sa.String(length=64), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("author", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("in_reply_to_id", sa.String(length=64), nullable=True),
        sa.Column("corrects_id", sa.String(length=64), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("source_system", sa.String(length=200), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("orphaned", sa.Boolean(), nullable=False),
        sa.Column("claimed_service_request_id", sa.String(length=64), nullable=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_system", "external_id", name="uq_interactions_source"),
    )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interactions_case", ["service_request_id", "occurred_at", "id"], unique=False
        )
        batch_op.create_index("ix_interactions_customer", ["customer_id", "occurred_at", "id"], unique=False)
        batch_op.create_index("ix_interactions_orphaned", ["orphaned", "occurred_at", "id"], unique=False)

    op.create_table(
        "service_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("order_line_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=False),
        sa.Column("sub_category", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("assignee_agent_id", sa.String(length=200), nullable=True),
        sa.Column("assignee_queue", sa.String(length=200), nullable=True),
        sa.Column("response_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_total_ms", sa.BigInteger(), nullable=False),
        sa.Column("response_breached", sa.Boolean(), nullable=False),
        sa.Column("resolution_breached", sa.Boolean(), nullable=False),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breach_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_code", sa.String(length=200), nullable=False),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("source_system", sa.String(length=200), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("opened_by", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_system", "external_id", name="uq_service_requests_source"),
    )
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_requests_agent", ["assignee_agent_id", "opened_at", "id"], unique=False
        )
        batch_op.create_index("ix_service_requests_breach_check", ["breach_check_at"], unique=False)
        batch_op.create_index(
            "ix_service_requests_customer", ["customer_id", "opened_at", "id"], unique=False
        )
        batch_op.create_index("ix_service_requests_next_due", ["next_due_at", "id"], unique=False)
        batch_op.create_index("ix_service_requests_opened", ["opened_at", "id"], unique=False)
        batch_op.create_index(
            "ix_service_requests_queue", ["assignee_queue", "opened_at", "id"], unique=False
        )
        batch_op.create_index("ix_service_requests_state", ["state", "opened_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_service_requests_state")
        batch_op.drop_index("ix_service_requests_queue")
        batch_op.drop_index("ix_service_requests_opened")
        batch_op.drop_index("ix_service_requests_next_due")
        batch_op.drop_index("ix_service_requests_customer")
        batch_op.drop_index("ix_service_requests_breach_check")
        batch_op.drop_index("ix_service_requests_agent")

    op.drop_table("service_requests")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_interactions_orphaned")
        batch_op.drop_index("ix_interactions_customer")
        batch_op.drop_index("ix_interactions_case")

    op.drop_table("interactions")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("customer_moves", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_moves_merge")

    op.drop_table("customer_moves")
    op.drop_table("contact_suppressions")
