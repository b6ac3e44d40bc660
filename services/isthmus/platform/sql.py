"""SQL constructs the stores share.

``column IN (:a, :b, ...)`` renders one placeholder per value, so a list of another length is another
statement: asyncpg prepares each anew (a round trip and a plan on the server) and keeps only so many.
:func:`any_of` is one statement whatever the length: ``column = ANY(:values)`` with one array
parameter on PostgreSQL, an expanding ``IN`` on SQLite (which prepares nothing).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    String,
    Table,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from isthmus.kernel.ids import new_uuid
from isthmus.platform import jsoncodec


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite hands back naive ones otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _AnyOf(ColumnElement[bool]):
    """``column`` is (or, negated, is not) one of the list bound to ``name``."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison already: no ``= 1`` where booleans are integers
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
        ("negated", InternalTraversal.dp_boolean),
    ]

    def __init__(self, column: ColumnElement[Any], name: str, negated: bool) -> None:
        self.column = column
        self.name = name
        self.negated = negated


def any_of(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column`` is one of the values of the list parameter ``name``."""
    return _AnyOf(column, name, False)


def none_of(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column`` is none of the values of the list parameter ``name`` (true for an empty list)."""
    return _AnyOf(column, name, True)


@compiles(_AnyOf)
def _expanding_in(element: _AnyOf, compiler: Any, **kw: Any) -> str:
    values: Any = bindparam(element.name, expanding=True)
    clause = element.column.not_in(values) if element.negated else element.column.in_(values)
    return str(compiler.process(clause, **kw))


def _unbounded(kind: Any) -> Any:
    """A column's type as an array parameter's elements: never a varchar of some length. A cast to
    ``varchar(n)[]`` cuts longer values to n characters without a word: a key cut short can match
    another row, and a value the column refuses (as a row-by-row INSERT finds) would be stored cut."""
    return String() if isinstance(kind, String) and kind.length is not None else kind


@compiles(_AnyOf, "postgresql")
def _array(element: _AnyOf, compiler: Any, **kw: Any) -> str:
    array = ARRAY(_unbounded(element.column.type))
    clause = element.column == any_(bindparam(element.name, type_=array))
    # Not ``x <> ANY(a)``, which is "differs from some": "differs from all" is ``NOT (x = ANY(a))``.
    return str(compiler.process(~clause if element.negated else clause, **kw))


# --- many rows in one statement --------------------------------------------------------------------
#
# An executemany sends one bind and one execute per row, which the server pays for row by row. On
# PostgreSQL these send every column as one array and unnest them: one statement, one plan, the rows
# inserted (or matched) by the server in one go. SQLite (embedded, in-process) keeps executemany.


def _is_json(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, JSON)


def _element(table: Table, name: str) -> Any:
    """The type of an array's elements for column ``name`` (see :func:`_unbounded`)."""
    return Text() if _is_json(table, name) else _unbounded(table.c[name].type)


@functools.lru_cache(maxsize=256)
def _unnest(table: Table, fields: tuple[tuple[str, str], ...]) -> tuple[Any, dict[str, Any]]:
    """``unnest(:a, :b, ...) AS v(a, b, ...)`` for (parameter name, column name) pairs, each parameter
    an array of its column's type, and the expression to take each field by. A JSON column travels as
    an array of texts (an array of JSON lists would be read as a two-dimensional array) and is cast
    back."""
    arrays = [bindparam(name, type_=ARRAY(_element(table, col))) for name, col in fields]
    rows = func.unnest(*arrays).table_valued(*[column(name) for name, _ in fields]).render_derived("v")
    take = {
        name: cast(rows.c[name], table.c[col].type) if _is_json(table, col) else rows.c[name]
        for name, col in fields
    }
    return rows, take


def _arrays(
    table: Table, fields: Sequence[tuple[str, str]], values: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """One list per field; JSON values serialized (SQL NULL for None) to match ``_unnest``."""
    params: dict[str, Any] = {}
    for name, col in fields:
        if _is_json(table, col):
            params[name] = [None if v[col] is None else jsoncodec.dumps(v[col]) for v in values]
        else:
            params[name] = [v[col] for v in values]
    return params


@functools.lru_cache(maxsize=256)
def _insert_unnest(table: Table, names: tuple[str, ...]) -> Any:
    _rows, take = _unnest(table, tuple((n, n) for n in names))
    return postgresql.insert(table).from_select(list(names), select(*[take[n] for n in names]))


def insert_statement(table: Table, rows: Sequence[Mapping[str, Any]], dialect: Dialect) -> tuple[Any, Any]:
    """The statement and parameters inserting ``rows`` (all with the same keys) in one round trip."""
    if dialect.name != "postgresql" or len(rows) == 1:
        return insert(table), list(rows)
    names = tuple(rows[0])
    return _insert_unnest(table, names), _arrays(table, [(n, n) for n in names], rows)


async def insert_many(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Inserts ``rows`` (dicts with the same keys); nothing for none."""
    if rows:
        await session.execute(*insert_statement(table, rows, session.get_bind().dialect))


@functools.lru_cache(maxsize=64)
def _insert_new(table: Table, names: tuple[str, ...], key: str, postgres: bool) -> Any:
    if postgres:
        return _insert_unnest(table, names).on_conflict_do_nothing().returning(table.c[key])
    return sqlite.insert(table).on_conflict_do_nothing().returning(table.c[key])


async def insert_new(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> set[Any]:
    """Inserts those of ``rows`` whose unique key is not yet taken, in one statement, and returns the
    ``key`` column of the rows it inserted. On PostgreSQL a row another transaction is inserting
    waits for it and is skipped if it commits, instead of failing the statement."""
    if not rows:
        return set()
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = _insert_new(table, tuple(rows[0]), key, postgres)
    if postgres:
        params: Any = _arrays(table, [(n, n) for n in rows[0]], rows)
        return set((await session.execute(statement, params)).scalars())
    inserted: set[Any] = set()
    for row in rows:  # SQLite: in process, no round trips to save
        inserted.update((await session.execute(statement, row)).scalars())
    return inserted


async def upsert_many(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    set_: Callable[[Any], Mapping[str, Any]] | None = None,
    where: Callable[[Any], ColumnElement[bool]] | None = None,
    *,
    add: Sequence[str] = (),
    keep: Sequence[str] = (),
) -> None:
    """Inserts ``rows`` (dicts with the same keys) with one statement; a row whose primary key is
    taken sets ``set_(excluded)`` on the stored row where ``where(excluded)`` holds, or is skipped
    without ``set_``. Both name the stored row's columns by ``table`` and the incoming row's by
    ``excluded``. Instead of ``set_``, ``add`` names columns whose values are added to the stored
    ones (a count and a change of it): the row's other columns are set, but those in ``keep``.
    PostgreSQL updates no row twice in one statement ("command cannot affect row a second time"):
    with ``set_`` or ``add``, no two rows may share a key."""
    if not rows:
        return
    if add:
        names = [n for n in rows[0] if n not in {c.name for c in table.primary_key.columns} and n not in keep]

        def added(new: Any) -> dict[str, Any]:
            return {n: table.c[n] + new[n] if n in add else new[n] for n in names}

        set_ = added
    params: Any
    if session.get_bind().dialect.name == "postgresql":
        if len(rows) == 1:
            statement: Any = postgresql.insert(table)
            params = list(rows)
        else:
            statement = _insert_unnest(table, tuple(rows[0]))
            params = _arrays(table, [(n, n) for n in rows[0]], rows)
    else:  # an executemany: SQLite is in process, no round trips to save
        statement, params = sqlite.insert(table), list(rows)
    key = list(table.primary_key.columns)
    if set_ is None:
        statement = statement.on_conflict_do_nothing(index_elements=key)
    else:
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=key,
            set_=dict(set_(excluded)),
            where=None if where is None else where(excluded),
        )
    await session.execute(statement, params)


@functools.lru_cache(maxsize=256)
def _update_unnest(table: Table, where: tuple[str, ...], values: tuple[str, ...]) -> Any:
    _rows, take = _unnest(table, tuple((f"w_{n}", n) for n in where) + tuple((f"v_{n}", n) for n in values))
    key = table.c[where[0]]
    matches = [table.c[n] == take[f"w_{n}"] for n in where]
    return update(table).values({n: take[f"v_{n}"] for n in values}).where(*matches).returning(key)


@functools.lru_cache(maxsize=256)
def _update_each(table: Table, where: tuple[str, ...], values: tuple[str, ...]) -> Any:
    matches = [table.c[n] == bindparam(f"w_{n}") for n in where]
    return update(table).values({n: bindparam(f"v_{n}") for n in values}).where(*matches)


async def update_many(
    session: AsyncSession, table: Table, changes: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]
) -> int:
    """Applies each ``(where, values)`` pair (all with the same keys): the row whose columns equal
    ``where`` gets ``values``. Returns how many rows matched, so a version in ``where`` that another
    writer moved shows as a shortfall."""
    if not changes:
        return 0
    where, values = tuple(changes[0][0]), tuple(changes[0][1])
    if session.get_bind().dialect.name == "postgresql":
        params = _arrays(table, [(f"w_{n}", n) for n in where], [w for w, _ in changes])
        params |= _arrays(table, [(f"v_{n}", n) for n in values], [v for _, v in changes])
        result = await session.execute(_update_unnest(table, where, values), params)
        return len(result.all())
    rows = [{**{f"w_{n}": w[n] for n in where}, **{f"v_{n}": v[n] for n in values}} for w, v in changes]
    result = await session.execute(_update_each(table, where, values), rows)
    return int(result.rowcount)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=64)
def _delete_unnest(table: Table, where: tuple[str, ...]) -> Any:
    _rows, take = _unnest(table, tuple((f"w_{n}", n) for n in where))
    return delete(table).where(*[table.c[n] == take[f"w_{n}"] for n in where])


@functools.lru_cache(maxsize=64)
def _delete_each(table: Table, where: tuple[str, ...]) -> Any:
    return delete(table).where(*[table.c[n] == bindparam(f"w_{n}") for n in where])


async def delete_many(session: AsyncSession, table: Table, keys: Sequence[Mapping[str, Any]]) -> None:
    """Deletes the rows whose columns equal those of one of ``keys`` (dicts with the same keys), with
    one statement; nothing for no keys."""
    if not keys:
        return
    where = tuple(keys[0])
    if session.get_bind().dialect.name == "postgresql":
        params = _arrays(table, [(f"w_{n}", n) for n in where], keys)
        await session.execute(_delete_unnest(table, where), params)
        return
    rows = [{f"w_{n}": k[n] for n in where} for k in keys]
    await session.execute(_delete_each(table, where), rows)


async def mint_missing_ids(conn: AsyncConnection, table: Table, name: str) -> None:
    """Give each row of ``table`` whose ``name`` column is NULL an id from the one generator
    (``kernel.ids.new_uuid``), in the order of its ``id`` column: for rows a previous release stored
    before the column existed, during a rolling upgrade (the migration that adds it names older ones)."""
    key, minted = table.c.id, table.c[name]
    unnamed = (await conn.execute(select(key).where(minted.is_(None)).order_by(key))).scalars().all()
    for row_id in unnamed:
        await conn.execute(update(table).where(key == row_id, minted.is_(None)).values({name: new_uuid()}))
