"""The event backbone's migrations build exactly the outbox, inbox and dead-letter tables it declares."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from isthmus.kernel.ids import is_uuid
from isthmus.platform import config, db
from isthmus.platform.events import MIGRATIONS
from isthmus.platform.events.tables import dead_letters, metadata, name_dead_letters
from isthmus.platform.migrations import drift, upgrade


def _check(settings: config.Settings) -> None:
    schema = f"events_{uuid.uuid4().hex[:8]}"
    upgrade(settings, schema, [MIGRATIONS], "events_0001")
    upgrade(settings, schema, [MIGRATIONS])  # step by step, as an existing install upgrades
    assert drift(settings, schema, metadata) == []


@pytest.mark.postgres
def test_event_migrations_match_the_tables_on_postgresql(pg_url):
    _check(config.load({"ISTHMUS_DATABASE_URL": pg_url}))


def test_event_migrations_match_the_tables_on_sqlite(tmp_path):
    _check(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)}))


def _letter(n: int) -> dict[str, object]:
    return {
        "consumer": "isthmus.loyalty.points",
        "event_id": str(uuid.uuid4()),
        "routing_key": "orders.OrderPaid",
        "body": b"x",
        "reason": f"handler failed {n} times",
        "attempts": n,
        "dead_at": datetime.now(UTC),
    }


@pytest.fixture(params=["postgres", "sqlite"])
def settings(request: pytest.FixtureRequest, tmp_path) -> config.Settings:  # type: ignore[no-untyped-def]
    if request.param == "postgres":
        return config.load({"ISTHMUS_DATABASE_URL": request.getfixturevalue("pg_url")})
    return config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})


async def test_dead_letters_stored_before_ids_were_minted_are_named_oldest_first(settings) -> None:
    # Stored by a release that named letters by their row id: the migration mints a UUIDv7 for each,
    # in row order; one the previous release stores during the rolling upgrade is named when listed.
    schema = f"events_{uuid.uuid4().hex[:8]}"
    upgrade(settings, schema, [MIGRATIONS], "events_0004")
    engine = db.sync_engine(settings, schema)
    try:
        with engine.begin() as conn:
            for n in (1, 2, 3):
                conn.execute(dead_letters.insert().values(**_letter(n)))
    finally:
        engine.dispose()
    upgrade(settings, schema, [MIGRATIONS])
    assert drift(settings, schema, metadata) == []

    aengine = db.async_engine(settings, schema)
    try:
        async with aengine.begin() as conn:
            await conn.execute(dead_letters.insert().values(**_letter(4)))  # the previous release
            await name_dead_letters(conn)
            rows = (await conn.execute(select(dead_letters).order_by(dead_letters.c.id))).all()
    finally:
        await aengine.dispose()
    ids = [r.dead_letter_id for r in rows]
    assert [r.attempts for r in rows] == [1, 2, 3, 4]
    assert all(is_uuid(i) for i in ids) and len(set(ids)) == 4
    assert ids == sorted(ids)  # UUIDv7: minted in row order, so they sort as the rows do
