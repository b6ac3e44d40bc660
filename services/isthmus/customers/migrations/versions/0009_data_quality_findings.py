"""data-quality findings: the values source records carried that could not be used

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_quality_findings",
        sa.Column(
            "finding_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("source_system", sa.String(40), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("raw_value", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("receive_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_data_quality_findings_record", "data_quality_findings", ["source_system", "source_id"]
    )
    op.create_index("ix_data_quality_findings_rule", "data_quality_findings", ["rule", "finding_id"])


def downgrade() -> None:
    op.drop_table("data_quality_findings")
