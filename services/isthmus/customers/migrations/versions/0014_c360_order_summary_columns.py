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

import sqlalchemy as sa
from alembic import op

from isthmus.kernel.money import MINOR_UNITS

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 5000


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
    orders = sa.table(
        "c360_orders",
        sa.column("order_id", sa.String()),
        sa.column("snapshot", sa.JSON()),
        sa.column("placed_at", sa.String()),
        sa.column("currency", sa.String()),
        sa.column("revenue_minor", sa.BigInteger()),
    )
    bind = op.get_bind()
    after = ""
    while True:
        rows = bind.execute(
            sa.select(orders.c.order_id, orders.c.snapshot)
            .where(orders.c.order_id > after)
            .order_by(orders.c.order_id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            break
        changes = []
        for order_id, s in rows:
            currency = s["total"][1]
            counted = s["paid"] and s["state"] != "CANCELLED"
            revenue = _minor(s["total"][0], currency) - _minor(s["refunded"][0], currency)
            changes.append(
                {
                    "id": order_id,
                    "placed_at": s["placed_at"],
                    "currency": currency[:3],
                    "revenue_minor": revenue if counted else None,
                }
            )
        bind.execute(
            sa.update(orders)
            .where(orders.c.order_id == sa.bindparam("id"))
            .values(
                placed_at=sa.bindparam("placed_at"),
                currency=sa.bindparam("currency"),
                revenue_minor=sa.bindparam("revenue_minor"),
            ),
            changes,
        )
        after = rows[-1][0]
    op.create_index("ix_c360_orders_customer_placed", "c360_orders", ["customer_id", "placed_at", "order_id"])
    op.drop_index("ix_c360_orders_customer_id", table_name="c360_orders")


def downgrade() -> None:
    op.create_index("ix_c360_orders_customer_id", "c360_orders", ["customer_id"])
    op.drop_index("ix_c360_orders_customer_placed", table_name="c360_orders")
    op.drop_column("c360_orders", "revenue_minor")
    op.drop_column("c360_orders", "currency")
    op.drop_column("c360_orders", "placed_at")
