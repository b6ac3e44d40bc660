"""customer 360 read model

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:31:01.219450
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "c360_cases",
        sa.Column("service_request_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("sla_breached", sa.Boolean(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service_request_id"),
    )
    op.create_index(op.f("ix_c360_cases_customer_id"), "c360_cases", ["customer_id"], unique=False)
    op.create_table(
        "c360_loyalty",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("debt", sa.Integer(), nullable=False),
        sa.Column("tier_id", sa.String(length=64), nullable=False),
        sa.Column("tier_name", sa.String(length=200), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "c360_orders",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index(op.f("ix_c360_orders_customer_id"), "c360_orders", ["customer_id"], unique=False)
    op.create_table(
        "c360_suppression",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("service_request_ids", sa.JSON(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "c360_timeline",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        "ix_c360_timeline_customer", "c360_timeline", ["customer_id", "occurred_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_c360_timeline_customer", table_name="c360_timeline")
    op.drop_table("c360_timeline")
    op.drop_table("c360_suppression")
    op.drop_index(op.f("ix_c360_orders_customer_id"), table_name="c360_orders")
    op.drop_table("c360_orders")
    op.drop_table("c360_loyalty")
    op.drop_index(op.f("ix_c360_cases_customer_id"), table_name="c360_cases")
    op.drop_table("c360_cases")
