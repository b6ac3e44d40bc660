"""Wiring of the customers component: settings, transactions, servicer, outbox relay."""

from __future__ import annotations

import grpc
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.connectors.plugins import get_plugin_manager
from isthmus.customers.api import CustomerMaster
from isthmus.customers.deps import Deps, comparator_registry, settings_from_env
from isthmus.customers.tables import view360_tables
from isthmus.customers.view360 import ROUTING_KEYS, Projection
from isthmus.platform.component import Component, Runtime
from isthmus.platform.db import session_factory
from isthmus.platform.events import MIGRATIONS as EVENT_MIGRATIONS
from isthmus.platform.events import Subscription, record_event
from isthmus.platform.migrations import Stream
from isthmus_client.api.customers.v1 import customers_pb2_grpc

SCHEMA = "customers"
MIGRATIONS = Stream("isthmus.customers:migrations", "alembic_version")


async def _emit(session: AsyncSession, message: Message, aggregate_id: str) -> None:
    await record_event(session, message, aggregate_id=aggregate_id)


CONSUMES = (("customer360", ROUTING_KEYS),)


def component() -> Component:
    async def start(server: grpc.aio.Server, runtime: Runtime) -> None:
        settings = settings_from_env(runtime.settings.extra)
        engine = runtime.engine(SCHEMA)
        plugins = get_plugin_manager(runtime.settings.extra).match_comparators()
        registry = comparator_registry(settings.match.weights, plugins)
        deps = Deps(settings, session_factory(engine), runtime.clock, emit=_emit, registry=registry)
        customers_pb2_grpc.add_CustomerMasterServiceServicer_to_server(CustomerMaster(deps), server)
        runtime.bus.add_relay("customers", engine)
        projection = Projection(view360_tables)
        runtime.bus.subscribe("customers", engine, Subscription(*CONSUMES[0], projection.handle))

    return Component(
        "customers",
        SCHEMA,
        ("isthmus.customers.v1.CustomerMasterService",),
        (EVENT_MIGRATIONS, MIGRATIONS),
        start,
        CONSUMES,
    )
