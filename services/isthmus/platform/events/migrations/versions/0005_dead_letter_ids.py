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

from isthmus.kernel.ids import new_uuid

revision = "events_0005"
down_revision = "events_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dead_letters", sa.Column("dead_letter_id", sa.String(36), nullable=True))
    letters = sa.table("dead_letters", sa.column("id"), sa.column("dead_letter_id"))
    conn = op.get_bind()
    rows = conn.execute(sa.select(letters.c.id).order_by(letters.c.id)).scalars().all()
    if rows:
        conn.execute(
            letters.update()
            .where(letters.c.id == sa.bindparam("row_id"))
            .values(dead_letter_id=sa.bindparam("minted")),
            [{"row_id": row_id, "minted": new_uuid()} for row_id in rows],
        )
    op.create_index("ux_dead_letters_dead_letter_id", "dead_letters", ["dead_letter_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_dead_letters_dead_letter_id", table_name="dead_letters")
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("dead_letter_id")
