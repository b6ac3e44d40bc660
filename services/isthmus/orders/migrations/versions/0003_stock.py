"""Stock the hub keeps: articles, the order lines that take or wait for their units, the movements,
and the customers' value tiers (docs/inventory.md). Orders placed before keep no stock: their lines
have no stock_lines row, and no article is kept until it is first counted or received.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "stock_items",
        sa.Column("sku", sa.String(length=100), primary_key=True),
        sa.Column("on_hand", sa.BigInteger(), nullable=False),
        sa.Column("allocated", sa.BigInteger(), nullable=False),
        sa.Column("holds", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("expected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "stock_lines",
        sa.Column("order_id", sa.String(length=36), primary_key=True),
        sa.Column("line_id", sa.Text(), primary_key=True),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("allocated", sa.BigInteger(), nullable=False),
        sa.Column("waiting", sa.BigInteger(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_stock_lines_waiting",
        "stock_lines",
        ["sku", "queued_at"],
        postgresql_where=sa.text("waiting > 0"),
        sqlite_where=sa.text("waiting > 0"),
    )
    op.create_table(
        "stock_movements",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("doc", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_stock_movements_sku", "stock_movements", ["sku", "seq"])
    op.create_index("ix_stock_movements_reference", "stock_movements", ["sku", "reference", "kind"])
    op.create_table(
        "customer_tiers",
        sa.Column("customer_id", sa.String(length=64), primary_key=True),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("customer_tiers")
    op.drop_index("ix_stock_movements_reference", "stock_movements")
    op.drop_index("ix_stock_movements_sku", "stock_movements")
    op.drop_table("stock_movements")
    op.drop_index("ix_stock_lines_waiting", "stock_lines")
    op.drop_table("stock_lines")
    op.drop_table("stock_items")
