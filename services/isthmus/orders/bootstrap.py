"""Wiring of the orders component: servicer, outbox relay and the consumers of customer events."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.orders import api, consumers
from isthmus.orders.handlers import Uow
from isthmus.platform import events
from isthmus.platform.component import Component, Runtime, Stop
from isthmus.platform.db import session_factory
from isthmus.platform.migrations import Stream
from isthmus_client.api.events.v1 import customers_pb2

SERVICE = "isthmus.orders.v1.OrderService"
MIGRATIONS = Stream("isthmus.orders:migrations", "alembic_version")
CUSTOMER_EVENTS = ("customers.CustomersMerged", "customers.CustomerUnmerged", "customers.CustomerErased")
CONSUMES = (("customers", CUSTOMER_EVENTS),)


async def record(session: AsyncSession, message: Message, aggregate_id: str) -> None:
    await events.record_event(session, message, aggregate_id=aggregate_id)


async def start(server: grpc.aio.Server, runtime: Runtime) -> Stop | None:
    engine = runtime.engine("orders")
    api.add_to_server(api.OrderServicer(session_factory(engine), runtime.clock, record), server)

    async def on_customer_event(session: AsyncSession, event: Any) -> None:
        uow, m = Uow(session, runtime.clock, record), event.payload
        if isinstance(m, customers_pb2.CustomersMerged):
            await consumers.customers_merged(m.surviving_id, list(m.merged_ids), m.merge_id, uow)
        elif isinstance(m, customers_pb2.CustomerUnmerged):
            merged_at = (
                m.merge_time.ToDatetime(tzinfo=runtime.clock().tzinfo) if m.HasField("merge_time") else None
            )
            await consumers.customer_unmerged(m.from_id, list(m.restored_ids), m.merge_id, merged_at, uow)
        elif isinstance(m, customers_pb2.CustomerErased):
            await consumers.customer_erased(m.customer_id, uow)

    if runtime.bus is not None:
        runtime.bus.add_relay("orders", engine)
        runtime.bus.subscribe("orders", engine, events.Subscription(*CONSUMES[0], on_customer_event))
    return None


def component() -> Component:
    return Component("orders", "orders", (SERVICE,), (events.MIGRATIONS, MIGRATIONS), start, CONSUMES)
