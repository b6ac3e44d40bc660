"""The server starts the runtime's bus after the components registered on it, and stops it first."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.platform import db
from isthmus.platform.component import Component, Runtime
from isthmus.platform.config import Settings
from isthmus.platform.events import MIGRATIONS, Event, MemoryBus, Subscription, record_event
from isthmus.platform.events.testing import FAST
from isthmus.platform.migrations import upgrade
from isthmus.platform.server import Server
from isthmus_client.api.events.v1 import orders_pb2


async def test_component_wires_relay_and_subscription_and_the_server_runs_the_bus(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, grpc_port=0, metrics_port=0, auth_disabled=True)
    upgrade(settings, "wiring", [MIGRATIONS])
    seen: list[str] = []

    async def on_paid(_session: AsyncSession, event: Event) -> None:
        seen.append(event.aggregate_id)

    async def start(_server, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
        engine = runtime.engine("wiring")
        runtime.bus.add_relay("wiring", engine)
        runtime.bus.subscribe("wiring", engine, Subscription("self", ["orders.*"], on_paid))

    runtime = Runtime(settings, bus=MemoryBus(FAST))
    server = Server(settings, [Component("wiring", "wiring", (), (MIGRATIONS,), start)], runtime)
    await server.start()
    try:
        assert runtime.bus.started
        sessions = db.session_factory(runtime.engine("wiring"))
        async with sessions() as session, session.begin():
            await record_event(session, orders_pb2.OrderPaid(), aggregate_id="order-7")
        await runtime.bus.drain()
        assert seen == ["order-7"]
    finally:
        await server.stop()
    assert not runtime.bus.started
