"""The floor of a write use case: bare asyncpg transactions writing the rows the use case writes.

``RowProfile`` reads PostgreSQL's own counters (``pg_stat_user_tables``) before and after a measured
run of the service, so the rows per unit of work (inserted, updated, deleted, per table) come from
what the code really did, not from a list kept by hand. ``RowReplay`` then writes the same rows with
nothing but asyncpg: into copies of the same tables (``CREATE TABLE ... (LIKE ... INCLUDING ALL)``:
the same columns, defaults, constraints and indexes), each new row a copy of a row the service wrote
with fresh values in its unique columns, one transaction per schema and unit, as many units at once
as the service had clients. No validation, no events, no serialisation, no gRPC: what is left is the
database work the use case cannot avoid.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

_COUNTERS = """
SELECT schemaname, relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables
WHERE schemaname = ANY($1::text[]) AND relname NOT LIKE 'alembic_version%'
"""


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def counters(url: str, schemas: list[str]) -> dict[str, tuple[int, int, int]]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("SELECT pg_stat_force_next_flush()")
        rows = await conn.fetch(_COUNTERS, schemas)
    finally:
        await conn.close()
    return {f"{r[0]}.{r[1]}": (r[2], r[3], r[4]) for r in rows}


# With ``--statements`` a bench's private cluster loads pg_stat_statements (servers.py's settings).
STATEMENTS = {
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "all",
    "pg_stat_statements.track_planning": "on",
}


async def reset_statements(url: str) -> None:
    """Forget the statements counted so far (the extension created on first use)."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.execute("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


async def statements(url: str) -> list[tuple[str, int, float, int, float]]:
    """``(query, calls, milliseconds executing, rows, milliseconds planning)`` of every statement
    since the reset, the costliest to execute first. Times are wall clock (waiting for a core
    included): they rank statements, they are not CPU."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        found = await conn.fetch(
            "SELECT query, sum(calls)::bigint AS calls, sum(total_exec_time) AS ms, sum(rows)::bigint AS n,"
            " sum(total_plan_time) AS plan_ms FROM pg_stat_statements GROUP BY query ORDER BY ms DESC"
        )
    finally:
        await conn.close()
    return [(r["query"], r["calls"], r["ms"], r["n"], r["plan_ms"]) for r in found]


def print_statements(
    found: list[tuple[str, int, float, int, float]], units: int, unit: str, top: int = 12
) -> None:
    """Statements per unit of work, and the ``top`` costliest with their calls and times per unit."""
    calls = sum(f[1] for f in found if not f[0].startswith(("BEGIN", "COMMIT", "ROLLBACK")))
    ends = sum(f[1] for f in found if f[0].startswith(("COMMIT", "ROLLBACK")))
    executing = sum(f[2] for f in found) * 1000 / units
    planning = sum(f[4] for f in found) * 1000 / units
    print(
        f"statements per {unit}: {calls / units:.2f}, and {ends / units:.2f} transactions ended; "
        f"executing {executing:.0f} us and planning {planning:.0f} us per {unit} (wall clock); "
        f"the costliest to execute, per {unit}:"
    )
    for query, n, ms, rows, plan_ms in found[:top]:
        text = " ".join(query.split())[:200]
        each = (
            f"{n / units:6.3f} calls {ms * 1000 / units:6.1f} us executing {plan_ms * 1000 / units:6.1f} "
            f"planning {rows / max(1, n):6.1f} rows/call"
        )
        print(f"  {each}  {text}")


@dataclass(frozen=True)
class Writes:
    inserts: int
    updates: int
    deletes: int


def shape(profile: dict[str, Writes]) -> str:
    """``customers.history +1/~0/-0, ...``: rows per unit by table (inserted, updated, deleted)."""
    return ", ".join(f"{t} +{w.inserts}/~{w.updates}/-{w.deletes}" for t, w in profile.items())


def per_unit(
    before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]], units: int
) -> dict[str, Writes]:
    """Rows per unit of work and table, rounded to whole rows (tables written less than once in two
    units are left out)."""
    out: dict[str, Writes] = {}
    for table, (ins, upd, dele) in after.items():
        b = before.get(table, (0, 0, 0))
        each = [int((now - then) / units + 0.5) for now, then in zip((ins, upd, dele), b, strict=True)]
        if any(each):
            out[table] = Writes(*each)
    return out


class Sampler:
    """Keeps one row of every table of ``schemas`` as the service wrote it, looking while the service
    runs: rows that live only briefly (an outbox row until its relay publishes it) are caught too."""

    def __init__(self, url: str, schemas: list[str]) -> None:
        self.url = _dsn(url)
        self.schemas = schemas
        self.rows: dict[str, asyncpg.Record] = {}

    async def run(self, stop: asyncio.Event) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            tables = [
                f"{r[0]}.{r[1]}"
                for r in await conn.fetch(
                    "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY($1::text[])",
                    self.schemas,
                )
            ]
            while True:
                for table in tables:
                    if table not in self.rows:
                        row = await conn.fetchrow(f"SELECT * FROM {table} LIMIT 1")
                        if row is not None:
                            self.rows[table] = row
                if stop.is_set() or len(self.rows) == len(tables):
                    return
                await asyncio.sleep(0.05)
        finally:
            await conn.close()


class RowReplay:
    """Writes ``profile``'s rows per unit into LIKE-copies of the tables, in schema ``anchor``."""

    def __init__(self, profile: dict[str, Writes], rows: dict[str, asyncpg.Record]) -> None:
        self.profile = profile
        self.rows = rows
        self._ids = itertools.count(10**12)
        self._statements: dict[str, tuple[str, list[str], list[str], list[str]]] = {}

    @staticmethod
    def _copy(table: str) -> str:
        return "anchor." + table.replace(".", "_")

    async def prepare(self, url: str) -> None:
        """Copy the tables' definitions (into the database at ``url``) and plan each statement."""
        conn = await asyncpg.connect(_dsn(url))
        try:
            await conn.execute("CREATE SCHEMA IF NOT EXISTS anchor")
            missing = [t for t in self.profile if t not in self.rows]
            if missing:
                raise SystemExit(f"no row of {', '.join(missing)} was seen while the service ran")
            for table in self.profile:
                copy = self._copy(table)
                await conn.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
                keys = await conn.fetch(
                    """SELECT DISTINCT a.attname FROM pg_index i
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                       WHERE i.indrelid = $1::regclass AND i.indisunique""",
                    copy,
                )
                row = self.rows[table]
                columns = list(row.keys())
                key_columns = [k["attname"] for k in keys]
                other = [c for c in columns if c not in key_columns]
                self._statements[table] = (copy, columns, key_columns, other)
        finally:
            await conn.close()

    def _fresh(self, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return next(self._ids)
        if isinstance(value, bytes):
            return uuid.uuid4().bytes
        return uuid.uuid4().hex[: max(8, min(36, len(str(value))))]

    async def units(self, pool: asyncpg.Pool, count: int) -> None:
        """``count`` units of work together, as a group commit writes them: per schema one
        transaction, per table one multi-row statement for each kind of write."""
        by_schema: dict[str, list[str]] = {}
        for table in self.profile:
            by_schema.setdefault(table.split(".")[0], []).append(table)
        for tables in by_schema.values():
            async with pool.acquire() as conn, conn.transaction():
                for table in tables:
                    await self._write(conn, table, self.profile[table], count)

    async def _write(self, conn: asyncpg.Connection, table: str, writes: Writes, count: int) -> None:
        copy, columns, keys, other = self._statements[table]
        row = self.rows[table]
        # Updates and deletes touch rows these units inserted (as the measured use cases do: an order
        # created then paid, an outbox row written then removed once published).
        inserted = [
            [self._fresh(row[c]) if c in keys else row[c] for c in columns]
            for _ in range(writes.inserts * count)
        ]
        placeholders = ", ".join(f"${i + 1}" for i in range(len(columns)))
        if inserted:
            await conn.executemany(
                f"INSERT INTO {copy} ({', '.join(columns)}) VALUES ({placeholders})", inserted
            )
        where = " AND ".join(f"{k} = ${i + 1}" for i, k in enumerate(keys))

        def key(values: list[Any]) -> list[Any]:
            return [values[columns.index(k)] for k in keys]

        per_unit = max(1, writes.inserts)
        updated = [v for n, v in enumerate(inserted) if n % per_unit < writes.updates]
        if updated and other:  # rewrite one column with its own value: a real row update, indexes included
            column = other[-1]
            await conn.executemany(
                f"UPDATE {copy} SET {column} = ${len(keys) + 1} WHERE {where}",
                [[*key(v), v[columns.index(column)]] for v in updated],
            )
        deleted = [v for n, v in enumerate(inserted) if n % per_unit < writes.deletes]
        if deleted:
            await conn.executemany(f"DELETE FROM {copy} WHERE {where}", [key(v) for v in deleted])


async def replay(url: str, replay: RowReplay, units: int, group: int, connections: int) -> None:
    """``units`` units of work in groups of ``group``, on ``connections`` connections at once."""
    pool = await asyncpg.create_pool(_dsn(url), min_size=connections, max_size=connections)
    groups = iter([min(group, units - start) for start in range(0, units, group)])

    async def worker() -> None:
        for size in groups:
            await replay.units(pool, size)

    try:
        await asyncio.gather(*(worker() for _ in range(connections)))
    finally:
        await pool.close()
