"""the units each order in the 360 waits for on backorder, for the customer's summary

Revision ID: 0018
Revises: 0017

NULL for the orders projected before: their next event fills it in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("c360_orders") as batch:
        batch.add_column(sa.Column("backordered", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("c360_orders") as batch:
        batch.drop_column("backordered")
