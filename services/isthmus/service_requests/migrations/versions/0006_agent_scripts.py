"""agent scripts: versions, runs and their tallies

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "scripts",
        sa.Column("script_id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("published_by", sa.JSON()),
    )
    op.create_index("ix_scripts_name", "scripts", ["name", "script_id"])
    op.create_table(
        "script_versions",
        sa.Column("script_id", ID, primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "script_runs",
        sa.Column("run_id", ID, primary_key=True),
        sa.Column("script_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("script_name", sa.String(200), nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("service_request_id", ID, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("current_step", sa.String(64), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("agent", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("rehearsal", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("abandon_reason", sa.Text(), nullable=False),
        sa.Column("interaction_id", ID, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.create_index("ix_script_runs_customer_id", "script_runs", ["customer_id"])
    op.create_table(
        "script_tallies",
        sa.Column("script_id", ID, primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("step_id", sa.String(64), primary_key=True),
        sa.Column("what", sa.String(16), primary_key=True),
        sa.Column("answer", sa.String(64), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("script_tallies")
    op.drop_index("ix_script_runs_customer_id", "script_runs")
    op.drop_table("script_runs")
    op.drop_table("script_versions")
    op.drop_index("ix_scripts_name", "scripts")
    op.drop_table("scripts")
