"""The SLA breach scan and a group-commit batch of interactions read and write their cases with a few
statements, however many cases they touch, and leave what the cases one by one left: the same
breaches flagged and SlaBreached events, in the same order; a case another transaction changed
between the scan's read and its write is left for the next scan while the others are flagged; each
interaction gets its own answer and event, and a case named twice in a batch is written once.
PostgreSQL and the embedded SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf.message import Message
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from isthmus.kernel.ids import new_uuid
from isthmus.platform import config, hub
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.events.testing import Statements
from isthmus.service_requests import breaches, handlers, messages
from isthmus.service_requests.bootstrap import SCHEMA
from isthmus.service_requests.domain import Channel, Direction, Kind, Priority, ServiceRequest, State
from isthmus.service_requests.settings import ServiceRequestSettings
from isthmus.service_requests.store import UnitOfWorkFactory
from isthmus.service_requests.tables import service_requests
from isthmus_client.api.events.v1 import service_requests_pb2 as ev
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb

SETTINGS = ServiceRequestSettings()  # UTC, Monday to Friday 09:00-17:00
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# HIGH: response due two working hours after opening, resolution eight: both passed by Wednesday.
WEDNESDAY = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
KIND = {
    "RESPONSE": ev.SlaBreached.SLA_BREACH_KIND_RESPONSE,
    "RESOLUTION": ev.SlaBreached.SLA_BREACH_KIND_RESOLUTION,
}


@dataclass
class Store:
    engine: AsyncEngine
    events: list[Message] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.uows = UnitOfWorkFactory(session_factory(self.engine), self._record)

    async def _record(self, session: AsyncSession, message: Message, aggregate_id: str) -> None:
        self.events.append(message)

    async def add(self, cases: Sequence[ServiceRequest]) -> None:
        async with self.uows() as uow:
            await uow.repo.add(*cases)
            await uow.commit()

    async def read(self, ids: Sequence[str]) -> dict[str, ServiceRequest]:
        async with self.uows() as uow:
            return await uow.repo.get_many(ids)


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "postgresql":
        settings = config.load({"ISTHMUS_DATABASE_URL": request.getfixturevalue("pg_database")})
    else:
        settings = config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    await asyncio.to_thread(hub.migrate, settings, ["service-requests"])
    engine = async_engine(settings, SCHEMA)
    try:
        yield Store(engine)
    finally:
        await engine.dispose()


def new_cases(n: int, *, answered_every: int = 0) -> list[ServiceRequest]:
    """``n`` HIGH cases opened a minute apart on Monday morning, so each is due at its own time; of
    every ``answered_every``, one was answered in time (only its resolution can be breached)."""
    cases = []
    for i in range(n):
        sr = ServiceRequest.open(
            id=new_uuid(),
            customer_id=new_uuid(),
            opened_at=MONDAY + timedelta(minutes=i),
            priority=Priority.HIGH,
            target=SETTINGS.target(Priority.HIGH, None),
            calendar=SETTINGS.calendar,
            channel=Channel.EMAIL,
            kind=Kind.INQUIRY,
            subject=f"case {i}",
        )
        if answered_every and i % answered_every == 0:
            sr.record_first_response(sr.opened_at + timedelta(minutes=30))
        cases.append(sr)
    return cases


def as_scanned(cases: Sequence[ServiceRequest], now: datetime) -> tuple[list[ServiceRequest], list[Message]]:
    """What scanning these cases (as read) one at a time leaves: the cases flagged and saved, and their
    SlaBreached events, in the order the scan takes them (soonest due first)."""
    flagged, events = [], []
    for sr in sorted(cases, key=lambda c: c.breach_check_at or now):
        found = sr.detect_breaches(now)
        if not found:
            continue
        sr.version += 1
        flagged.append(sr)
        for kind, due in found:
            events.append(
                ev.SlaBreached(
                    service_request=messages.service_request(sr),
                    breach=KIND[kind.name],
                    due_time=messages.ts(due),
                    detect_time=messages.ts(now),
                )
            )
    return flagged, events


async def test_the_breach_scan_runs_the_same_statements_for_3_or_12_due_cases(store: Store) -> None:
    counts = []
    for n in (3, 12):
        cases = new_cases(n, answered_every=3)
        await store.add(cases)
        expected_cases, expected_events = as_scanned(
            list((await store.read([c.id for c in cases])).values()), WEDNESDAY
        )
        store.events.clear()
        with Statements(store.engine) as seen:
            fired = await breaches.scan(store.uows, WEDNESDAY)
        counts.append(len(seen.naming("service_requests")))
        assert fired == len(expected_events) == n + n - (n + 2) // 3  # two breaches each, one if answered
        assert store.events == expected_events
        stored = await store.read([c.id for c in cases])
        assert [messages.service_request(stored[c.id]) for c in expected_cases] == [
            messages.service_request(c) for c in expected_cases
        ]
        assert all(stored[c.id].breach_check_at is None for c in cases)  # nothing left to report
        assert await breaches.scan(store.uows, WEDNESDAY + timedelta(hours=1)) == 0  # once each
    # The due cases' ids, the cases, one write of all that breached.
    assert counts == [3, 3], counts


async def test_a_case_changed_between_the_scans_read_and_write_is_left_for_the_next_scan(
    store: Store,
) -> None:
    cases = new_cases(5, answered_every=2)
    await store.add(cases)
    ids = [c.id for c in cases]
    changed = ids[3]
    before = await store.read(ids)
    store.events.clear()
    async with store.uows() as uow:
        read = await uow.repo.get_many(ids)
        # An agent's write lands after the scan read the case and before it writes.
        async with store.engine.begin() as conn:
            await conn.execute(
                update(service_requests)
                .where(service_requests.c.id == changed)
                .values(subject="changed meanwhile", version=service_requests.c.version + 1)
            )
        in_order = sorted(read.values(), key=lambda c: c.breach_check_at or WEDNESDAY)
        with Statements(store.engine) as seen:
            fired = await breaches.flag(uow, in_order, WEDNESDAY)
        await uow.commit()
    # The write of all five found one changed, was taken back, and each case was written alone.
    assert len(seen.naming("service_requests", "UPDATE")) == 1 + 5

    others = [sr for case_id, sr in before.items() if case_id != changed]
    expected_cases, expected_events = as_scanned(others, WEDNESDAY)
    assert len(expected_cases) == 4
    assert fired == len(expected_events)
    assert store.events == expected_events
    stored = await store.read(ids)
    assert [messages.service_request(stored[c.id]) for c in expected_cases] == [
        messages.service_request(c) for c in expected_cases
    ]
    left = stored[changed]
    assert (left.subject, left.version) == ("changed meanwhile", before[changed].version + 1)
    assert not left.response_breached and not left.resolution_breached and left.breached_at is None

    # The next scan finds it due still and reports it from what it is now.
    store.events.clear()
    _, later = as_scanned([left], WEDNESDAY)
    assert await breaches.scan(store.uows, WEDNESDAY) == len(later) > 0
    assert store.events == later


def outbound(case_id: str, body: str) -> handlers.LogInteraction:
    return handlers.LogInteraction(
        direction=Direction.OUTBOUND, channel=Channel.EMAIL, service_request_id=case_id, body=body
    )


async def test_a_batch_of_interactions_writes_its_cases_with_one_statement(store: Store) -> None:
    now = MONDAY + timedelta(minutes=30)
    env = handlers.Env(SETTINGS, now)
    counts = []
    for n in (2, 10):
        cases = new_cases(n)
        waiting = cases[-1]
        waiting.change_state(State.OPEN, MONDAY, SETTINGS.calendar, reopen_window=SETTINGS.reopen_window)
        waiting.change_state(
            State.PENDING_CUSTOMER, MONDAY, SETTINGS.calendar, reopen_window=SETTINGS.reopen_window
        )
        await store.add(cases)
        cmds = [outbound(c.id, f"answer {i}") for i, c in enumerate(cases[:-1])]
        # The customer answers the case waiting for them; the first case is answered twice.
        cmds.append(
            handlers.LogInteraction(
                direction=Direction.INBOUND, channel=Channel.EMAIL, service_request_id=waiting.id, body="hi"
            )
        )
        cmds.append(outbound(cases[0].id, "and again"))
        store.events.clear()
        with Statements(store.engine) as seen:
            async with store.uows() as uow:
                outcomes = await handlers.log_interactions([(c, None) for c in cmds], uow, env)
        counts.append(len(seen.naming("service_requests", "UPDATE")))

        answers = []
        for outcome in outcomes:
            assert isinstance(outcome, tuple), outcome
            message, replayed = outcome
            assert isinstance(message, pb.Interaction) and not replayed
            answers.append(message)
        by_case = {c.id: c for c in cases}
        assert [(a.body, a.service_request_id, a.customer_id) for a in answers] == [
            (c.body, c.service_request_id, by_case[c.service_request_id].customer_id) for c in cmds
        ]
        names = [e.DESCRIPTOR.name for e in store.events]
        assert names == ["InteractionLogged"] * (n - 1) + [
            "ServiceRequestStateChanged",
            "InteractionLogged",
            "InteractionLogged",
        ]
        logged = [e.interaction for e in store.events if isinstance(e, ev.InteractionLogged)]
        assert logged == answers
        stored = await store.read([c.id for c in cases])
        for c in cases[:-1]:
            assert (stored[c.id].first_response_at, stored[c.id].version) == (now, 2)  # written once
        assert (stored[waiting.id].state, stored[waiting.id].version) == (State.OPEN, 2)
    assert counts == [1, 1], counts
