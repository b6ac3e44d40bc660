"""Wiring of the service-requests component: store, servicer, breach detector, event consumers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import grpc
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.platform import events
from isthmus.platform.component import Component, Runtime, Stop
from isthmus.platform.db import session_factory
from isthmus.platform.migrations import Stream
from isthmus.service_requests import consumers
from isthmus.service_requests import settings as sr_settings
from isthmus.service_requests.api import ServiceRequestServicer
from isthmus.service_requests.breaches import BreachDetector
from isthmus.service_requests.script_api import ScriptServicer
from isthmus.service_requests.store import UnitOfWorkFactory
from isthmus_client.api.service_requests.v1 import scripts_pb2_grpc, service_requests_pb2_grpc

NAME = "service-requests"
SCHEMA = "service_requests"
SERVICE = "isthmus.service_requests.v1.ServiceRequestService"
SCRIPTS = "isthmus.service_requests.v1.ScriptService"
MIGRATIONS = Stream("isthmus.service_requests:migrations", "alembic_version")


async def record(session: AsyncSession, message: Message, aggregate_id: str) -> None:
    await events.record_event(session, message, aggregate_id=aggregate_id)


def unit_of_work_factory(runtime: Runtime) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(session_factory(runtime.engine(SCHEMA)), record)


CONSUMES = (
    ("customers", consumers.ROUTING_KEYS),
    ("orders", consumers.ORDER_KEYS),
    ("value-tiers", consumers.TIER_KEYS),
    ("campaign-calls", consumers.CALL_KEYS),
)


def subscriptions(clock: Callable[[], datetime]) -> list[events.Subscription]:
    """What the component consumes; a batch of OrderPlaced is remembered together."""
    handle = consumers.handler(clock)
    return [
        events.Subscription(
            purpose, keys, handle, prepare=consumers.prepare_orders if keys == consumers.ORDER_KEYS else None
        )
        for purpose, keys in CONSUMES
    ]


async def start(server: grpc.aio.Server, runtime: Runtime) -> Stop:
    config = sr_settings.load(runtime.settings.extra)
    uows = unit_of_work_factory(runtime)
    servicer = ServiceRequestServicer(uows, config, runtime.clock)
    service_requests_pb2_grpc.add_ServiceRequestServiceServicer_to_server(servicer, server)
    scripts_pb2_grpc.add_ScriptServiceServicer_to_server(ScriptServicer(uows, config, runtime.clock), server)
    engine = runtime.engine(SCHEMA)
    bus: Any = runtime.bus
    if bus is not None:
        bus.add_relay(NAME, engine)
        for subscription in subscriptions(runtime.clock):
            bus.subscribe(NAME, engine, subscription)
    detector = BreachDetector(uows, runtime.clock, config.breach_scan_interval)
    detector.start()
    return detector.stop


def component() -> Component:
    return Component(NAME, SCHEMA, (SERVICE, SCRIPTS), (events.MIGRATIONS, MIGRATIONS), start, CONSUMES)
