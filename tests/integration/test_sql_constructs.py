"""The shared SQL constructs on both databases: ``any_of`` / ``none_of`` select the same rows as IN /
NOT IN (on PostgreSQL with one statement whatever the length of the list), and ``insert_many`` /
``update_many`` / ``upsert_many`` write what row-by-row statements would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

from isthmus.platform import config, db, sql
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
    assert "key = ANY (%(keys)s::VARCHAR[])" in sql and "NOT (" in sql and "IN (" not in sql


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


class _Utc(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.astimezone(UTC)


records = Table(
    f"records_{uuid.uuid4().hex[:8]}",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("flag", Boolean, nullable=False),
    Column("note", Text, nullable=True),
    Column("doc", LargeBinary, nullable=False),
    Column("at", _Utc(), nullable=True),
    Column("tags", JSON, nullable=True),
)


@pytest.mark.postgres
async def test_many_rows_are_inserted_and_updated_alike_on_postgresql(pg_url: str) -> None:
    await _check_many(config.load({"ISTHMUS_DATABASE_URL": pg_url}), "public")


async def test_many_rows_are_inserted_and_updated_alike_on_sqlite(tmp_path: Path) -> None:
    await _check_many(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)}), "records")


@pytest.mark.postgres
async def test_a_value_longer_than_its_column_is_refused_not_cut_short_on_postgresql(pg_url: str) -> None:
    """As a row-by-row INSERT refuses it: an array of varchar(n) would cut it to n characters."""
    engine = db.async_engine(config.load({"ISTHMUS_DATABASE_URL": pg_url}), "public")
    row = {"version": 1, "count": 1, "flag": True, "note": None, "doc": b"", "at": None, "tags": None}
    try:
        async with db.session_factory(engine)() as session, session.begin():
            await session.run_sync(lambda s: metadata.create_all(s.connection()))
            with pytest.raises(DBAPIError, match="value too long"):
                async with session.begin_nested():
                    await sql.insert_many(session, records, [row | {"id": "ok"}, row | {"id": "x" * 40}])
            await sql.insert_many(session, records, [row | {"id": "a"}, row | {"id": "k" * 36}])
            # Nor is a key cut short to match another row.
            changes = [({"id": "a"}, {"note": "n"}), ({"id": "k" * 40}, {"note": "n"})]
            assert await sql.update_many(session, records, changes) == 1
            found = select(records.c.id).where(any_of(records.c.id, "ids"))
            assert list(await session.scalars(found, {"ids": ["a", "k" * 40]})) == ["a"]
            await session.rollback()
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await engine.dispose()


async def _check_many(settings: config.Settings, schema: str) -> None:
    engine = db.async_engine(settings, schema)
    at = datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    rows = [
        {
            "id": f"r{i}",
            "version": 1,
            "count": 10**12 + i,
            "flag": i % 2 == 0,
            "note": None if i == 3 else f"n{i}",
            "doc": bytes([i]) * 3,
            "at": None if i == 4 else at,
            "tags": [[i, "x"], i] if i % 3 else {"n": i},  # lists of lists must not become 2-D arrays
        }
        for i in range(6)
    ]
    try:
        async with db.session_factory(engine)() as session, session.begin():
            await session.run_sync(lambda s: metadata.create_all(s.connection()))
            await sql.insert_many(session, records, rows[:1])  # a single row takes the plain INSERT
            await sql.insert_many(session, records, rows[1:])
            stored = (await session.execute(select(records).order_by(records.c.id))).mappings().all()
            assert [dict(r) | {"at": r["at"] and r["at"].astimezone(UTC)} for r in stored] == [
                r | {"at": r["at"] and r["at"].astimezone(UTC)} for r in rows
            ]
            changes = [
                ({"id": f"r{i}", "version": 1}, {"version": 2, "note": f"changed {i}", "tags": [i, [i]]})
                for i in (0, 2, 5)
            ]
            changes.append(
                ({"id": "r1", "version": 7}, {"version": 8, "note": "stale", "tags": []})
            )  # not at 7
            assert await sql.update_many(session, records, changes) == 3
            notes = dict((await session.execute(select(records.c.id, records.c.note))).all())
            assert notes == {
                "r0": "changed 0",
                "r1": "n1",
                "r2": "changed 2",
                "r3": None,
                "r4": "n4",
                "r5": "changed 5",
            }
            tags = dict((await session.execute(select(records.c.id, records.c.tags))).all())
            assert tags["r2"] == [2, [2]] and tags["r1"] == [[1, "x"], 1] and tags["r3"] == {"n": 3}
            assert await sql.update_many(session, records, []) == 0

            # upsert_many: new keys inserted, taken ones changed where the condition holds (one row
            # takes the plain INSERT), or left as they are without changes to make.
            def set_(new: Any) -> dict[str, Any]:
                return {"version": new.version, "note": new.note, "tags": new.tags}

            def newer(new: Any) -> Any:
                return records.c.version < new.version

            upserts = [
                rows[0] | {"version": 3, "note": "newer", "tags": [["u"]]},  # stored at version 2
                rows[1] | {"version": 0, "note": "older"},  # stored at version 1
                rows[4] | {"id": "r6", "note": "new", "tags": {"n": 6}},
            ]
            await sql.upsert_many(session, records, upserts, set_, newer)
            await sql.upsert_many(session, records, [rows[3] | {"version": 9, "note": "alone"}], set_, newer)
            await sql.upsert_many(session, records, [rows[2] | {"note": "taken"}, rows[2] | {"id": "r7"}])
            await sql.upsert_many(session, records, [], set_, newer)
            found = (await session.execute(select(records.c.id, records.c.note, records.c.tags))).all()
            assert {
                r.id: (r.note, r.tags) for r in found if r.id in ("r0", "r1", "r2", "r3", "r6", "r7")
            } == {
                "r0": ("newer", [["u"]]),
                "r1": ("n1", [[1, "x"], 1]),
                "r2": ("changed 2", [2, [2]]),
                "r3": ("alone", {"n": 3}),
                "r6": ("new", {"n": 6}),
                "r7": ("n2", [[2, "x"], 2]),
            }
            await session.run_sync(lambda s: metadata.drop_all(s.connection()))
    finally:
        await engine.dispose()


counts = Table(
    f"counts_{uuid.uuid4().hex[:8]}",
    metadata,
    Column("a", String(10), primary_key=True),
    Column("b", String(10), primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("label", String(20), nullable=False),
    Column("note", Text, nullable=True),
)


@pytest.mark.postgres
async def test_many_rows_are_upserted_and_deleted_by_key_on_postgresql(pg_url: str) -> None:
    await _check_upsert(config.load({"ISTHMUS_DATABASE_URL": pg_url}), "public")


async def test_many_rows_are_upserted_and_deleted_by_key_on_sqlite(tmp_path: Path) -> None:
    await _check_upsert(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)}), "counts")


async def _check_upsert(settings: config.Settings, schema: str) -> None:
    """``upsert_many`` adds to the stored counts, keeps what it is told to keep and sets the rest;
    ``delete_many`` deletes the rows of the keys given, not the other combinations of their columns."""
    engine = db.async_engine(settings, schema)
    try:
        async with db.session_factory(engine)() as session, session.begin():
            await session.run_sync(lambda s: metadata.create_all(s.connection()))
            rows = [{"a": a, "b": b, "n": 1, "label": f"{a}{b}", "note": None} for a in "xy" for b in "12"]
            await sql.upsert_many(session, counts, rows, add=["n"])
            await sql.upsert_many(
                session,
                counts,
                [
                    {"a": "x", "b": "1", "n": 5, "label": "new", "note": "set"},
                    {"a": "y", "b": "2", "n": -1, "label": "new", "note": "set"},
                    {"a": "z", "b": "1", "n": 3, "label": "made", "note": None},
                ],
                add=["n"],
                keep=["label"],
            )
            await sql.upsert_many(session, counts, [], add=["n"])
            await sql.upsert_many(
                session,
                counts,
                [{"a": "x", "b": "2", "n": 9, "label": "set", "note": "n"}],
                lambda new: {"n": new.n, "label": new.label, "note": new.note},
            )
            found = (await session.execute(select(counts).order_by(counts.c.a, counts.c.b))).all()
            assert [tuple(r) for r in found] == [
                ("x", "1", 6, "x1", "set"),
                ("x", "2", 9, "set", "n"),
                ("y", "1", 1, "y1", None),
                ("y", "2", 0, "y2", "set"),
                ("z", "1", 3, "made", None),
            ]
            await sql.delete_many(session, counts, [{"a": "x", "b": "1"}, {"a": "y", "b": "2"}])
            await sql.delete_many(session, counts, [])
            left = (
                await session.execute(select(counts.c.a, counts.c.b).order_by(counts.c.a, counts.c.b))
            ).all()
            assert [tuple(r) for r in left] == [("x", "2"), ("y", "1"), ("z", "1")]
            await session.run_sync(lambda s: metadata.drop_all(s.connection()))
    finally:
        await engine.dispose()


async def _savepoint_first(settings: config.Settings, schema: str) -> None:
    engine = db.async_engine(settings, schema)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: things.create(c, checkfirst=True))
        async with db.session_factory(engine)() as session:
            async with session.begin():
                async with session.begin_nested():  # before anything else is written
                    await session.execute(things.insert().values(id=1, key="in the savepoint"))
                await session.execute(things.insert().values(id=2, key="after it"))
                await session.rollback()
            assert list(await session.scalars(select(things.c.key))) == []
        async with db.session_factory(engine)() as session:
            async with session.begin(), session.begin_nested():  # and committed with it
                await session.execute(things.insert().values(id=3, key="kept"))
            assert list(await session.scalars(select(things.c.key))) == ["kept"]
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: things.drop(c, checkfirst=True))
        await engine.dispose()


async def test_a_savepoint_opened_before_the_first_write_is_rolled_back_with_its_transaction_on_sqlite(
    tmp_path: Path,
) -> None:
    """The sqlite3 driver begins a transaction only at its first INSERT, UPDATE or DELETE: a SAVEPOINT
    before that would begin one of its own, and releasing it would commit what it wrote."""
    await _savepoint_first(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)}), "records")


@pytest.mark.postgres
async def test_a_savepoint_opened_before_the_first_write_is_rolled_back_with_its_transaction_on_postgres(
    pg_url: str,
) -> None:
    await _savepoint_first(config.load({"ISTHMUS_DATABASE_URL": pg_url}), "public")
