"""Client CPU of one write transaction through SQLAlchemy's asyncio layer, psycopg 3 against asyncpg.

The transaction is the shape of a group-commit batch: a locking read of k rows, two multi-row INSERTs
and a multi-row UPDATE, in an ORM session, on a scratch database. What is measured is this process's
CPU (the service side of the work), not the server's.

    .venv/bin/python bench/db_drivers.py [--rounds 200]

Needs PostgreSQL (ISTHMUS_BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch import scratch_database

metadata = MetaData()
rows_table = Table(
    "rows",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(64)),
    Column("n", Integer),
    Column("at", DateTime(timezone=True)),
    Column("doc", LargeBinary),
)
log_table = Table(
    "log",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("ref", String(64)),
    Column("doc", LargeBinary),
)
READ = select(rows_table.c.doc).where(rows_table.c.id.in_(bindparam("ids", expanding=True))).with_for_update()
UPDATE = sql_update(rows_table).where(rows_table.c.id == bindparam("b_id")).values(n=bindparam("n"))


async def measure(url: str, driver: str, sizes: list[int], rounds: int) -> dict[int, float]:
    engine = create_async_engine(url.replace("postgresql://", f"postgresql+{driver}://", 1))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    now = datetime.now(UTC)
    doc = b"x" * 300

    async def transaction(k: int) -> None:
        ids = [str(uuid.uuid4()) for _ in range(k)]
        async with sessions() as session, session.begin():
            await session.execute(READ, {"ids": ids})
            await session.execute(
                insert(rows_table), [{"id": i, "name": "n", "n": 1, "at": now, "doc": doc} for i in ids]
            )
            await session.execute(insert(log_table), [{"id": i, "ref": i, "doc": doc} for i in ids])
            await session.execute(UPDATE, [{"b_id": i, "n": 2} for i in ids])

    per_transaction = {}
    for k in sizes:
        for _ in range(20):  # warm up: connections, prepared statements, caches
            await transaction(k)
        started = time.process_time()
        for _ in range(rounds):
            await transaction(k)
        per_transaction[k] = (time.process_time() - started) / rounds * 1000
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
    await engine.dispose()
    return per_transaction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    sizes = [1, 4, 16, 64]
    with scratch_database() as url:
        results = {d: asyncio.run(measure(url, d, sizes, args.rounds)) for d in ("psycopg", "asyncpg")}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("client CPU per transaction (locking read + 2 INSERTs + UPDATE of k rows), ms:")
    print("  k      " + "".join(f"{d:>10}" for d in results))
    for k in sizes:
        print(f"  {k:<6} " + "".join(f"{results[d][k]:10.2f}" for d in results))
    print(f"reproduce: .venv/bin/python bench/db_drivers.py --rounds {args.rounds}")


if __name__ == "__main__":
    main()
