"""when a marketing message requested for later is due (withdrawn if a complaint comes first)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for the decisions made before: their messages went out as requested.
    with op.batch_alter_table("campaign_decisions") as batch:
        batch.add_column(sa.Column("send_after", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_decisions") as batch:
        batch.drop_column("send_after")
