"""credit ranking: where each order's payment stands, and each customer's credit rank

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    # The orders counted before were paid ones: PAID, owing nothing, with no due date known.
    with op.batch_alter_table("value_orders") as batch:
        batch.add_column(sa.Column("payment", sa.SmallInteger(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("owed_minor", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("due_at", ts, nullable=True))
        batch.add_column(sa.Column("settled_at", ts, nullable=True))
        batch.add_column(sa.Column("late_at", ts, nullable=True))
        batch.add_column(sa.Column("known_at", ts, nullable=True))
    # Unranked until their next change (or the backfill a refit does not do: ranks need no model).
    with op.batch_alter_table("value_customers") as batch:
        batch.add_column(sa.Column("credit_rank", sa.SmallInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("credit", sa.Text(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("credit_review_at", ts, nullable=True))
    op.create_index(
        op.f("ix_value_customers_credit_review_at"), "value_customers", ["credit_review_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_value_customers_credit_review_at"), table_name="value_customers")
    with op.batch_alter_table("value_customers") as batch:
        batch.drop_column("credit_review_at")
        batch.drop_column("credit")
        batch.drop_column("credit_rank")
    with op.batch_alter_table("value_orders") as batch:
        batch.drop_column("known_at")
        batch.drop_column("late_at")
        batch.drop_column("settled_at")
        batch.drop_column("due_at")
        batch.drop_column("owed_minor")
        batch.drop_column("payment")
