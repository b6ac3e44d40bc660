"""The connector runtime against a running hub: configuration refusals stop a sync, dead letters replay.

A hub that refuses a connector for a configuration or authorization reason (an unconfigured source
system, a wrong token) refuses every record alike: the sync must stop with an error naming the
setting, keep its position and dead-letter nothing, so that once the setting is fixed the same
records are read again. A record refused for its own data is dead-lettered; a replay (or a later sync
that delivers the record) resolves it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import grpc
import pytest
from cli_in_loop import run_cli
from free_ports import free_port
from isthmus_connector_ecommerce.simulator import ShopSimulator
from isthmus_connector_template.simulator import TemplateSource

from isthmus.connectors.bootstrap import MIGRATIONS
from isthmus.connectors.engine import Syncer
from isthmus.connectors.hub import GrpcHub, HubRefused
from isthmus.connectors.idmap import SqlIdMap
from isthmus.connectors.locks import instance_locks
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.connectors.runtime import ConnectorRuntime, Instance
from isthmus.connectors.sdk import StreamState
from isthmus.connectors.state import SqlStateStore
from isthmus.platform import config, db, hub
from isthmus.platform.migrations import upgrade
from isthmus_client.api.connectors.v1 import connectors_pb2 as api
from isthmus_client.api.connectors.v1 import connectors_pb2_grpc
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc, records_pb2
from isthmus_client.api.orders.v1 import orders_pb2, orders_pb2_grpc
from isthmus_client.errors import UNKNOWN_SOURCE_SYSTEM, error_info, field_violations

pytestmark = pytest.mark.postgres

CLIENTS = {"shop-connector": {"token": "shop-connector-token-0123", "scopes": ["customers:write"]}}


def hub_settings(pg_url: str, **extra: str) -> config.Settings:
    base = {
        "ISTHMUS_DATABASE_URL": pg_url,
        "ISTHMUS_GRPC_PORT": "0",
        "ISTHMUS_METRICS_PORT": "0",
        "ISTHMUS_AUTH_DISABLED": "true",
    }
    return config.load({**base, **extra})


def local_runtime(
    settings: config.Settings, channel: grpc.aio.Channel, instances: list[Instance], token: str | None = None
) -> ConnectorRuntime:
    """A connector runtime of its own (as ``isthmus connectors sync`` builds), delivering to the hub."""
    upgrade(settings, "connectors", [MIGRATIONS])
    engine = db.async_engine(settings, "connectors")
    plugins = get_plugin_manager({})
    syncer = Syncer(SqlStateStore(engine), GrpcHub(channel, SqlIdMap(engine), token=token), plugins)
    return ConnectorRuntime(instances, plugins, syncer, instance_locks(engine))


async def test_an_unconfigured_source_system_stops_the_sync_and_keeps_the_position(
    pg_url: str, tmp_path: Path
) -> None:
    source = TemplateSource(tmp_path, count=5)
    name = f"newsletter-{uuid.uuid4().hex[:8]}"
    inst = Instance(name, "template", {**source.config(), "source_system": "newsletter"}, 3600)
    refused = hub_settings(pg_url)  # the default source systems: erp, webshop, callcenter
    async with hub.running(refused, ["customers"]) as h, h.channel() as channel:
        connectors = local_runtime(refused, channel, [inst])
        try:
            with pytest.raises(HubRefused) as caught:
                await connectors.sync(name, progress=False)
            store = connectors.syncer.store
            assert "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS" in str(caught.value)
            assert "newsletter" in str(caught.value)
            assert caught.value.setting == "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS"
            assert await store.get_state(name, "customers") == StreamState()
            assert await store.dead_letters(name) == []
            [run] = await store.runs(name)
            assert run.status == "failed"
            assert run.error is not None and "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS" in run.error
        finally:
            connectors.close()
        # A single call says the same in its google.rpc.ErrorInfo, for any client to branch on.
        master = customers_pb2_grpc.CustomerMasterServiceStub(channel)
        record = records_pb2.SourceRecord(source_system="newsletter", source_id="1")
        record.emails.add(address="leser@example.com")
        with pytest.raises(grpc.aio.AioRpcError) as call:
            await master.UpsertSourceRecord(customers_pb2.UpsertSourceRecordRequest(record=record))
        assert call.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(call.value) == (
            UNKNOWN_SOURCE_SYSTEM,
            {"setting": "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS", "source_system": "newsletter"},
        )
        assert field_violations(call.value)[0][0] == "record.source_system"

    # The operator adds the system; the next sync reads the same records again, from the start.
    fixed = hub_settings(pg_url, ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS="erp,webshop,callcenter,newsletter")
    async with hub.running(fixed, ["customers"]) as h, h.channel() as channel:
        connectors = local_runtime(fixed, channel, [inst])
        try:
            [result] = await connectors.sync(name, progress=False)
            assert (result.read, result.accepted, result.rejected) == (5, 5, 0)
            assert (await connectors.syncer.store.get_state(name, "customers")).cursor
        finally:
            connectors.close()


async def test_a_refused_token_stops_the_sync_naming_the_token_setting(pg_url: str, tmp_path: Path) -> None:
    source = TemplateSource(tmp_path, count=3)
    name = f"shop-{uuid.uuid4().hex[:8]}"
    inst = Instance(name, "template", {**source.config(), "source_system": "webshop"}, 3600)
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_url,
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
            "ISTHMUS_AUTH_TOKENS": json.dumps(CLIENTS),
        }
    )
    async with hub.running(settings, ["customers"]) as h, h.channel() as channel:
        for token in ("not-the-token-at-all-0000", None):
            connectors = local_runtime(settings, channel, [inst], token=token)
            try:
                with pytest.raises(HubRefused) as caught:
                    await connectors.sync(name, progress=False)
                assert "ISTHMUS_CONNECTORS_HUB_TOKEN" in str(caught.value)
                assert "UNAUTHENTICATED" in str(caught.value)
                assert await connectors.syncer.store.get_state(name, "customers") == StreamState()
                assert await connectors.syncer.store.dead_letters(name) == []
            finally:
                connectors.close()


async def eventually(probe: Any, seconds: float = 30) -> Any:
    async with asyncio.timeout(seconds):
        while not (found := await probe()):  # noqa: ASYNC110 (waits for the component's own sync)
            await asyncio.sleep(0.05)
    return found


async def test_dead_letters_replay_and_resolve_through_the_connector_service(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shop = ShopSimulator(tmp_path, seed=0, rate_limit_every=0)
    nameless = shop.put("customers", {"first_name": "", "last_name": "", "email": ""})
    order = shop.add_order(nameless["id"], [("SKU-1", "Mug", 2, "12.50")])
    instances = tmp_path / "connectors.json"
    instances.write_text(
        json.dumps(
            {
                "instances": [
                    {
                        "name": "shop",
                        "connector": "ecommerce",
                        "config": shop.config(),
                        "schedule_seconds": 3600,
                    }
                ]
            }
        )
    )
    port = str(free_port())  # the connectors component calls the APIs on its own port
    settings_env = {"ISTHMUS_CONNECTORS_FILE": str(instances), "ISTHMUS_GRPC_PORT": port}
    settings = hub_settings(pg_database, **settings_env)
    settings_env.update(ISTHMUS_DATABASE_URL=pg_database, ISTHMUS_LOG_FORMAT="text")
    try:
        async with (
            hub.running(settings, ["customers", "orders", "connectors"]) as h,
            h.channel() as channel,
        ):
            service = connectors_pb2_grpc.ConnectorServiceStub(channel)
            listing = api.ListConnectorDeadLettersRequest(instance="shop")

            async def two_letters() -> list[api.ConnectorDeadLetter]:
                letters = (await service.ListConnectorDeadLetters(listing)).connector_dead_letters
                return list(letters) if len(letters) == 2 else []

            # The component syncs on start: the nameless customer is refused for its data, and its
            # order because the customer master does not know the customer.
            customer_letter, order_letter = sorted(await eventually(two_letters), key=lambda x: x.stream)

            async def replayed_when_free() -> api.ReplayConnectorDeadLettersResponse | None:
                # ABORTED while the start-up sync still holds the instance: try again, as documented.
                try:
                    return await service.ReplayConnectorDeadLetters(
                        api.ReplayConnectorDeadLettersRequest(instance="shop", all=True)
                    )
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.ABORTED, exc
                    return None

            assert (customer_letter.stream, order_letter.stream) == ("customers", "orders")
            assert "not known to the customer master" in order_letter.reason

            # Replayed while nothing changed: both refused again, with their reasons, and still listed.
            again = await eventually(replayed_when_free, seconds=150)
            assert again.resolved_count == 0
            assert sorted((x.dead_letter_id, x.replay_count) for x in again.refused) == sorted(
                [(customer_letter.dead_letter_id, 1), (order_letter.dead_letter_id, 1)]
            )
            assert len((await service.ListConnectorDeadLetters(listing)).connector_dead_letters) == 2

            # From the command line, the same: listed, replayed, still refused (exit 1).
            for name, value in settings_env.items():
                monkeypatch.setenv(name, value)
            assert await run_cli(["connectors", "dlq", "list", "shop"]) == 0
            listed = capsys.readouterr().out
            assert f"{customer_letter.dead_letter_id} customers" in listed
            assert f"{order_letter.dead_letter_id} orders" in listed
            assert await run_cli(["connectors", "dlq", "replay", "shop", "--all"]) == 1
            assert "0 resolved, 2 still refused" in capsys.readouterr().out

            # The shop fixes the customer; the next sync delivers it and resolves its letter.
            shop.put("customers", {"id": nameless["id"], "first_name": "Nina", "last_name": "Nachtrag",
                                   "email": "nina@nachtrag.example"})  # fmt: skip
            assert await run_cli(["connectors", "sync", "shop", "--stream", "customers"]) == 0
            [open_letter] = (await service.ListConnectorDeadLetters(listing)).connector_dead_letters
            assert open_letter.dead_letter_id == order_letter.dead_letter_id

            # Now the order's customer is known: the replay by its id delivers it and resolves it.
            replayed = await service.ReplayConnectorDeadLetters(
                api.ReplayConnectorDeadLettersRequest(
                    instance="shop", dead_letter_ids=[order_letter.dead_letter_id]
                )
            )
            assert (replayed.resolved_count, list(replayed.refused)) == (1, [])
            assert list((await service.ListConnectorDeadLetters(listing)).connector_dead_letters) == []
            [inst] = (
                await service.ListConnectorInstances(api.ListConnectorInstancesRequest())
            ).connector_instances
            assert inst.dead_letter_count == 0
            everything = await service.ListConnectorDeadLetters(
                api.ListConnectorDeadLettersRequest(instance="shop", show_resolved=True)
            )
            assert {(x.stream, x.resolution) for x in everything.connector_dead_letters} == {
                ("customers", "delivered by a later sync"),
                ("orders", "replayed"),
            }
            assert all(x.HasField("resolve_time") for x in everything.connector_dead_letters)

            orders = orders_pb2_grpc.OrderServiceStub(channel)
            found = (
                await orders.GetOrderByExternalId(
                    orders_pb2.GetOrderByExternalIdRequest(
                        source_system="webshop", external_order_id=str(order["id"])
                    )
                )
            ).order
            assert found.external_order_id == str(order["id"])

            # Bad requests name the field; nothing left to replay is not an error.
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await service.ReplayConnectorDeadLetters(
                    api.ReplayConnectorDeadLettersRequest(instance="shop")
                )
            assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            nothing = await service.ReplayConnectorDeadLetters(
                api.ReplayConnectorDeadLettersRequest(instance="shop", all=True)
            )
            assert (nothing.resolved_count, list(nothing.refused)) == (0, [])
    finally:
        shop.close()
