"""each source record's match profile, stored beside it

Revision ID: 0004
Revises: 0003

Records stored before this revision get their profile here, a thousand at a time; a profile of an
unknown format (or none) is also recomputed from the record whenever it is read.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from isthmus.customers.matching import Features
from isthmus.customers.records import Record

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_records = sa.table(
    "source_records",
    sa.column("source_system", sa.String),
    sa.column("source_id", sa.String),
    sa.column("data", sa.JSON),
    sa.column("profile", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("source_records") as batch:
        batch.add_column(sa.Column("profile", sa.Text(), nullable=True))
    conn = op.get_bind()
    keys = _records.c.source_system, _records.c.source_id
    while True:
        rows = conn.execute(
            sa.select(*keys, _records.c.data).where(_records.c.profile.is_(None)).order_by(*keys).limit(1000)
        ).all()
        if not rows:
            return
        for system, source_id, data in rows:
            profile = Features(Record.from_json(data)).profile()
            conn.execute(
                sa.update(_records)
                .where(_records.c.source_system == system, _records.c.source_id == source_id)
                .values(profile=json.dumps(profile, separators=(",", ":")))
            )


def downgrade() -> None:
    with op.batch_alter_table("source_records") as batch:
        batch.drop_column("profile")
