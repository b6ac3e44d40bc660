"""Reads run outside a transaction (decision 29), writes inside one; ``insert_new`` inserts only the
rows whose key is free and says which it inserted (the consumers' inbox)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.customers.deps import Deps, settings_from_env
from isthmus.platform import config, hub
from isthmus.platform.config import Settings
from isthmus.platform.db import async_engine, read_session_factory, session_factory
from isthmus.platform.events.tables import inbox
from isthmus.platform.sql import insert_new

TXID = text("SELECT txid_current()")


async def test_reads_run_outside_a_transaction_and_writes_inside_one(pg_url: str) -> None:
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_url, "ISTHMUS_AUTH_DISABLED": "true"})
    await asyncio.to_thread(hub.migrate, settings, ["customers"])
    engine = async_engine(settings, "customers")
    try:
        deps = Deps(
            settings_from_env(settings.extra),
            session_factory(engine),
            lambda: datetime.now(UTC),
            reads=read_session_factory(engine),
        )
        async with deps.reading() as uow:
            first, second = await uow.session.scalar(TXID), await uow.session.scalar(TXID)
        assert first != second  # each statement a transaction of its own: no BEGIN ... COMMIT
        async with deps.transaction() as uow:
            first, second = await uow.session.scalar(TXID), await uow.session.scalar(TXID)
        assert first == second
    finally:
        await engine.dispose()


async def test_insert_new_inserts_the_free_keys_and_returns_them(
    backend: tuple[AsyncEngine, Settings], uid: str
) -> None:
    engine, _ = backend
    now = datetime.now(UTC)
    rows = [{"consumer": f"q-{uid}", "event_id": f"{uid}-{n}", "handled_at": now} for n in range(3)]
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        assert await insert_new(session, inbox, rows[:2], "event_id") == {f"{uid}-0", f"{uid}-1"}
    async with sessions() as session, session.begin():
        assert await insert_new(session, inbox, rows, "event_id") == {f"{uid}-2"}
        assert await insert_new(session, inbox, rows, "event_id") == set()
        assert await insert_new(session, inbox, [], "event_id") == set()
    async with sessions() as session:
        held = select(func.count()).select_from(inbox).where(inbox.c.consumer == f"q-{uid}")
        assert await session.scalar(held) == 3
