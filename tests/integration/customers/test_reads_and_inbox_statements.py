"""Reads run outside a transaction (decision 29), writes inside one; ``insert_new`` inserts only the
rows whose key is free and says which it inserted (the consumers' inbox)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.customers.deps import Deps, settings_from_env
from isthmus.platform import config, hub
from isthmus.platform.config import Settings
from isthmus.platform.db import async_engine, read_session_factory, session_factory
from isthmus.platform.events.tables import inbox
from isthmus.platform.sql import insert_new
from isthmus_client.api.customers.v1 import customers_pb2 as api

from .helpers import person, upsert

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


@pytest.mark.postgres
async def test_a_lookup_by_source_id_reads_its_record_once_with_what_linked_it(master, uid: str) -> None:  # type: ignore[no-untyped-def]
    email = f"reads-{uid}@example.com"
    await upsert(master, person("erp", f"R1-{uid}", "Lotte", "Brinkmann", email=email))
    linked = await upsert(master, person("webshop", f"R2-{uid}", "Lotte", "Brinkmann", email=email))
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        looked = await master.GetCustomerBySourceId(
            api.GetCustomerBySourceIdRequest(source_system="webshop", source_id=f"R2-{uid}")
        )
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    assert looked.customer_id == linked.customer_id
    assert {c.comparator for c in looked.reference.comparisons} >= {"email_exact"}
    assert looked.reference.match_model
    by_key = [s for s in statements if "source_records" in s and "source_records.source_id =" in s]
    assert len(by_key) == 1, statements
