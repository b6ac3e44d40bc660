"""match models, households, and which model made each link

Revision ID: 0008
Revises: 0007

Trained match models are stored (versioned, one active at a time, each change logged); a source record
keeps the model that linked it and the comparisons that made the link; a review keeps its model and
what made it uncertain; golden customers of one household are linked, not merged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("source_records") as batch:
        batch.add_column(sa.Column("match_model", sa.String(40), nullable=True))
        batch.add_column(sa.Column("match_comparisons", sa.JSON, nullable=True))
    with op.batch_alter_table("match_reviews") as batch:
        batch.add_column(sa.Column("match_model", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("uncertain", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "household_links",
        sa.Column("customer_a", sa.String(36), primary_key=True),
        sa.Column("customer_b", sa.String(36), primary_key=True),
        sa.Column("shared", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source_system", sa.String(40), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.Column("match_model", sa.String(40), nullable=False),
        sa.Column("create_time", _TS, nullable=False),
    )
    op.create_index("ix_household_links_customer_b", "household_links", ["customer_b"])
    op.create_table(
        "match_models",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("create_time", _TS, nullable=False),
        sa.Column("active", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "match_model_log",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("by", sa.String(200), nullable=False, server_default=""),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("match_model_log")
    op.drop_table("match_models")
    op.drop_index("ix_household_links_customer_b", "household_links")
    op.drop_table("household_links")
    with op.batch_alter_table("match_reviews") as batch:
        batch.drop_column("uncertain")
        batch.drop_column("match_model")
    with op.batch_alter_table("source_records") as batch:
        batch.drop_column("match_comparisons")
        batch.drop_column("match_model")
