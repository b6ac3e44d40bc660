"""The runtime's tables on PostgreSQL and SQLite: migrations match the metadata; state, dead letters, runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from isthmus.connectors.bootstrap import MIGRATIONS
from isthmus.connectors.sdk import StreamState
from isthmus.connectors.state import DeadLetter, SqlIdMap, SqlStateStore, SyncRun, metadata
from isthmus.platform import config, db
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
