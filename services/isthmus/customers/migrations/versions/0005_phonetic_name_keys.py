"""blocking keys: names by the sound of both instead of one name with the other's initial; the
customer id in the key index

Revision ID: 0005
Revises: 0004

Every stored source record gets its new name keys here (a thousand records at a time, from the
stored match profile, or from the record where it has none); the old ones are deleted. On PostgreSQL
the primary key index is rebuilt with the customer id included, so candidate lookups need not visit
the table.
"""

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from isthmus.customers.matching import Features, blocking_keys
from isthmus.customers.records import Record

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_records = sa.table(
    "source_records",
    sa.column("source_system", sa.String),
    sa.column("source_id", sa.String),
    sa.column("customer_id", sa.String),
    sa.column("profile", sa.Text),
    sa.column("data", sa.JSON),
)
_keys = sa.table(
    "blocking_keys",
    sa.column("key", sa.String),
    sa.column("source_system", sa.String),
    sa.column("source_id", sa.String),
    sa.column("customer_id", sa.String),
)


def _features(conn: sa.Connection, system: str, source_id: str, profile: str | None) -> Features:
    found = Features.from_profile(json.loads(profile)) if profile else None
    if found is not None:
        return found
    data = conn.execute(
        sa.select(_records.c.data).where(
            _records.c.source_system == system, _records.c.source_id == source_id
        )
    ).scalar_one()
    return Features(Record.from_json(data))


def _rewrite(old: str, new: Callable[[Features], set[str]]) -> None:
    """Deletes the keys starting with ``old`` and gives every stored record its keys from ``new``."""
    conn = op.get_bind()
    conn.execute(sa.delete(_keys).where(_keys.c.key.like(f"{old}%")))
    c = _records.c
    ref = sa.tuple_(c.source_system, c.source_id)
    after: tuple[str, str] | None = None
    while True:
        page = sa.select(c.source_system, c.source_id, c.customer_id, c.profile).order_by(*ref.clauses)
        page = page.limit(1000)
        if after is not None:
            page = page.where(ref > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
        rows = conn.execute(page).all()
        if not rows:
            return
        keys = [
            {"key": key, "source_system": system, "source_id": sid, "customer_id": cid}
            for system, sid, cid, profile in rows
            for key in sorted(new(_features(conn, system, sid, profile)))
        ]
        if keys:
            conn.execute(sa.insert(_keys), keys)
        after = (rows[-1].source_system, rows[-1].source_id)


def _primary_key(include: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("blocking_keys_pkey", "blocking_keys", type_="primary")
    op.execute(
        "ALTER TABLE blocking_keys ADD CONSTRAINT blocking_keys_pkey"
        f" PRIMARY KEY (key, source_system, source_id) {include}"
    )


def upgrade() -> None:
    _rewrite("ni:", lambda f: {k for k in blocking_keys(f) if k.startswith("np:")})
    _primary_key("INCLUDE (customer_id)")


def _initial_keys(f: Features) -> set[str]:
    """The name keys of revision 0004: one name in full with the other's initial, both ways round."""
    if not (f.given_canonical and f.family):
        return set()
    return {f"ni:{f.given_canonical}:{f.family[0]}"} | {
        f"ni:{f.family}:{g[0]}" for g in (f.given, f.given_canonical)
    }


def downgrade() -> None:
    _primary_key("")
    _rewrite("np:", _initial_keys)
