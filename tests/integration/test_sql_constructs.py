"""``any_of`` / ``none_of``: the same rows as IN / NOT IN on both databases, and on PostgreSQL one
statement (one prepared plan) whatever the length of the list."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.dialects import postgresql

from isthmus.platform import config, db
from isthmus.platform.sql import any_of, none_of

metadata = MetaData()
things = Table(
    f"things_{uuid.uuid4().hex[:8]}",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(36), nullable=False),
)
QUERY = (
    select(things.c.id)
    .where(any_of(things.c.key, "keys"), none_of(things.c.id, "skip"))
    .order_by(things.c.id)
)
CASES = [
    ({"keys": ["k1", "k2", "k3"], "skip": [2]}, [1, 3]),
    ({"keys": ["k5"], "skip": []}, [5]),
    ({"keys": [], "skip": [1]}, []),
    ({"keys": [f"k{i}" for i in range(10)], "skip": list(range(0, 10, 2))}, [1, 3, 5, 7, 9]),
]


def test_postgresql_gets_one_array_parameter_per_list_not_one_placeholder_per_value() -> None:
    sql = str(QUERY.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    assert "key = ANY (%(keys)s::VARCHAR(36)[])" in sql and "NOT (" in sql and "IN (" not in sql


@pytest.mark.postgres
async def test_the_same_rows_as_in_and_not_in_on_postgresql(pg_url: str) -> None:
    await _check(config.load({"ISTHMUS_DATABASE_URL": pg_url}), "public")


async def test_the_same_rows_as_in_and_not_in_on_sqlite(tmp_path: Path) -> None:
    await _check(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)}), "things")


async def _check(settings: config.Settings, schema: str) -> None:
    engine = db.async_engine(settings, schema)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(things.insert(), [{"id": i, "key": f"k{i}"} for i in range(10)])
            for params, expected in CASES:
                assert list((await conn.execute(QUERY, params)).scalars()) == expected, params
                # The same question with IN / NOT IN, as the reference.
                keys = ", ".join(f"'{k}'" for k in params["keys"]) or "NULL"
                skip = ", ".join(str(i) for i in params["skip"]) or "NULL"
                reference = text(
                    f"SELECT id FROM {things.name} WHERE key IN ({keys})"
                    + (f" AND id NOT IN ({skip})" if params["skip"] else "")
                    + " ORDER BY id"
                )
                assert list((await conn.execute(reference)).scalars()) == expected
            await conn.run_sync(metadata.drop_all)
    finally:
        await engine.dispose()
