"""the authenticated client in the audit trail

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("history") as batch:
        batch.add_column(sa.Column("principal", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("history") as batch:
        batch.drop_column("principal")
