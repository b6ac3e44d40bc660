"""What sources push (webhooks) is kept until a sync has read it, and its delivery id a while longer.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connector_pushes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("instance", sa.String(100), nullable=False),
        sa.Column("stream", sa.String(50), nullable=False),
        sa.Column("delivery_id", sa.String(200), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ux_connector_pushes_delivery", "connector_pushes", ["instance", "delivery_id"], unique=True
    )
    op.create_index(
        "ix_connector_pushes_pending",
        "connector_pushes",
        ["instance", "stream", "id"],
        postgresql_where=sa.text("consumed_at IS NULL"),
        sqlite_where=sa.text("consumed_at IS NULL"),
    )
    op.create_index("ix_connector_pushes_consumed", "connector_pushes", ["consumed_at"])


def downgrade() -> None:
    op.drop_index("ix_connector_pushes_consumed", "connector_pushes")
    op.drop_index("ix_connector_pushes_pending", "connector_pushes")
    op.drop_index("ux_connector_pushes_delivery", "connector_pushes")
    op.drop_table("connector_pushes")
