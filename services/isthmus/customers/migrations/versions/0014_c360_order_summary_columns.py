"""the 360's orders keep what their summary adds up, so the database adds it

Revision ID: 0014
Revises: 0013

Each order row of the 360 holds, from its snapshot, when it was placed, its currency and what it
brought in (the total less refunds in the currency's minor units, once paid and unless cancelled);
GetCustomer360 counts and sums a customer's orders in one statement and reads the last placed from
an index, instead of decoding every snapshot. The rows present are filled from their snapshots.
"""

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op

from isthmus.kernel.money import MINOR_UNITS
from isthmus.platform.migrations import fill_from_json

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _minor(text: str, currency: str) -> int:
    try:
        amount = Decimal(text or "0")
    except InvalidOperation:
        amount = Decimal(0)
    return int(amount.scaleb(MINOR_UNITS.get(currency, 2)).to_integral_value())


def upgrade() -> None:
    op.add_column("c360_orders", sa.Column("placed_at", sa.String(40), server_default="", nullable=False))
    op.add_column("c360_orders", sa.Column("currency", sa.String(3), server_default="", nullable=False))
    op.add_column("c360_orders", sa.Column("revenue_minor", sa.BigInteger(), nullable=True))

    def summary(s: dict[str, Any]) -> dict[str, Any]:
        currency = s["total"][1]
        counted = s["paid"] and s["state"] != "CANCELLED"
        revenue = _minor(s["total"][0], currency) - _minor(s["refunded"][0], currency)
        return {
            "placed_at": s["placed_at"],
            "currency": currency[:3],
            "revenue_minor": revenue if counted else None,
        }

    fill_from_json("c360_orders", "order_id", "snapshot", ("placed_at", "currency", "revenue_minor"), summary)
    op.create_index("ix_c360_orders_customer_placed", "c360_orders", ["customer_id", "placed_at", "order_id"])
    op.drop_index("ix_c360_orders_customer_id", table_name="c360_orders")


def downgrade() -> None:
    op.create_index("ix_c360_orders_customer_id", "c360_orders", ["customer_id"])
    op.drop_index("ix_c360_orders_customer_placed", table_name="c360_orders")
    op.drop_column("c360_orders", "revenue_minor")
    op.drop_column("c360_orders", "currency")
    op.drop_column("c360_orders", "placed_at")
