"""the customer's value tier when each case came in

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for the cases counted before: their escalations were decided already.
    with op.batch_alter_table("value_cases") as batch:
        batch.add_column(sa.Column("tier_at_open", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("value_cases") as batch:
        batch.drop_column("tier_at_open")
