"""the first request of each merge, unmerge and erasure request_id, to name what a retry changed

Revision ID: 0011
Revises: 0010

Nullable: rows written before keep only their hash, and a different retry under their id is still
refused, without the field's name (expand only).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("idempotency", sa.Column("request", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency") as batch:
        batch.drop_column("request")
