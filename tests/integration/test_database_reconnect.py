"""After PostgreSQL drops every connection (a restart, a failover), one request fails as UNAVAILABLE
at most, and the next ones work: the pool is not pre-pinged, it is discarded on the first disconnect."""

from __future__ import annotations

import asyncio

import grpc
import psycopg
from sqlalchemy import text

from isthmus.platform import config, db
from isthmus.platform.interceptors import classify


def _terminate(url: str, pids: set[int]) -> None:
    """Ends those server sessions, as a restart or failover would (other tests' sessions live on)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for pid in pids:
            assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


def test_pool_recovers_after_the_server_drops_its_connections(pg_url: str) -> None:
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_url, "ISTHMUS_DB_POOL_SIZE": "4"})
    engine = db.async_engine(settings, "public")

    async def query() -> int:
        """The server process id of the pooled connection that answered."""
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await asyncio.sleep(0.05)  # hold it, so that concurrent queries take other connections
            return int(pid)

    async def scenario() -> list[grpc.StatusCode | None]:
        try:
            pooled = set(await asyncio.gather(*(query() for _ in range(4))))
            assert len(pooled) == 4
            _terminate(pg_url, pooled)
            outcomes: list[grpc.StatusCode | None] = []
            for _ in range(6):
                try:
                    assert await query() not in pooled
                    outcomes.append(None)
                except Exception as exc:
                    outcomes.append(classify(exc)[0])
            return outcomes
        finally:
            await engine.dispose()

    outcomes = asyncio.run(scenario())
    failures = [o for o in outcomes if o is not None]
    assert failures in ([], [grpc.StatusCode.UNAVAILABLE]), outcomes
    assert outcomes[-5:] == [None] * 5, outcomes
