"""Connector dead letters are named by a minted UUIDv7, not by their row id.

Every id the hub mints is a UUIDv7 from one generator (docs/api.md, rule 8). The new column is filled
for the letters already stored, oldest first, and is unique. It stays nullable (expand now, contract
one release later): the previous release still stores letters without one during a rolling upgrade,
and the new one names those when it reads them (``state.name_dead_letters``).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from isthmus.platform.migrations import mint_ids

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("connector_dead_letters", sa.Column("dead_letter_id", sa.String(36), nullable=True))
    mint_ids("connector_dead_letters", "dead_letter_id")
    op.create_index(
        "ux_connector_dead_letters_dead_letter_id", "connector_dead_letters", ["dead_letter_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_connector_dead_letters_dead_letter_id", table_name="connector_dead_letters")
    with op.batch_alter_table("connector_dead_letters") as table:
        table.drop_column("dead_letter_id")
