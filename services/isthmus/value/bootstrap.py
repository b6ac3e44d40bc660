"""Wiring of the value component: configuration, servicer, outbox relay, event consumers, and the
refit, campaign calendar and credit review jobs."""

from __future__ import annotations

from datetime import datetime

import grpc
from google.protobuf.message import Message
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.platform import events
from isthmus.platform.component import Component, Runtime, Stop
from isthmus.platform.db import session_factory
from isthmus.platform.migrations import Stream
from isthmus.value import (
    api,
    config,
    consumers,
    credit,
    domain,
    engagement_api,
    engagement_consumers,
    engagement_jobs,
    refit,
)
from isthmus.value.engagement_events import OutboxPublisher, value_facts_reader
from isthmus.value.handlers import CurrentModel
from isthmus.value.tables import models

SERVICE = "isthmus.value.v1.ValueService"
# Segments, campaigns and suggestions: served by the same component, over the same schema.
ENGAGEMENT_SERVICES = (
    "isthmus.value.v1.SegmentService",
    "isthmus.value.v1.CampaignService",
    "isthmus.value.v1.SuggestionService",
)
SCHEMA = "value"
MIGRATIONS = Stream("isthmus.value:migrations", "alembic_version")


async def record(session: AsyncSession, message: Message, aggregate_id: str, causation_id: str = "") -> None:
    await events.record_event(session, message, aggregate_id=aggregate_id, causation_id=causation_id or None)


CONSUMES = (
    ("orders", consumers.ORDER_EVENTS),
    ("cases", consumers.CASE_EVENTS),
    ("customers", consumers.CUSTOMER_EVENTS),
    *engagement_consumers.SUBSCRIPTIONS,
)


async def start(server: grpc.aio.Server, runtime: Runtime) -> Stop | None:
    settings = config.load(runtime.settings.extra)
    engine = runtime.engine(SCHEMA)
    sessions = session_factory(engine)
    current = CurrentModel()

    async def refit_now() -> domain.Model:
        return await refit.run(sessions, settings, runtime.clock, record, current)

    async def last_fit() -> datetime | None:
        async with sessions() as session:
            await current.refresh(session)
            found: datetime | None = (await session.execute(select(func.max(models.c.fitted_at)))).scalar()
        return found

    api.add_to_server(api.ValueServicer(sessions, settings, current, refit_now, runtime.clock), server)
    publisher, facts = OutboxPublisher(), value_facts_reader(settings.currency)
    engagement_api.add_to_server(server, sessions, runtime.clock, publisher, facts)
    if runtime.bus is not None:
        handler, prepare = consumers.event_handlers(settings, runtime.clock, record, current)
        engaged = engagement_consumers.handlers(runtime.clock, publisher, facts)
        runtime.bus.add_relay(SCHEMA, engine)
        for purpose, keys in CONSUMES:
            if purpose in engaged:
                handle, prepare_engaged = engaged[purpose]
                subscription = events.Subscription(purpose, keys, handle, prepare=prepare_engaged)
            else:
                subscription = events.Subscription(purpose, keys, handler, prepare=prepare)
            runtime.bus.subscribe(SCHEMA, engine, subscription)
    stop_refit = refit.schedule(
        settings.refit_interval_seconds, refit_now, last_fit, runtime.clock, settings.first_refit_seconds
    )
    stop_calendar = engagement_jobs.schedule(
        lambda: engagement_jobs.scan(sessions, runtime.clock, publisher, facts)
    )
    stop_credit = credit.schedule(sessions, settings, runtime.clock, record, current)

    async def stop() -> None:
        await stop_credit()
        await stop_calendar()
        await stop_refit()

    return stop


def component() -> Component:
    return Component(
        "value", SCHEMA, (SERVICE, *ENGAGEMENT_SERVICES), (events.MIGRATIONS, MIGRATIONS), start, CONSUMES
    )
