"""The runtime's tables on PostgreSQL and SQLite: migrations match the metadata; state, dead letters, runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from isthmus.connectors.bootstrap import MIGRATIONS
from isthmus.connectors.idmap import SqlIdMap
from isthmus.connectors.sdk import StreamState
from isthmus.connectors.state import DeadLetter, SqlStateStore, SyncRun, dead_letters, metadata
from isthmus.kernel.ids import is_uuid, new_uuid
from isthmus.platform import config, db
from isthmus.platform.events.testing import Statements
from isthmus.platform.migrations import upgrade


@pytest.fixture(params=["postgres", "sqlite"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> config.Settings:
    if request.param == "postgres":
        pg_url = request.getfixturevalue("pg_url")
        return config.load({"ISTHMUS_DATABASE_URL": pg_url})
    return config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})


def test_migrations_produce_exactly_the_metadata(settings: config.Settings) -> None:
    upgrade(settings, "connectors", [MIGRATIONS])
    engine = db.sync_engine(settings, "connectors")
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            # The schema also holds the event outbox/inbox tables of another migration stream.
            diff = [d for d in compare_metadata(ctx, metadata) if d[0] != "remove_table"]
    finally:
        engine.dispose()
    assert diff == []


async def test_state_dead_letters_runs_and_ids_survive_a_new_store(settings: config.Settings) -> None:
    upgrade(settings, "connectors", [MIGRATIONS])
    engine = db.async_engine(settings, "connectors")
    instance = f"erp-{datetime.now(UTC).timestamp()}"
    try:
        store = SqlStateStore(engine)
        assert (await store.get_state(instance, "customers")).is_empty
        letter = DeadLetter("customers", "7", {"source_id": "7"}, "hub: INVALID_ARGUMENT")
        await store.checkpoint(
            instance, "customers", StreamState("2024-05-01T00:00:00+00:00", "7", {"p": 1}), [letter]
        )
        await store.checkpoint(instance, "customers", StreamState("2024-05-02T00:00:00+00:00", "9"), [])
        again = SqlStateStore(engine)
        assert await again.get_state(instance, "customers") == StreamState("2024-05-02T00:00:00+00:00", "9")
        (stored,) = await again.dead_letters(instance)
        assert (stored.record_key, stored.record, stored.reason) == ("7", {"source_id": "7"}, letter.reason)
        assert is_uuid(stored.dead_letter_id)
        assert await again.dead_letters(instance, ids=[stored.dead_letter_id]) == [stored]
        assert await again.dead_letters(instance, ids=[new_uuid()]) == []

        await again.set_state(instance, "orders", StreamState("x", "1"))
        await again.reset_state(instance, "customers")
        assert (await again.get_state(instance, "customers")).is_empty
        assert (await again.get_state(instance, "orders")).cursor == "x"

        now = datetime.now(UTC)
        await again.save_run(SyncRun(instance, "customers", now, now, "succeeded", 3, 2, 1))
        (run,) = await again.runs(instance)
        assert (run.status, run.records_accepted) == ("succeeded", 2)

        ids = SqlIdMap(engine)
        await ids.put(instance, "order", "SO-1", "ord_1")
        assert await SqlIdMap(engine).get(instance, "order", "SO-1") == "ord_1"
    finally:
        await engine.dispose()


async def test_letters_stored_before_ids_were_minted_are_named_oldest_first(
    settings: config.Settings,
) -> None:
    # Stored by a release that named letters by their row id: the migration mints a UUIDv7 for each,
    # in row order; one the previous release stores during the rolling upgrade is named when read.
    schema = f"connectors_{uuid.uuid4().hex[:8]}"
    upgrade(settings, schema, [MIGRATIONS], "0002")
    row = {"instance": "erp", "stream": "customers", "record": "{}", "reason": "no name"}
    sync = db.sync_engine(settings, schema)
    try:
        with sync.begin() as conn:
            for key in ("1", "2", "3"):
                conn.execute(
                    dead_letters.insert().values(record_key=key, created_at=datetime.now(UTC), **row)
                )
    finally:
        sync.dispose()
    upgrade(settings, schema, [MIGRATIONS])
    engine = db.async_engine(settings, schema)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                dead_letters.insert().values(record_key="4", created_at=datetime.now(UTC), **row)
            )
        letters = await SqlStateStore(engine).dead_letters("erp")
    finally:
        await engine.dispose()
    ids = [x.dead_letter_id for x in letters]
    assert [x.record_key for x in letters] == ["1", "2", "3", "4"]
    assert all(is_uuid(i) for i in ids) and len(set(ids)) == 4 and ids == sorted(ids)


async def test_letters_refused_again_are_written_with_one_statement_each_with_its_reason(
    settings: config.Settings,
) -> None:
    upgrade(settings, "connectors", [MIGRATIONS])
    engine = db.async_engine(settings, "connectors")
    instance = f"shop-{uuid.uuid4().hex[:8]}"
    try:
        store = SqlStateStore(engine)
        letters = [DeadLetter("orders", str(n), {"n": n}, "customer unknown") for n in range(5)]
        await store.checkpoint(instance, "orders", StreamState("c", "4"), letters)
        stored = {x.record_key: x for x in await store.dead_letters(instance)}
        refused = [(stored[k].dead_letter_id, f"still refused: {k}") for k in ("0", "1", "2")]
        with Statements(engine) as seen:
            await store.replayed(instance, [stored["3"].dead_letter_id], refused)
        assert len(seen.naming("dead_letters", "UPDATE")) == 2, seen.texts
        after = {x.record_key: x for x in await store.dead_letters(instance)}
        assert {k: (x.reason, x.replay_count) for k, x in after.items()} == {
            "0": ("still refused: 0", 1),
            "1": ("still refused: 1", 1),
            "2": ("still refused: 2", 1),
            "4": ("customer unknown", 0),
        }
    finally:
        await engine.dispose()


async def test_an_id_mapped_is_written_with_one_statement_new_or_changed(settings: config.Settings) -> None:
    upgrade(settings, "connectors", [MIGRATIONS])
    engine = db.async_engine(settings, "connectors")
    instance = f"erp-{uuid.uuid4().hex[:8]}"
    try:
        ids = SqlIdMap(engine)
        with Statements(engine) as seen:
            for n in range(3):
                await ids.put(instance, "order", f"SO-{n}", f"ord_{n}")
            await ids.put(instance, "order", "SO-0", "ord_0")  # known: nothing to write
        assert len(seen.naming("connector_hub_ids")) == 3, seen.texts
        again = SqlIdMap(engine)  # a new process: its cache empty
        with Statements(engine) as seen:
            await again.put(instance, "order", "SO-1", "ord_1")
            await again.put(instance, "order", "SO-2", "ord_2b")
        assert len(seen.naming("connector_hub_ids")) == 2, seen.texts
        fresh = SqlIdMap(engine)
        found = [await fresh.get(instance, "order", f"SO-{n}") for n in range(4)]
        assert found == ["ord_0", "ord_1", "ord_2b", None]
    finally:
        await engine.dispose()
