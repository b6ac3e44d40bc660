"""A customer's ledger includes the ledgers of every account merged into its account, at any depth.
ListLedgerEntries reads that family's account ids in a fixed number of statements and locks nothing;
a merge reads the accounts it moves a level at a time, not one by one. SQLite and PostgreSQL, below
the gRPC API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from isthmus.kernel.ids import new_uuid
from isthmus.loyalty import handlers, programme
from isthmus.loyalty.api import LoyaltyServicer
from isthmus.loyalty.handlers import Uow, _no_outbox
from isthmus.loyalty.tables import accounts, ledger
from isthmus.platform import config, hub
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.events.testing import Statements
from isthmus_client.api.loyalty.v1 import loyalty_pb2

from .conftest import PROGRAMME, FakeClock


@dataclass
class Loyalty:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    servicer: LoyaltyServicer
    clock: FakeClock
    programme: programme.Programme

    async def adjust(self, customer_id: str, points: int) -> None:
        request = loyalty_pb2.AdjustPointsRequest(
            customer_id=customer_id, points=points, reason="welcome", request_id=new_uuid()
        )
        await self.servicer.AdjustPoints(request, None)

    async def merge(self, surviving_id: str, *merged_ids: str) -> None:
        """The customers.CustomersMerged consumer's work, in a transaction of its own."""
        async with self.sessions() as session, session.begin():
            uow = Uow(session, self.programme, self.clock)
            await handlers.customers_merged(surviving_id, list(merged_ids), new_uuid(), uow)
            await uow.repo.flush()

    async def listed(self, customer_id: str, page_size: int) -> list[str]:
        """The ids of the customer's ledger entries, newest first, paged through."""
        found: list[str] = []
        token = ""
        while True:
            request = loyalty_pb2.ListLedgerEntriesRequest(
                customer_id=customer_id, page_size=page_size, page_token=token
            )
            page = await self.servicer.ListLedgerEntries(request, None)
            found += [e.entry_id for e in page.ledger_entries]
            token = page.next_page_token
            if not token:
                return found

    async def account_ids(self, *customer_ids: str) -> list[str]:
        async with self.engine.connect() as conn:
            query = select(accounts.c.customer_id, accounts.c.account_id)
            by_customer = dict(
                (await conn.execute(query.where(accounts.c.customer_id.in_(customer_ids)))).all()
            )
        return [by_customer[c] for c in customer_ids]

    async def entries_of(self, account_ids: list[str]) -> list[str]:
        """What the family's ledger holds, read straight from the table, newest first."""
        async with self.engine.connect() as conn:
            query = select(ledger.c.entry_id).where(ledger.c.account_id.in_(account_ids))
            return list((await conn.execute(query.order_by(ledger.c.seq.desc()))).scalars())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def loyalty(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Loyalty]:
    """The loyalty schema on SQLite (a fresh file) or on the session's PostgreSQL database (shared with
    other tests: customer ids are unique per test), and the service over it."""
    if request.param == "sqlite":
        env = {"ISTHMUS_DATA_DIR": str(tmp_path)}
    else:
        env = {"ISTHMUS_DATABASE_URL": request.getfixturevalue("pg_url")}
    settings = config.load({**env, "ISTHMUS_AUTH_DISABLED": "true"})
    await asyncio.to_thread(hub.migrate, settings, ["loyalty"])
    engine = async_engine(settings, "loyalty")
    clock = FakeClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    rules = programme.parse(PROGRAMME, "test")
    sessions = session_factory(engine)
    try:
        yield Loyalty(engine, sessions, LoyaltyServicer(sessions, rules, clock, _no_outbox), clock, rules)
    finally:
        await engine.dispose()


async def family(loyalty: Loyalty, size: int) -> tuple[str, list[str], list[str]]:
    """A survivor C and ``size`` customers merged into it, each with points of its own: A merged into B
    first, then B (and with it A) and the others into C. Returns C, the merged customers (A, B, ...)
    and the account ids of the family, C's first."""
    uid = uuid.uuid4().hex[:8]
    survivor, merged = f"c-{uid}", [f"m{i}-{uid}" for i in range(size)]
    for i, customer_id in enumerate([survivor, *merged]):
        await loyalty.adjust(customer_id, 10 + i)
        await loyalty.adjust(customer_id, 1)
    await loyalty.merge(merged[1], merged[0])
    await loyalty.merge(survivor, *merged[1:])
    return survivor, merged, await loyalty.account_ids(survivor, *merged)


async def test_the_ledger_of_a_merge_family_is_every_entry_of_its_accounts(loyalty: Loyalty) -> None:
    survivor, merged, ids = await family(loyalty, 4)
    expected = await loyalty.entries_of(ids)
    # Two adjustments per account, and the MERGE_OUT and MERGE_IN entries of each merge.
    assert len(expected) > 2 * len(ids)
    for page_size in (3, 100):
        assert await loyalty.listed(survivor, page_size) == expected
    assert await loyalty.listed(merged[0], 5) == expected, "a merged customer reads the survivor's family"

    # merged_into may chain (A into B into C): the reads follow it to any depth, both ways.
    a, b = ids[1], ids[2]
    async with loyalty.engine.begin() as conn:
        await conn.execute(update(accounts).where(accounts.c.account_id == a).values(merged_into=b))
    assert await loyalty.listed(survivor, 4) == expected
    assert await loyalty.listed(merged[0], 100) == expected


async def test_list_ledger_entries_costs_the_same_statements_for_any_family_and_locks_nothing(
    loyalty: Loyalty,
) -> None:
    counted: dict[str, list[str]] = {}
    for size in (2, 5):
        survivor, merged, ids = await family(loyalty, size)
        async with loyalty.engine.begin() as conn:  # A into B into C: a chain two deep
            await conn.execute(
                update(accounts).where(accounts.c.account_id == ids[1]).values(merged_into=ids[2])
            )
        expected = await loyalty.entries_of(ids)
        for who, customer_id in (("survivor", survivor), ("chain's end", merged[0])):
            with Statements(loyalty.engine) as seen:
                assert await loyalty.listed(customer_id, 100) == expected
            counted[f"{size} merged, read as the {who}"] = seen.texts
    sizes = {name: len(texts) for name, texts in counted.items()}
    assert len(set(sizes.values())) == 1, sizes
    for texts in counted.values():
        assert not [t for t in texts if "FOR UPDATE" in t.upper()], texts


async def merge_cost(loyalty: Loyalty, earlier: int, at_once: int) -> int:
    """The statements of one merge of ``at_once`` customers into a survivor, the first of them with
    ``earlier`` accounts merged into its own before."""
    uid = uuid.uuid4().hex[:8]
    survivor = f"c-{uid}"
    merged = [f"m{i}-{uid}" for i in range(at_once)]
    before = [f"e{i}-{uid}" for i in range(earlier)]
    for customer_id in [survivor, *merged, *before]:
        await loyalty.adjust(customer_id, 7)
    await loyalty.merge(merged[0], *before)
    with Statements(loyalty.engine) as seen:
        await loyalty.merge(survivor, *merged)
    ids = await loyalty.account_ids(survivor, *merged, *before)
    async with loyalty.engine.connect() as conn:
        into = dict(
            (
                await conn.execute(
                    select(accounts.c.account_id, accounts.c.merged_into).where(
                        accounts.c.account_id.in_(ids)
                    )
                )
            ).all()
        )
    assert into == {ids[0]: None, **{a: ids[0] for a in ids[1:]}}, "every account now points at the survivor"
    got = await loyalty.servicer.GetAccount(loyalty_pb2.GetAccountRequest(customer_id=survivor), None)
    assert got.account.balance == 7 * len(ids), "the survivor holds every merged account's points"
    return len(seen.texts)


async def test_a_merge_reads_each_level_of_accounts_together(loyalty: Loyalty) -> None:
    costs = {
        (earlier, at_once): await merge_cost(loyalty, earlier, at_once)
        for earlier, at_once in ((2, 2), (5, 2), (2, 5))
    }
    assert len(set(costs.values())) == 1, costs
