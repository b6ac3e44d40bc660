"""Orders know their customers from the customer master's events: known_customers, and a flag on an
order whose customer has not been announced yet.

Every customer that already has an order counts as known (those orders were accepted before the
check existed, and their customers came from somewhere).

Revision ID: 0002
Revises: 0001
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
        "known_customers",
        sa.Column("customer_id", sa.String(length=64), primary_key=True),
        sa.Column("known_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO known_customers (customer_id, known_at) "
        "SELECT customer_id, MIN(create_time) FROM ("
        "  SELECT customer_id, placed_at AS create_time FROM orders) AS placed GROUP BY customer_id"
    )
    with op.batch_alter_table("orders") as table:
        table.add_column(
            sa.Column("customer_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_orders_customer_pending",
        "orders",
        ["customer_id"],
        postgresql_where=sa.text("customer_pending"),
        sqlite_where=sa.text("customer_pending"),
    )


def downgrade() -> None:
    op.drop_index("ix_orders_customer_pending", "orders")
    with op.batch_alter_table("orders") as table:
        table.drop_column("customer_pending")
    op.drop_table("known_customers")
