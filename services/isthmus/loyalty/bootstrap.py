"""Wiring of the loyalty component: programme, servicer, outbox relay, event consumers, expiry job."""

from __future__ import annotations

import grpc
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.loyalty import api, consumers, jobs, programme
from isthmus.platform import events
from isthmus.platform.component import Component, Runtime, Stop
from isthmus.platform.config import ConfigError
from isthmus.platform.db import session_factory
from isthmus.platform.migrations import Stream

SERVICE = "isthmus.loyalty.v1.LoyaltyService"
MIGRATIONS = Stream("isthmus.loyalty:migrations", "alembic_version")


async def record(session: AsyncSession, message: Message, aggregate_id: str, causation_id: str = "") -> None:
    await events.record_event(session, message, aggregate_id=aggregate_id, causation_id=causation_id or None)


def expiry_interval(extra: dict[str, str]) -> float:
    raw = extra.get("ISTHMUS_LOYALTY_EXPIRY_INTERVAL_SECONDS", "").strip()
    try:
        seconds = float(raw) if raw else 3600.0
    except ValueError:
        seconds = -1
    if seconds <= 0:
        raise ConfigError(f"ISTHMUS_LOYALTY_EXPIRY_INTERVAL_SECONDS must be a positive number, not {raw!r}")
    return seconds


CONSUMES = (("points", consumers.ORDER_EVENTS), ("customers", consumers.CUSTOMER_EVENTS))


async def start(server: grpc.aio.Server, runtime: Runtime) -> Stop | None:
    rules = programme.load(runtime.settings.extra)
    interval = expiry_interval(dict(runtime.settings.extra))
    engine = runtime.engine("loyalty")
    sessions = session_factory(engine)
    api.add_to_server(api.LoyaltyServicer(sessions, rules, runtime.clock, record), server)
    if runtime.bus is not None:
        on_orders, on_customers, prepare_orders, prepare_customers = consumers.event_handlers(
            rules, runtime.clock, record
        )
        runtime.bus.add_relay("loyalty", engine)
        steps = ((on_orders, prepare_orders), (on_customers, prepare_customers))
        for (purpose, keys), (handler, prepare) in zip(CONSUMES, steps, strict=True):
            subscription = events.Subscription(purpose, keys, handler, prepare=prepare)
            runtime.bus.subscribe("loyalty", engine, subscription)
    return jobs.schedule(sessions, rules, runtime.clock, record, interval)


def component() -> Component:
    return Component("loyalty", "loyalty", (SERVICE,), (events.MIGRATIONS, MIGRATIONS), start, CONSUMES)
