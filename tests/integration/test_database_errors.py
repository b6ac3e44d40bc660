"""The services' PostgreSQL connections: confined to their schema, planned per execution, and what they
make of a refusal by the server (a lost deadlock is a retry, never an INTERNAL error)."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from sqlalchemy import text

from isthmus.platform import config, db
from isthmus.platform.events.consumer import is_transient
from isthmus.platform.interceptors import classify

pytestmark = pytest.mark.postgres


async def test_a_lost_deadlock_is_aborted_for_clients_and_transient_for_consumers(pg_url: str) -> None:
    table = f"deadlock_{uuid.uuid4().hex[:8]}"
    engine = db.async_engine(config.load({"ISTHMUS_DATABASE_URL": pg_url}), "public")
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE TABLE {table} (id int PRIMARY KEY)"))
            await conn.execute(text(f"INSERT INTO {table} VALUES (1), (2)"))
        both_hold_one = asyncio.Barrier(2)

        async def lock(first: int, second: int) -> None:
            async with engine.begin() as conn:
                await conn.execute(text(f"SELECT id FROM {table} WHERE id = {first} FOR UPDATE"))
                await both_hold_one.wait()
                await conn.execute(text(f"SELECT id FROM {table} WHERE id = {second} FOR UPDATE"))

        outcomes = await asyncio.gather(lock(1, 2), lock(2, 1), return_exceptions=True)
        [lost] = [o for o in outcomes if isinstance(o, BaseException)]
        assert db.sqlstate(lost) == "40P01"
        code, _, _, reason = classify(lost)
        assert (code, reason) == (grpc.StatusCode.ABORTED, "CONCURRENT_WRITE")
        assert is_transient(lost)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await engine.dispose()


async def test_service_connections_see_their_schema_plan_each_execution_and_skip_jit(pg_url: str) -> None:
    # A plan cached while a table was empty (a sequential scan) must not outlive its growth.
    engine = db.async_engine(config.load({"ISTHMUS_DATABASE_URL": pg_url}), "orders")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SHOW search_path"))).scalar_one() == "orders"
            assert (await conn.execute(text("SHOW plan_cache_mode"))).scalar_one() == "force_custom_plan"
            assert (await conn.execute(text("SHOW jit"))).scalar_one() == "off"
    finally:
        await engine.dispose()
