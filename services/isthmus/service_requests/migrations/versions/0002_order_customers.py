"""Which customer each order belongs to, learnt from the order service's OrderPlaced events.

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
        "order_customers",
        sa.Column("order_id", sa.String(length=64), primary_key=True),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("placed_for", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_order_customers_customer_id", "order_customers", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_order_customers_customer_id", "order_customers")
    op.drop_table("order_customers")
