"""orders, history, merges and coupons

Revision ID: 0001
Revises:
Create Date: 2026-11-23 00:57:06.297959
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coupon_redemptions",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("once_key", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("code", "order_id"),
        sa.UniqueConstraint("code", "once_key", name="uq_coupon_once_per_customer"),
    )
    op.create_table(
        "coupons",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("max_redemptions", sa.Integer(), nullable=False),
        sa.Column("redemption_count", sa.Integer(), nullable=False),
        sa.Column("doc", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "order_customer_moves",
        sa.Column("merge_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("from_customer_id", sa.String(length=64), nullable=False),
        sa.Column("to_customer_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("merge_id", "order_id"),
    )
    op.create_table(
        "order_history",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("doc", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("entry_id"),
    )
    op.create_index("ix_order_history_customer", "order_history", ["customer_id", "seq"], unique=False)
    op.create_index(op.f("ix_order_history_order_id"), "order_history", ["order_id"], unique=False)
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("source_system", sa.String(length=100), nullable=False),
        sa.Column("external_order_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("doc", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
        sa.UniqueConstraint("source_system", "external_order_id", name="uq_orders_external"),
    )
    op.create_index("ix_orders_customer", "orders", ["customer_id", "placed_at", "order_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_customer", table_name="orders")
    op.drop_table("orders")
    op.drop_index(op.f("ix_order_history_order_id"), table_name="order_history")
    op.drop_index("ix_order_history_customer", table_name="order_history")
    op.drop_table("order_history")
    op.drop_table("order_customer_moves")
    op.drop_table("coupons")
    op.drop_table("coupon_redemptions")
