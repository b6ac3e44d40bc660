"""Birthdays and lapsed customers, found by the daily scan, on the value tables (SQLite) with the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from isthmus.platform import config
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.events.tables import outbox
from isthmus.platform.events.testing import Statements
from isthmus.platform.hub import migrate
from isthmus.value import campaigns as rules
from isthmus.value import engagement_jobs
from isthmus.value.engagement import Engagement
from isthmus.value.engagement_campaigns import Actor
from isthmus.value.engagement_events import OutboxPublisher, value_facts_reader
from isthmus.value.engagement_segments import ValueFacts
from isthmus.value.engagement_tables import trigger_occurrences


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ValueTables:
    """The value component's tables on embedded SQLite, with what an Engagement over them needs."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    publisher: OutboxPublisher
    facts: ValueFacts


@pytest.fixture
async def value(tmp_path) -> AsyncIterator[ValueTables]:
    settings = config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    migrate(settings, ["value"])
    engine = async_engine(settings, "value")
    clock = Clock(datetime(2026, 7, 12, 8, 0, tzinfo=UTC))
    try:
        yield ValueTables(
            engine, session_factory(engine), clock, OutboxPublisher(), value_facts_reader("EUR")
        )
    finally:
        await engine.dispose()


async def test_birthdays_and_lapsed_customers_are_decided_once_a_day(value: ValueTables) -> None:
    sessions, clock, publisher, facts = value.sessions, value.clock, value.publisher, value.facts
    monthly = [date(2026, m, 1).isoformat() for m in range(1, 6)]  # usual gap ~30 days, last 1 May
    async with sessions() as session, session.begin():
        e = Engagement(session, clock, publisher, facts)
        await e.change_profile("born-today", {"birth_date": date(1975, 7, 12), "consents": ["EMAIL"]})
        await e.change_profile("born-tomorrow", {"birth_date": date(1975, 7, 13), "consents": ["EMAIL"]})
        await e.change_profile("lapsed", {"order_dates": monthly, "consents": ["EMAIL"]})
        await e.change_profile("regular", {"order_dates": [*monthly, "2026-07-01"], "consents": ["EMAIL"]})
        ids = {}
        for trigger in (rules.Trigger.BIRTHDAY, rules.Trigger.LAPSED):
            draft = rules.define("", trigger.name.lower(), trigger, "EMAIL", "tpl", control_percent=0)
            created = await e.create_campaign(draft, Actor(1, "marketer"))
            await e.test_campaign(created.campaign_id, timedelta(days=7), 10, Actor(1, "marketer"))
            await e.promote(created.campaign_id, Actor(1, "lead"))
            ids[trigger] = created.campaign_id

    assert await engagement_jobs.scan(sessions, clock, publisher, facts) == 2
    assert await engagement_jobs.scan(sessions, clock, publisher, facts) == 2  # a second scan that day

    async with sessions() as session:
        e = Engagement(session, clock, publisher, facts)
        birthdays = await e.decisions(ids[rules.Trigger.BIRTHDAY], None, 10)
        lapsed = await e.decisions(ids[rules.Trigger.LAPSED], None, 10)
        messages = await session.scalar(select(func.count()).select_from(outbox))
    assert [(d["customer_id"], d["outcome"]) for d in birthdays] == [("born-today", int(rules.Outcome.SEND))]
    assert [(d["customer_id"], d["outcome"]) for d in lapsed] == [("lapsed", int(rules.Outcome.SEND))]
    assert messages == 2  # one CampaignMessageRequested each, not one per scan


async def test_the_daily_scan_decides_its_customers_with_statements_that_do_not_grow(
    value: ValueTables,
) -> None:
    """Two birthdays or seven, the scan's campaign reads and decisions take the same statements, and
    each customer born today gets the birthday campaign's message."""
    sessions, clock, publisher, facts = value.sessions, value.clock, value.publisher, value.facts
    async with sessions() as session, session.begin():
        e = Engagement(session, clock, publisher, facts)
        draft = rules.define("", "birthday", rules.Trigger.BIRTHDAY, "EMAIL", "tpl", control_percent=0)
        created = await e.create_campaign(draft, Actor(1, "marketer"))
        await e.test_campaign(created.campaign_id, timedelta(days=7), 10, Actor(1, "marketer"))
        await e.promote(created.campaign_id, Actor(1, "lead"))
    counts, born = [], []
    for n in (2, 7):
        async with sessions() as session, session.begin():
            e = Engagement(session, clock, publisher, facts)
            for i in range(n):
                customer = f"born-{n}-{i}"
                born.append(customer)
                await e.change_profile(customer, {"birth_date": date(1980, 7, 12), "consents": ["EMAIL"]})
        with Statements(value.engine) as seen:
            await engagement_jobs.scan(sessions, clock, publisher, facts)
        counts.append(len(seen.naming("campaign")) + len(seen.naming("trigger_occurrences")))
        clock.now += timedelta(days=365)  # the next year's birthday: a new occurrence for everyone
    assert counts[0] == counts[1], counts
    async with sessions() as session:
        e = Engagement(session, clock, publisher, facts)
        decided = await e.decisions(created.campaign_id, None, 100)
    outcomes = sorted((d["customer_id"], d["outcome"]) for d in decided)
    capped = int(rules.Outcome.FREQUENCY_CAP)  # the campaign reaches a customer once
    assert outcomes == sorted([(c, int(rules.Outcome.SEND)) for c in born] + [(c, capped) for c in born[:2]])


async def test_a_details_change_is_remembered_only_while_a_campaign_answers_it(value: ValueTables) -> None:
    sessions, clock, publisher, facts = value.sessions, value.clock, value.publisher, value.facts

    def changed(customer_id: str) -> rules.Occurrence:
        return rules.Occurrence(rules.Trigger.DETAILS_CHANGED, customer_id, clock(), reference=customer_id)

    async def remembered() -> int:
        async with sessions() as session:
            query = select(func.count()).select_from(trigger_occurrences)
            return int(await session.scalar(query) or 0)

    async with sessions() as session, session.begin():  # every update of a backfill: nothing kept
        e = Engagement(session, clock, publisher, facts)
        await e.occur_all([changed(f"c-{n}") for n in range(50)])
    assert await remembered() == 0

    async with sessions() as session, session.begin():
        e = Engagement(session, clock, publisher, facts)
        draft = rules.define("", "confirm", rules.Trigger.DETAILS_CHANGED, "EMAIL", "tpl", control_percent=0)
        await e.create_campaign(draft, Actor(1, "marketer"))  # a draft answers too: its test needs them
    async with sessions() as session, session.begin():
        e = Engagement(session, clock, publisher, facts)
        await e.occur_all([changed("c-late")])
    assert await remembered() == 1
