"""dead letters named by a minted UUIDv7

Revision ID: events_0005
Revises: events_0004

Every id the hub mints is a UUIDv7 from one generator (docs/api.md, rule 8); a dead letter was named by
its row id. The new column is filled for the letters already stored, oldest first, and is unique. It
stays nullable (expand now, contract one release later): the previous release still stores letters
without one during a rolling upgrade, and the new one names those when it lists them
(``tables.name_dead_letters``).
"""

import sqlalchemy as sa
from alembic import op

from isthmus.platform.migrations import mint_ids

revision = "events_0005"
down_revision = "events_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dead_letters", sa.Column("dead_letter_id", sa.String(36), nullable=True))
    mint_ids("dead_letters", "dead_letter_id")
    op.create_index("ux_dead_letters_dead_letter_id", "dead_letters", ["dead_letter_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_dead_letters_dead_letter_id", table_name="dead_letters")
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("dead_letter_id")
