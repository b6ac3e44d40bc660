"""index the customers merged into another, which every 360 gathers

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MERGED = sa.text("merged_into_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_customers_merged_into_id",
        "customers",
        ["merged_into_id"],
        postgresql_where=_MERGED,
        sqlite_where=_MERGED,
    )


def downgrade() -> None:
    op.drop_index("ix_customers_merged_into_id", table_name="customers")
