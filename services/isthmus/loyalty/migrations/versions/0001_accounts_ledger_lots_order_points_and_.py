"""accounts, ledger, lots, order points and qualifying activity

Revision ID: 0001
Revises:
Create Date: 2026-11-23 01:06:19.717513
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
        "loyalty_accounts",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("debt", sa.BigInteger(), nullable=False),
        sa.Column("lifetime_earned", sa.BigInteger(), nullable=False),
        sa.Column("tier_id", sa.String(length=64), nullable=False),
        sa.Column("tier_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tier_review_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_into", sa.String(length=36), nullable=True),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
        sa.UniqueConstraint("customer_id"),
    )
    op.create_index(
        op.f("ix_loyalty_accounts_merged_into"), "loyalty_accounts", ["merged_into"], unique=False
    )
    op.create_index(
        op.f("ix_loyalty_accounts_tier_review_at"), "loyalty_accounts", ["tier_review_at"], unique=False
    )
    op.create_table(
        "loyalty_ledger",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("doc", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("entry_id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_loyalty_ledger_account", "loyalty_ledger", ["account_id", "seq"], unique=False)
    op.create_table(
        "loyalty_lots",
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("origin_account_id", sa.String(length=36), nullable=False),
        sa.Column("earned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lot_id"),
    )
    op.create_index(op.f("ix_loyalty_lots_account_id"), "loyalty_lots", ["account_id"], unique=False)
    op.create_index(op.f("ix_loyalty_lots_expires_at"), "loyalty_lots", ["expires_at"], unique=False)
    op.create_table(
        "loyalty_orders",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("origin_account_id", sa.String(length=36), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("awarded", sa.BigInteger(), nullable=False),
        sa.Column("clawed", sa.BigInteger(), nullable=False),
        sa.Column("refundable_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("spend_minor", sa.BigInteger(), nullable=False),
        sa.Column("spend_clawed_minor", sa.BigInteger(), nullable=False),
        sa.Column("returns_seen", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index(op.f("ix_loyalty_orders_account_id"), "loyalty_orders", ["account_id"], unique=False)
    op.create_table(
        "loyalty_qualifying",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("origin_account_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("spend_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index(
        "ix_loyalty_qualifying_account", "loyalty_qualifying", ["account_id", "occurred_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_loyalty_qualifying_account", table_name="loyalty_qualifying")
    op.drop_table("loyalty_qualifying")
    op.drop_index(op.f("ix_loyalty_orders_account_id"), table_name="loyalty_orders")
    op.drop_table("loyalty_orders")
    op.drop_index(op.f("ix_loyalty_lots_expires_at"), table_name="loyalty_lots")
    op.drop_index(op.f("ix_loyalty_lots_account_id"), table_name="loyalty_lots")
    op.drop_table("loyalty_lots")
    op.drop_index("ix_loyalty_ledger_account", table_name="loyalty_ledger")
    op.drop_table("loyalty_ledger")
    op.drop_index(op.f("ix_loyalty_accounts_tier_review_at"), table_name="loyalty_accounts")
    op.drop_index(op.f("ix_loyalty_accounts_merged_into"), table_name="loyalty_accounts")
    op.drop_table("loyalty_accounts")
