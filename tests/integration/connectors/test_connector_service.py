"""``ConnectorService`` over the runtime's own tables (PostgreSQL and SQLite)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from isthmus.connectors.api import Connectors
from isthmus.connectors.bootstrap import MIGRATIONS
from isthmus.connectors.runtime import Instance
from isthmus.connectors.sdk import Pushed, StreamState
from isthmus.connectors.state import DeadLetter, SqlStateStore, SyncRun
from isthmus.kernel.errors import InvalidArgument, NotFound
from isthmus.kernel.ids import is_uuid
from isthmus.platform import config, db
from isthmus.platform.migrations import upgrade
from isthmus_client.api.connectors.v1 import connectors_pb2 as api

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["postgres", "sqlite"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> config.Settings:
    if request.param == "postgres":
        return config.load({"ISTHMUS_DATABASE_URL": request.getfixturevalue("pg_url")})
    return config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})


async def test_pushes_waiting_per_stream_and_a_stream_never_synced_is_due_now(
    settings: config.Settings,
) -> None:
    upgrade(settings, "connectors", [MIGRATIONS])
    engine = db.async_engine(settings, "connectors")
    name = f"shop-{datetime.now(UTC).timestamp()}"
    try:
        store = SqlStateStore(engine, clock=lambda: NOW)
        started = NOW - timedelta(minutes=10)
        await store.save_run(SyncRun(name, "customers", started, started, "succeeded", 1, 1, 0))
        await store.push(name, [Pushed("orders", {"id": 1}, "d1"), Pushed("orders", {"id": 2}, "d2")])
        await store.push(name, [Pushed("customers", {"id": 1}, "d3")])
        positions, _ = await store.pending_pushes(name, "customers")
        await store.pushes_read(name, positions)
        instances = [Instance(name, "ecommerce", {}, schedule_seconds=3600)]
        service = Connectors(instances, lambda _: ["customers", "orders"], engine, clock=lambda: NOW)
        [inst] = (
            await service.ListConnectorInstances(api.ListConnectorInstancesRequest(), None)
        ).connector_instances
        assert {s.stream: s.pending_push_count for s in inst.streams} == {"customers": 0, "orders": 2}
        # Orders never synced: the instance is due now, though customers synced ten minutes ago.
        assert inst.next_run_time.ToDatetime(tzinfo=UTC) == NOW
    finally:
        await engine.dispose()


async def test_instances_show_position_last_run_next_run_and_dead_letters(settings: config.Settings) -> None:
    upgrade(settings, "connectors", [MIGRATIONS])
    engine = db.async_engine(settings, "connectors")
    name = f"erp-{datetime.now(UTC).timestamp()}"
    try:
        store = SqlStateStore(engine, clock=lambda: NOW)
        letters = [DeadLetter("customers", str(k), {"id": k}, f"row {k}: no name") for k in (3, 4, 5)]
        await store.checkpoint(name, "customers", StreamState("2026-02-28", "17"), letters)
        started = NOW - timedelta(minutes=10)
        await store.save_run(
            SyncRun(name, "customers", started - timedelta(hours=1), started, "succeeded", 1, 1, 0)
        )
        await store.save_run(
            SyncRun(name, "customers", started, started + timedelta(seconds=42), "succeeded", 20, 17, 3)
        )
        await store.save_run(
            SyncRun(name, "orders", started, started + timedelta(seconds=1), "failed", 0, 0, 0, "ERP down")
        )
        instances = [Instance(name, "erp", {}, schedule_seconds=3600)]
        service = Connectors(instances, lambda _: ["customers", "orders"], engine, clock=lambda: NOW)

        [inst] = (
            await service.ListConnectorInstances(api.ListConnectorInstancesRequest(), None)
        ).connector_instances
        assert (inst.name, inst.connector, inst.schedule.seconds, inst.dead_letter_count) == (
            name,
            "erp",
            3600,
            3,
        )
        assert inst.next_run_time.ToDatetime(tzinfo=UTC) == started + timedelta(hours=1)
        customers, orders = inst.streams
        assert (customers.stream, customers.cursor, customers.tie_breaker) == (
            "customers",
            "2026-02-28",
            "17",
        )
        run = customers.last_run  # the latest, not the first
        assert (run.records_read, run.records_accepted, run.records_dead_lettered, run.duration.seconds) == (
            20,
            17,
            3,
            42,
        )
        assert run.state == api.SYNC_RUN_STATE_SUCCEEDED
        assert (orders.last_run.state, orders.last_run.error, orders.cursor) == (
            api.SYNC_RUN_STATE_FAILED,
            "ERP down",
            "",
        )

        first = await service.ListConnectorDeadLetters(
            api.ListConnectorDeadLettersRequest(instance=name, page_size=2), None
        )
        rest = await service.ListConnectorDeadLetters(
            api.ListConnectorDeadLettersRequest(instance=name, page_size=2, page_token=first.next_page_token),
            None,
        )
        keys = [d.record_key for d in [*first.connector_dead_letters, *rest.connector_dead_letters]]
        assert keys == ["3", "4", "5"] and not rest.next_page_token
        assert json.loads(first.connector_dead_letters[0].record_json) == {"id": 3}

        ids = [d.dead_letter_id for d in first.connector_dead_letters]
        assert all(is_uuid(i) for i in ids) and ids[0] < ids[1]
        gone = await service.DiscardConnectorDeadLetters(
            api.DiscardConnectorDeadLettersRequest(instance=name, dead_letter_ids=ids), None
        )
        assert gone.discarded_count == 2
        [left] = (
            await service.ListConnectorDeadLetters(api.ListConnectorDeadLettersRequest(instance=name), None)
        ).connector_dead_letters
        assert left.record_key == "5"

        with pytest.raises(NotFound, match="no connector instance named 'shop'"):
            await service.ListConnectorDeadLetters(api.ListConnectorDeadLettersRequest(instance="shop"), None)
        with pytest.raises(InvalidArgument) as bad:
            await service.DiscardConnectorDeadLetters(
                api.DiscardConnectorDeadLettersRequest(instance=name), None
            )
        assert [f for f, _ in bad.value.violations] == ["dead_letter_ids"]
        with pytest.raises(InvalidArgument) as bad:
            await service.DiscardConnectorDeadLetters(
                api.DiscardConnectorDeadLettersRequest(
                    instance=name, dead_letter_ids=[left.dead_letter_id, "5"]
                ),
                None,
            )
        assert [f for f, _ in bad.value.violations] == ["dead_letter_ids[1]"]
    finally:
        await engine.dispose()
