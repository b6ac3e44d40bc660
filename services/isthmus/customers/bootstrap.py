"""Wiring of the customers component: settings, transactions, servicer, outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import grpc
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.connectors.plugins import get_plugin_manager
from isthmus.customers import models
from isthmus.customers.api import CustomerMaster
from isthmus.customers.deps import Deps, comparator_registry, settings_from_env
from isthmus.customers.tables import match_reviews, view360_tables
from isthmus.customers.view360 import ROUTING_KEYS, Projection
from isthmus.platform.component import Component, Runtime, Stop
from isthmus.platform.db import read_session_factory, session_factory
from isthmus.platform.events import MIGRATIONS as EVENT_MIGRATIONS
from isthmus.platform.events import Subscription, record_event
from isthmus.platform.migrations import Stream
from isthmus_client.api.customers.v1 import customers_pb2_grpc

SCHEMA = "customers"
MIGRATIONS = Stream("isthmus.customers:migrations", "alembic_version")


async def _emit(session: AsyncSession, message: Message, aggregate_id: str) -> None:
    await record_event(session, message, aggregate_id=aggregate_id)


CONSUMES = (("customer360", ROUTING_KEYS),)
MODEL_CHECK_SECONDS = 30.0  # how soon a model activated with `isthmus customers model activate` is used
log = logging.getLogger("isthmus.customers")


async def follow_model(deps: Deps, every: float = MODEL_CHECK_SECONDS) -> None:
    """Switches to the match model in force whenever an operator activates another (or rolls back)."""
    while True:
        await asyncio.sleep(every)
        try:
            async with deps.sessions() as session:
                version = await models.active_version(session)
                if version != deps.matcher.model.version:
                    model = await models.active(session) or deps.settings.match.builtin_model()
                    deps.use_model(model)
                    log.info("matching with model %s from now on", model.version)
        except Exception:  # the next check tries again; matching goes on with the model it has
            log.exception("could not read the match model in force")


def projection_subscription() -> Subscription:
    """The customer 360's subscription: each batch of events is written together (Projection.prepare)."""
    projection = Projection(view360_tables, match_reviews)
    return Subscription(*CONSUMES[0], projection.handle, prepare=projection.prepare)


def component() -> Component:
    async def start(server: grpc.aio.Server, runtime: Runtime) -> Stop:
        settings = settings_from_env(runtime.settings.extra)
        engine = runtime.engine(SCHEMA)
        plugins = tuple(get_plugin_manager(runtime.settings.extra).match_comparators())
        sessions = session_factory(engine)
        async with sessions() as session:
            model = await models.active(session) or settings.match.builtin_model()
        registry = comparator_registry(model, plugins)
        deps = Deps(
            settings,
            sessions,
            runtime.clock,
            emit=_emit,
            registry=registry,
            model=model,
            plugins=plugins,
            reads=read_session_factory(engine),
        )
        customers_pb2_grpc.add_CustomerMasterServiceServicer_to_server(CustomerMaster(deps), server)
        runtime.bus.add_relay("customers", engine)
        runtime.bus.subscribe("customers", engine, projection_subscription())
        follower = asyncio.create_task(follow_model(deps))

        async def stop() -> None:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower

        return stop

    return Component(
        "customers",
        SCHEMA,
        ("isthmus.customers.v1.CustomerMasterService",),
        (EVENT_MIGRATIONS, MIGRATIONS),
        start,
        CONSUMES,
    )
