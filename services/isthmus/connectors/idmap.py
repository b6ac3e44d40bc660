"""The hub ids of what a connector runtime delivered, by the source's own id: an order's id for its
cancellation and returns, a case's for its interactions, a return's so it is applied once. Kept in
``connector_hub_ids`` (the table is with the runtime's others in ``state.py``), cached per process."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.connectors.state import hub_ids


class IdMap(Protocol):
    """Remembers the hub ids of what this runtime delivered (a case's id for its interactions)."""

    async def get(self, instance: str, kind: str, external_id: str) -> str | None: ...

    async def put(self, instance: str, kind: str, external_id: str, hub_id: str) -> None: ...


class MemoryIdMap:
    def __init__(self) -> None:
        self.ids: dict[tuple[str, str, str], str] = {}

    async def get(self, instance: str, kind: str, external_id: str) -> str | None:
        return self.ids.get((instance, kind, external_id))

    async def put(self, instance: str, kind: str, external_id: str, hub_id: str) -> None:
        self.ids[(instance, kind, external_id)] = hub_id


class SqlIdMap:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._cache: dict[tuple[str, str, str], str] = {}

    async def get(self, instance: str, kind: str, external_id: str) -> str | None:
        key = (instance, kind, external_id)
        if key not in self._cache:
            query = select(hub_ids.c.hub_id).where(
                hub_ids.c.instance == instance, hub_ids.c.kind == kind, hub_ids.c.external_id == external_id
            )
            async with self.engine.connect() as conn:
                found = (await conn.execute(query)).scalar()
            if found is None:
                return None
            self._cache[key] = found
        return self._cache[key]

    async def put(self, instance: str, kind: str, external_id: str, hub_id: str) -> None:
        key = (instance, kind, external_id)
        if self._cache.get(key) == hub_id:
            return
        # One statement, new or changed: a first sync's every record would otherwise be looked up,
        # updated and then inserted.
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(hub_ids).values(
            instance=instance, kind=kind, external_id=external_id, hub_id=hub_id
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=list(hub_ids.primary_key.columns),
            set_={"hub_id": stmt.excluded.hub_id},
            where=hub_ids.c.hub_id != stmt.excluded.hub_id,
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)
        self._cache[key] = hub_id
