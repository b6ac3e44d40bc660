"""customer 360 rows keep the newest: versions of order and case snapshots, and the times of a loyalty
row's balance and tier

Revision ID: 0006
Revises: 0005

Rows written before keep version 0, so the next event of their order or case replaces them; a loyalty
row's balance and tier take the time of the whole row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("c360_orders", "c360_cases"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("c360_loyalty") as batch:
        batch.add_column(sa.Column("balance_as_of", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("tier_as_of", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE c360_loyalty SET balance_as_of = as_of, tier_as_of = as_of")


def downgrade() -> None:
    with op.batch_alter_table("c360_loyalty") as batch:
        batch.drop_column("tier_as_of")
        batch.drop_column("balance_as_of")
    for table in ("c360_cases", "c360_orders"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
