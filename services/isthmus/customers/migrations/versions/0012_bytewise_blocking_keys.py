"""blocking keys compared byte by byte (``COLLATE "C"``) on PostgreSQL

Revision ID: 0012
Revises: 0011

The key and the record it belongs to are compared in the key index by ``memcmp`` instead of the
database's collation (``strcoll``): nothing reads blocking keys in a language's order. The indexes
on the table are rebuilt; the table itself is not rewritten (the type stays ``varchar``). SQLite
compares bytes already.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("key", 240), ("source_system", 40), ("source_id", 128))


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    changes = ", ".join(
        f'ALTER COLUMN {name} TYPE varchar({length}) COLLATE "{collation}"' for name, length in _COLUMNS
    )
    op.execute(f"ALTER TABLE blocking_keys {changes}")


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
