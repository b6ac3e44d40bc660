"""Instance locks: two replicas of the connectors component (or a replica and ``isthmus connectors
sync``) never sync one instance at the same time. On PostgreSQL a session advisory lock, which the
server releases by itself when the holder's connection dies; embedded, an in-process lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import AsyncIterator
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("isthmus.connectors")


class InstanceLocks(Protocol):
    def hold(self, instance: str) -> contextlib.AbstractAsyncContextManager[bool]:
        """Take the instance's lock if it is free: yields True while held, False if another holds it."""
        ...


class LocalLocks:
    """Within one process (embedded SQLite, tests): the instance's sync runs once at a time."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def hold(self, instance: str) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(instance, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True


# First key of the two-part advisory lock: "connector instance" (the second is the name's CRC-32).
_LOCK_SPACE = 0x69737468  # "isth"


def _signed32(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


class AdvisoryLocks:
    """Across processes on PostgreSQL: a session advisory lock per instance, on a connection held
    (outside any transaction) for as long as the sync runs. Names that share a CRC-32 share a lock,
    which only serialises them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @contextlib.asynccontextmanager
    async def hold(self, instance: str) -> AsyncIterator[bool]:
        params = {"space": _signed32(_LOCK_SPACE), "key": _signed32(zlib.crc32(instance.encode()))}
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            taken = (await conn.execute(text("SELECT pg_try_advisory_lock(:space, :key)"), params)).scalar()
            try:
                yield bool(taken)
            finally:
                if taken:
                    try:
                        await conn.execute(text("SELECT pg_advisory_unlock(:space, :key)"), params)
                    except DBAPIError:
                        # The connection is gone, and the server dropped the lock with it.
                        log.warning("could not release the lock of %s; its connection was lost", instance)


def instance_locks(engine: AsyncEngine) -> InstanceLocks:
    return AdvisoryLocks(engine) if engine.dialect.name == "postgresql" else LocalLocks()
