"""The loyalty repository: the statements the use cases run over ``tables``.

Appending to the ledger and updating the account's cached sum and version happen together, so
concurrent writers to one account cannot both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.errors import Conflict
from isthmus.kernel.money import Money
from isthmus.loyalty import codec
from isthmus.loyalty.domain import Account, Entry, Lot
from isthmus.loyalty.tables import accounts, ledger, lots, order_points, qualifying
from isthmus.platform.sql import any_of, insert_many, update_many
from isthmus_client.api.loyalty.v1 import loyalty_pb2

# Built once: statements with bound parameters skip SQLAlchemy's per-call construction work.
_ACCOUNT_BY_CUSTOMER = select(accounts).where(accounts.c.customer_id == bindparam("key")).with_for_update()
_ACCOUNT_BY_ID = select(accounts).where(accounts.c.account_id == bindparam("key")).with_for_update()
_LOTS_OF_MANY = select(lots).where(any_of(lots.c.account_id, "account_ids"), lots.c.remaining > 0)
# Locked in key order, so that two transactions reading overlapping sets wait instead of deadlocking.
_ACCOUNTS = (
    select(accounts)
    .where(any_of(accounts.c.account_id, "account_ids") | any_of(accounts.c.customer_id, "customer_ids"))
    .order_by(accounts.c.account_id)
    .with_for_update()
)
# The accounts merged directly into any of the given ones, locked in key order as ``_ACCOUNTS``.
_MERGED_INTO = (
    select(accounts)
    .where(any_of(accounts.c.merged_into, "account_ids"))
    .order_by(accounts.c.account_id)
    .with_for_update()
)
# A customer's ledger family, read without locks in one statement: from the customer's account up
# its merges to the surviving account (``merged_into`` empty), then down every account merged into
# that one, at any depth. UNION (not UNION ALL) drops rows already found, so a cycle ends the walk.
_UP = (
    select(accounts.c.account_id, accounts.c.merged_into)
    .where(accounts.c.customer_id == bindparam("customer_id"))
    .cte("up", recursive=True)
)
_UP = _UP.union(
    select(accounts.c.account_id, accounts.c.merged_into).select_from(
        accounts.join(_UP, accounts.c.account_id == _UP.c.merged_into)
    )
)
_FAMILY = (
    select(accounts.c.account_id)
    .where(accounts.c.account_id.in_(select(_UP.c.account_id).where(_UP.c.merged_into.is_(None))))
    .cte("family", recursive=True)
)
_FAMILY = _FAMILY.union(
    select(accounts.c.account_id).select_from(
        accounts.join(_FAMILY, accounts.c.merged_into == _FAMILY.c.account_id)
    )
)
_LEDGER_FAMILY = select(_FAMILY.c.account_id)
_ORDER = select(order_points).where(order_points.c.order_id == bindparam("order_id")).with_for_update()
_ORDERS = (
    select(order_points)
    .where(any_of(order_points.c.order_id, "order_ids"))
    .order_by(order_points.c.order_id)
    .with_for_update()
)
_DELETE_LOTS = delete(lots).where(any_of(lots.c.lot_id, "lot_ids"))
_QUALIFYING_OF_MANY = (
    select(
        qualifying.c.account_id,
        qualifying.c.currency,
        func.sum(qualifying.c.points),
        func.sum(qualifying.c.spend_minor),
    )
    .where(
        any_of(qualifying.c.account_id, "account_ids"),
        qualifying.c.occurred_at > bindparam("since"),
    )
    .group_by(qualifying.c.account_id, qualifying.c.currency)
)


@dataclass
class OrderPoints:
    order_id: str
    account_id: str
    origin_account_id: str
    currency: str
    paid: bool = False
    cancelled: bool = False
    awarded: int = 0
    clawed: int = 0
    refundable_minor: int = 0
    refunded_minor: int = 0
    spend_minor: int = 0
    spend_clawed_minor: int = 0
    returns_seen: str = "[]"
    stored: bool = False


_INFO_KEY = "isthmus.loyalty.repository"


class LoyaltyRepository:
    """The loyalty tables as one transaction sees them: a unit of work with an identity map.

    Accounts, order records and qualifying totals are read once per transaction (locked FOR UPDATE)
    and then served from memory, so several events in one transaction that touch the same account
    see each other's changes. Writes are owed until :meth:`flush` makes them together, one statement
    per table; any other statement flushes first, so no query misses this transaction's own writes.
    ``prefetch_orders`` reads what a batch of order events needs in four statements.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._accounts: dict[str, Account] = {}
        self._by_customer: dict[str, str | None] = {}  # customer id -> account id (None: no account)
        self._orders: dict[str, OrderPoints | None] = {}
        # account id -> (since, points, spend in minor units by currency) of qualifying activity
        self._qualifying: dict[str, tuple[datetime, int, dict[str, int]]] = {}
        self._stored_version: dict[str, int] = {}  # account id -> version in the database (0: new)
        self._created: set[str] = set()  # accounts new in this transaction: no activity stored before
        self._created_activity: dict[str, list[dict[str, Any]]] = {}  # their qualifying rows
        self._owed_accounts: dict[str, Account] = {}
        self._owed_entries: list[dict[str, Any]] = []
        self._owed_lots: dict[str, Lot] = {}
        self._owed_orders: dict[str, OrderPoints] = {}
        self._owed_qualifying: list[dict[str, Any]] = []
        self.now: datetime | None = None  # the transaction's one instant (see Uow)

    @classmethod
    def of(cls, session: AsyncSession) -> LoyaltyRepository:
        """The repository of the session's transaction (one per session, shared by its handlers)."""
        info = session.sync_session.info
        repo: LoyaltyRepository | None = info.get(_INFO_KEY)
        if repo is None:
            repo = info[_INFO_KEY] = cls(session)
        return repo

    async def _execute(self, statement: Any, params: Any = None) -> Any:
        await self.flush()
        return await self.session.execute(statement, params)

    # --- accounts --------------------------------------------------------------------------------

    def _remember(self, row: Any) -> Account:
        account = Account(
            account_id=row.account_id,
            customer_id=row.customer_id,
            programme_id=row.programme_id,
            tier_id=row.tier_id,
            tier_since=row.tier_since,
            tier_review_at=row.tier_review_at,
            create_time=row.create_time,
            balance=row.balance,
            debt=row.debt,
            lifetime_earned=row.lifetime_earned,
            version=row.version,
            update_time=row.update_time,
            merged_into=row.merged_into,
            erased=row.erased,
        )
        self._accounts[account.account_id] = account
        self._by_customer[account.customer_id] = account.account_id
        self._stored_version[account.account_id] = account.version
        return account

    async def _load_lots(self, accounts: Sequence[Account]) -> None:
        by_id = {a.account_id: a for a in accounts}
        if not by_id:
            return
        found = await self._execute(_LOTS_OF_MANY, {"account_ids": list(by_id)})
        for r in found:
            by_id[r.account_id].lots.append(
                Lot(r.lot_id, r.account_id, r.origin_account_id, r.earned_at, r.expires_at, r.remaining)
            )

    async def account(self, *, customer_id: str = "", account_id: str = "") -> Account | None:
        """The account, locked for this transaction, with its unexpired lots."""
        if customer_id and customer_id in self._by_customer:
            account_id = self._by_customer[customer_id] or ""
            if not account_id:
                return None
        if account_id and account_id in self._accounts:
            return self._accounts[account_id]
        query, key = (_ACCOUNT_BY_CUSTOMER, customer_id) if customer_id else (_ACCOUNT_BY_ID, account_id)
        row = (await self._execute(query, {"key": key})).one_or_none()
        if row is None:
            if customer_id:
                self._by_customer[customer_id] = None
            return None
        account = self._remember(row)
        await self._load_lots([account])
        return account

    def add_account(self, account: Account) -> None:
        """A new account (version 0) this transaction created, known to it before it is stored."""
        self._accounts[account.account_id] = account
        self._by_customer[account.customer_id] = account.account_id
        self._stored_version[account.account_id] = 0
        self._created.add(account.account_id)

    async def save(self, account: Account) -> None:
        """Owes the account, its new ledger entries and its changed lots to the next flush."""
        if account.account_id not in self._accounts:
            self.add_account(account)
        account.version += 1
        self._owed_accounts[account.account_id] = account
        for e in account.pending:
            self._owed_entries.append(
                dict(
                    entry_id=e.entry_id,
                    account_id=e.account_id,
                    kind=int(e.kind),
                    points=e.points,
                    occurred_at=e.occurred_at,
                    idempotency_key=e.idempotency_key,
                    fingerprint=e.fingerprint,
                    doc=codec.entry(e).SerializeToString(),
                )
            )
        account.pending = []
        for lot in account.lots:
            if lot.dirty:
                lot.dirty = False
                self._owed_lots[lot.lot_id] = lot
        account.lots = [x for x in account.lots if x.remaining > 0]

    async def load_accounts(
        self, *, account_ids: Sequence[str] = (), customer_ids: Sequence[str] = ()
    ) -> list[Account]:
        """Reads the accounts (by id or by customer) this transaction does not know yet, locked in
        account id order, with their lots: two statements however many. Returns those it read; later
        :meth:`account` calls find them (and a customer without an account) in memory."""
        wanted = sorted(set(account_ids) - set(self._accounts))
        customers = [c for c in dict.fromkeys(customer_ids) if c not in self._by_customer]
        if not (wanted or customers):
            return []
        params = {"account_ids": wanted, "customer_ids": customers}
        loaded = [
            self._remember(row)
            for row in await self._execute(_ACCOUNTS, params)
            if row.account_id not in self._accounts
        ]
        for customer_id in customers:
            self._by_customer.setdefault(customer_id, None)
        await self._load_lots(loaded)
        return loaded

    async def merged_accounts(self, account_ids: Sequence[str]) -> list[Account]:
        """The accounts merged directly into any of these, locked in account id order, with their
        lots: one level of merges in two statements, however many accounts it holds."""
        if not account_ids:
            return []
        rows = await self._execute(_MERGED_INTO, {"account_ids": list(dict.fromkeys(account_ids))})
        found, loaded = [], []
        for row in rows:
            known = self._accounts.get(row.account_id)
            if known is None:
                known = self._remember(row)
                loaded.append(known)
            found.append(known)
        await self._load_lots(loaded)
        return found

    async def ledger_family(self, customer_id: str) -> list[str]:
        """The ids of the accounts whose ledgers make the customer's: the account its own was merged
        into (through any chain of merges, or its own) and every account merged into that one, at any
        depth. One statement, no locks; empty if the customer has no account."""
        rows = await self._execute(_LEDGER_FAMILY, {"customer_id": customer_id})
        return list(rows.scalars())

    async def accounts_due(self, now: datetime, limit: int) -> list[str]:
        """Accounts with points to expire or a tier review due at ``now``."""
        expiring = select(lots.c.account_id).where(lots.c.expires_at <= now, lots.c.remaining > 0).distinct()
        reviews = select(accounts.c.account_id).where(
            accounts.c.tier_review_at <= now, accounts.c.merged_into.is_(None)
        )
        ids = set((await self._execute(expiring.limit(limit))).scalars())
        ids.update((await self._execute(reviews.limit(limit))).scalars())
        return sorted(ids)[:limit]

    # --- a batch of order events ---------------------------------------------------------------

    async def prefetch_orders(
        self, order_ids: Sequence[str], customer_ids: Sequence[str], since: datetime
    ) -> None:
        """Reads (and locks) the order records, accounts, lots and qualifying totals these events need."""
        wanted_orders = [o for o in dict.fromkeys(order_ids) if o not in self._orders]
        if wanted_orders:
            for row in (await self._execute(_ORDERS, {"order_ids": wanted_orders})).mappings():
                self._orders[row["order_id"]] = OrderPoints(**dict(row), stored=True)
            for order_id in wanted_orders:
                self._orders.setdefault(order_id, None)
        account_ids = {r.account_id for o in order_ids if (r := self._orders.get(o)) is not None}
        loaded = await self.load_accounts(account_ids=sorted(account_ids), customer_ids=customer_ids)
        await self._prefetch_qualifying([a.account_id for a in loaded], since)

    async def _prefetch_qualifying(self, account_ids: Sequence[str], since: datetime) -> None:
        if not account_ids:
            return
        totals: dict[str, tuple[datetime, int, dict[str, int]]] = {a: (since, 0, {}) for a in account_ids}
        for account_id, currency, points, spend in await self._execute(
            _QUALIFYING_OF_MANY, {"account_ids": list(account_ids), "since": since}
        ):
            _, p, by_currency = totals[account_id]
            by_currency[currency] = int(spend or 0)
            totals[account_id] = (since, p + int(points or 0), by_currency)
        self._qualifying.update(totals)

    # --- ledger ----------------------------------------------------------------------------------

    async def entry_by_key(self, key: str) -> tuple[Entry, str] | None:
        row = (
            await self._execute(
                select(ledger.c.doc, ledger.c.fingerprint).where(ledger.c.idempotency_key == key)
            )
        ).one_or_none()
        if row is None:
            return None
        return codec.from_entry(loyalty_pb2.LedgerEntry.FromString(row.doc)), row.fingerprint

    async def entries(
        self, account_ids: Sequence[str], kinds: Sequence[int], size: int, before_seq: int | None
    ) -> list[tuple[int, loyalty_pb2.LedgerEntry]]:
        # The ids as one array parameter: one prepared statement for any size of merge family.
        query = select(ledger.c.seq, ledger.c.doc).where(any_of(ledger.c.account_id, "account_ids"))
        if kinds:
            query = query.where(ledger.c.kind.in_(kinds))
        if before_seq is not None:
            query = query.where(ledger.c.seq < before_seq)
        query = query.order_by(ledger.c.seq.desc()).limit(size)
        rows = await self._execute(query, {"account_ids": list(account_ids)})
        return [(r.seq, loyalty_pb2.LedgerEntry.FromString(r.doc)) for r in rows]

    async def scrub_ledger(self, account_id: str) -> None:
        """Erasure: free text and people's names leave the entries; numbers and reasons' ids stay."""
        rows = (
            await self._execute(select(ledger.c.seq, ledger.c.doc).where(ledger.c.account_id == account_id))
        ).all()
        changes = []
        for row in rows:
            entry = loyalty_pb2.LedgerEntry.FromString(row.doc)
            entry.reason.text = ""
            entry.actor.display_name = ""
            changes.append(({"seq": row.seq}, {"doc": entry.SerializeToString(), "fingerprint": ""}))
        await update_many(self.session, ledger, changes)  # one statement for the account's whole ledger

    # --- orders and qualifying activity ----------------------------------------------------------

    async def order(self, order_id: str) -> OrderPoints | None:
        if order_id not in self._orders:
            row = (await self._execute(_ORDER, {"order_id": order_id})).mappings().one_or_none()
            self._orders[order_id] = None if row is None else OrderPoints(**dict(row), stored=True)
        return self._orders[order_id]

    async def save_order(self, record: OrderPoints) -> None:
        self._orders[record.order_id] = record
        self._owed_orders[record.order_id] = record

    async def add_qualifying(
        self, account: Account, at: datetime, points: int, spend: Money, origin_account_id: str | None = None
    ) -> None:
        row = dict(
            account_id=account.account_id,
            origin_account_id=origin_account_id or account.account_id,
            occurred_at=at,
            points=points,
            currency=spend.currency,
            spend_minor=spend.minor,
        )
        self._owed_qualifying.append(row)
        if account.account_id in self._created:
            self._created_activity.setdefault(account.account_id, []).append(row)
        cached = self._qualifying.get(account.account_id)
        if cached is not None and at > cached[0]:
            since, total, by_currency = cached
            by_currency[spend.currency] = by_currency.get(spend.currency, 0) + spend.minor
            self._qualifying[account.account_id] = (since, total + points, by_currency)

    async def qualifying_since(self, account_id: str, since: datetime) -> tuple[int, dict[str, Decimal]]:
        """Points and spend of the account's qualifying activity after ``since``, this transaction's too."""
        cached = self._qualifying.get(account_id)
        if cached is None or cached[0] != since:
            if account_id in self._created:  # all its activity is in memory
                points, by_currency = 0, dict[str, int]()
                for row in self._created_activity.get(account_id, ()):
                    if row["occurred_at"] > since:
                        points += row["points"]
                        by_currency[row["currency"]] = (
                            by_currency.get(row["currency"], 0) + row["spend_minor"]
                        )
                self._qualifying[account_id] = (since, points, by_currency)
            else:
                await self._prefetch_qualifying([account_id], since)
            cached = self._qualifying[account_id]
        _, points, by_currency = cached
        return points, {c: Money.from_minor(m, c).amount for c, m in by_currency.items()}

    async def move_activity(
        self, from_accounts: Sequence[str], to_account: str, origin: str | None = None
    ) -> None:
        """Qualifying activity and order records follow a merge (or, by origin, an unmerge): one
        statement per table for all of ``from_accounts``."""
        moved = set(from_accounts)
        if not moved:
            return
        params = {"from_accounts": sorted(moved)}
        for table in (qualifying, order_points):
            query = update(table).where(any_of(table.c.account_id, "from_accounts"))
            if origin is not None:
                query = query.where(table.c.origin_account_id == origin)
            await self._execute(query.values(account_id=to_account), params)
        # What this transaction read or counted of these accounts' activity is stale now.
        for account_id in (*moved, to_account):
            self._qualifying.pop(account_id, None)
            self._created.discard(account_id)
        for record in self._orders.values():
            if record is None or record.account_id not in moved:
                continue
            if origin is None or record.origin_account_id == origin:
                record.account_id = to_account

    # --- the writes owed -------------------------------------------------------------------------

    async def flush(self) -> None:
        """Makes every write owed so far: one statement per table and kind of change."""
        if not (
            self._owed_accounts
            or self._owed_entries
            or self._owed_lots
            or self._owed_orders
            or self._owed_qualifying
        ):
            return
        owed_accounts, self._owed_accounts = self._owed_accounts, {}
        entries, self._owed_entries = self._owed_entries, []
        owed_lots, self._owed_lots = self._owed_lots, {}
        owed_orders, self._owed_orders = self._owed_orders, {}
        rising, self._owed_qualifying = self._owed_qualifying, []
        session = self.session
        new_accounts: list[dict[str, Any]] = []
        changed_accounts: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for account in owed_accounts.values():
            values = _account_values(account)
            stored = self._stored_version.get(account.account_id, 0)
            if stored == 0:
                new_accounts.append(dict(values, account_id=account.account_id))
            else:
                changed_accounts.append(({"account_id": account.account_id, "version": stored}, values))
            self._stored_version[account.account_id] = account.version
        await insert_many(session, accounts, new_accounts)
        if await update_many(session, accounts, changed_accounts) != len(changed_accounts):
            raise Conflict("a loyalty account changed concurrently; retry")
        await insert_many(session, ledger, entries)
        inserts: list[dict[str, Any]] = []
        updates: list[tuple[dict[str, Any], dict[str, Any]]] = []
        deletes: list[str] = []
        for lot in owed_lots.values():
            if lot.new:
                lot.new = False
                if lot.remaining:
                    inserts.append(_lot_values(lot))
            elif lot.remaining:
                updates.append(
                    ({"lot_id": lot.lot_id}, {"account_id": lot.account_id, "remaining": lot.remaining})
                )
            else:
                deletes.append(lot.lot_id)
        await insert_many(session, lots, inserts)
        await update_many(session, lots, updates)
        if deletes:
            await session.execute(_DELETE_LOTS, {"lot_ids": deletes})
        order_inserts: list[dict[str, Any]] = []
        order_updates: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for record in owed_orders.values():
            values = {c.name: getattr(record, c.name) for c in order_points.columns}
            if record.stored:
                order_updates.append(({"order_id": values.pop("order_id")}, values))
            else:
                order_inserts.append(values)
                record.stored = True
        await insert_many(session, order_points, order_inserts)
        await update_many(session, order_points, order_updates)
        await insert_many(session, qualifying, rising)


def _account_values(account: Account) -> dict[str, Any]:
    return dict(
        customer_id=account.customer_id,
        programme_id=account.programme_id,
        balance=account.balance,
        debt=account.debt,
        lifetime_earned=account.lifetime_earned,
        tier_id=account.tier_id,
        tier_since=account.tier_since,
        tier_review_at=account.tier_review_at,
        merged_into=account.merged_into,
        erased=account.erased,
        version=account.version,
        create_time=account.create_time,
        update_time=account.update_time or account.create_time,
    )


def _lot_values(lot: Lot) -> dict[str, Any]:
    return dict(
        lot_id=lot.lot_id,
        account_id=lot.account_id,
        origin_account_id=lot.origin_account_id,
        earned_at=lot.earned_at,
        expires_at=lot.expires_at,
        remaining=lot.remaining,
    )
