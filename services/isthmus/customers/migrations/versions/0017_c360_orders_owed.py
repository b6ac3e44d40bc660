"""what each order in the 360 still owes, for the customer's outstanding balance

Revision ID: 0017
Revises: 0016

NULL for the orders projected before: their next event fills it in. An order paid at once owes
nothing; the 360 shows what the unpaid orders and unpaid flex-pay instalments add up to.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("c360_orders") as batch:
        batch.add_column(sa.Column("owed_minor", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("c360_orders") as batch:
        batch.drop_column("owed_minor")
