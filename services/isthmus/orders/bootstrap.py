"""Wiring of the orders component: servicer, outbox relay and the consumers of customer events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.timestamps import aware
from isthmus.orders import api, consumers, inputs, inventory
from isthmus.orders.handlers import Uow
from isthmus.orders.metrics import pending_metrics
from isthmus.platform import events
from isthmus.platform.component import Component, Runtime, Stop
from isthmus.platform.config import ConfigError, Settings
from isthmus.platform.db import session_factory
from isthmus.platform.migrations import Stream
from isthmus_client.api.events.v1 import customers_pb2, value_pb2

SERVICE = "isthmus.orders.v1.OrderService"
MIGRATIONS = Stream("isthmus.orders:migrations", "alembic_version")
CUSTOMER_EVENTS = (
    "customers.CustomerCreated",
    "customers.CustomerUpdated",  # names customers created before the orders knew about them
    "customers.CustomersMerged",
    "customers.CustomerUnmerged",
    "customers.CustomerErased",
)
# Backorders are filled best value tier first, and a tier's held stock goes to its customers.
TIER_EVENTS = ("value.CustomerTierChanged",)
CONSUMES = (("customers", CUSTOMER_EVENTS), ("tiers", TIER_EVENTS))
ANNOUNCED = "isthmus.orders.announced"  # a batch's consumers.Announced, in its session's info
PENDING_REFRESH_SECONDS = 30.0  # how often pending orders are checked and counted for the metric
log = logging.getLogger("isthmus.orders")


def source_systems(settings: Settings) -> frozenset[str]:
    """ISTHMUS_ORDERS_SOURCE_SYSTEMS, else the customer master's list, else the default systems."""
    for name in (inputs.SOURCE_SYSTEMS_SETTING, "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS"):
        raw = (settings.extra.get(name) or os.environ.get(name, "")).strip()
        if raw:
            systems = frozenset(s.strip() for s in raw.split(",") if s.strip())
            if not systems:
                raise ConfigError(f"{name}: name at least one source system")
            return systems
    return inputs.DEFAULT_SOURCE_SYSTEMS


async def record(session: AsyncSession, message: Message, aggregate_id: str) -> None:
    await events.record_event(session, message, aggregate_id=aggregate_id)


async def start(server: grpc.aio.Server, runtime: Runtime) -> Stop | None:
    engine = runtime.engine("orders")
    sessions = session_factory(engine)
    systems = source_systems(runtime.settings)
    api.add_to_server(api.OrderServicer(sessions, runtime.clock, record, systems), server)

    async def prepare_customers(session: AsyncSession, batch: Sequence[Any]) -> None:
        announced = [
            e.payload.customer.customer_id
            for e in batch
            if isinstance(e.payload, customers_pb2.CustomerCreated | customers_pb2.CustomerUpdated)
        ]
        if announced:
            uow = Uow(session, runtime.clock, record)
            session.sync_session.info[ANNOUNCED] = await consumers.announce(announced, uow)

    async def on_customer_event(session: AsyncSession, event: Any) -> None:
        uow, m = Uow(session, runtime.clock, record), event.payload
        if isinstance(m, customers_pb2.CustomerCreated | customers_pb2.CustomerUpdated):
            batch = session.sync_session.info.get(ANNOUNCED)
            await consumers.customer_announced(m.customer.customer_id, batch, uow)
        elif isinstance(m, customers_pb2.CustomersMerged):
            await consumers.customers_merged(m.surviving_id, list(m.merged_ids), m.merge_id, uow)
        elif isinstance(m, customers_pb2.CustomerUnmerged):
            merged_at = (
                m.merge_time.ToDatetime(tzinfo=runtime.clock().tzinfo) if m.HasField("merge_time") else None
            )
            await consumers.customers_known([m.from_id, *m.restored_ids], uow)
            await consumers.customer_unmerged(m.from_id, list(m.restored_ids), m.merge_id, merged_at, uow)
        elif isinstance(m, customers_pb2.CustomerErased):
            await consumers.customer_erased(m.customer_id, uow)

    if runtime.bus is not None:
        runtime.bus.add_relay("orders", engine)
        runtime.bus.subscribe(
            "orders",
            engine,
            events.Subscription(*CONSUMES[0], on_customer_event, prepare=prepare_customers),
        )

        async def on_tier_event(session: AsyncSession, event: Any) -> None:
            m = event.payload
            if isinstance(m, value_pb2.CustomerTierChanged) and m.to_tier:
                await Uow(session, runtime.clock, record).stock.set_tier(
                    m.customer_id, int(m.to_tier), runtime.clock()
                )

        runtime.bus.subscribe("orders", engine, events.Subscription(*CONSUMES[1], on_tier_event))

    async def follow_pending() -> None:
        metrics = pending_metrics()
        while True:
            try:
                async with sessions() as session, session.begin():
                    uow = Uow(session, runtime.clock, record)
                    await consumers.resolve_known(uow)
                    count, oldest = await uow.orders.pending_summary()
                async with sessions() as session, session.begin():
                    uow = Uow(session, runtime.clock, record)
                    await inventory.give_out_unserved(uow)
                    units, waiting_since = await uow.stock.backorder_summary()
                metrics.pending.set(count)
                age = (runtime.clock() - aware(oldest)).total_seconds() if oldest is not None else 0.0
                metrics.oldest_age.set(max(age, 0.0))
                metrics.backordered.set(units)
                wait = (runtime.clock() - aware(waiting_since)).total_seconds() if waiting_since else 0.0
                metrics.backordered_oldest_age.set(max(wait, 0.0))
            except Exception:  # the database may be away for a moment; the next round tries again
                log.warning("could not count the orders waiting for their customer", exc_info=True)
            await asyncio.sleep(PENDING_REFRESH_SECONDS)

    task = asyncio.create_task(follow_pending(), name="orders-pending-customers")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop


def component() -> Component:
    return Component("orders", "orders", (SERVICE,), (events.MIGRATIONS, MIGRATIONS), start, CONSUMES)
