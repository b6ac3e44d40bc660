"""orders, cases, customers and models

Revision ID: 0001
Revises:
Create Date: 2026-12-03 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "value_orders",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("origin_customer_id", sa.String(length=64), nullable=False),
        sa.Column("placed_at", ts, nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.Column("cost_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("cost_returned_minor", sa.BigInteger(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("returns_seen", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index(op.f("ix_value_orders_customer_id"), "value_orders", ["customer_id"], unique=False)
    op.create_table(
        "value_cases",
        sa.Column("service_request_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("origin_customer_id", sa.String(length=64), nullable=False),
        sa.Column("opened_at", ts, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("cost_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("service_request_id"),
    )
    op.create_index(op.f("ix_value_cases_customer_id"), "value_cases", ["customer_id"], unique=False)
    op.create_table(
        "value_customers",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.Column("cost_minor", sa.BigInteger(), nullable=False),
        sa.Column("service_minor", sa.BigInteger(), nullable=False),
        sa.Column("margin_minor", sa.BigInteger(), nullable=False),
        sa.Column("historical_minor", sa.BigInteger(), nullable=False),
        sa.Column("predicted_minor", sa.BigInteger(), nullable=False),
        sa.Column("lifetime_minor", sa.BigInteger(), nullable=False),
        sa.Column("expected_spend_minor", sa.BigInteger(), nullable=False),
        sa.Column("expected_purchases", sa.Float(), nullable=False),
        sa.Column("alive_probability", sa.Float(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("repeat_purchases", sa.Integer(), nullable=False),
        sa.Column("mean_repeat_minor", sa.BigInteger(), nullable=False),
        sa.Column("first_purchase_at", ts, nullable=True),
        sa.Column("last_purchase_at", ts, nullable=True),
        sa.Column("rfm_recency", sa.SmallInteger(), nullable=False),
        sa.Column("rfm_frequency", sa.SmallInteger(), nullable=False),
        sa.Column("rfm_monetary", sa.SmallInteger(), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("churn_risk", sa.Boolean(), nullable=False),
        sa.Column("churn_reason", sa.SmallInteger(), nullable=False),
        sa.Column("model_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("update_time", ts, nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index(op.f("ix_value_customers_merged_into"), "value_customers", ["merged_into"], unique=False)
    for name, column in (
        ("ix_value_customers_lifetime", "lifetime_minor"),
        ("ix_value_customers_historical", "historical_minor"),
        ("ix_value_customers_predicted", "predicted_minor"),
    ):
        op.create_index(name, "value_customers", [column, "customer_id"], unique=False)
    op.create_table(
        "value_models",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("model_id", sa.String(length=36), nullable=False),
        sa.Column("fitted_at", ts, nullable=False),
        sa.Column("doc", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("model_id"),
    )


def downgrade() -> None:
    op.drop_table("value_models")
    for name in (
        "ix_value_customers_predicted",
        "ix_value_customers_historical",
        "ix_value_customers_lifetime",
    ):
        op.drop_index(name, table_name="value_customers")
    op.drop_index(op.f("ix_value_customers_merged_into"), table_name="value_customers")
    op.drop_table("value_customers")
    op.drop_index(op.f("ix_value_cases_customer_id"), table_name="value_cases")
    op.drop_table("value_cases")
    op.drop_index(op.f("ix_value_orders_customer_id"), table_name="value_orders")
    op.drop_table("value_orders")
