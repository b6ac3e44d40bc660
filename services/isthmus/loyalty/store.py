"""Tables of the loyalty schema and the repository over them.

``loyalty_ledger`` is append-only: rows are inserted, never updated or deleted (an erasure scrubs
free text inside the stored entry, the numbers stay). The account row caches the ledger's sum and
is updated with its version, so concurrent writers to one account cannot both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.api.loyalty.v1 import loyalty_pb2
from isthmus.loyalty import codec
from isthmus.loyalty.domain import Account, Entry, Lot
from isthmus.orders.money import Money
from isthmus.platform.errors import Conflict

metadata = MetaData()

_SEQ = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only


class _UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite hands back naive ones otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_TS = _UtcDateTime()

accounts = Table(
    "loyalty_accounts",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("customer_id", String(64), nullable=False, unique=True),
    Column("programme_id", String(64), nullable=False),
    Column("balance", BigInteger, nullable=False),
    Column("debt", BigInteger, nullable=False),
    Column("lifetime_earned", BigInteger, nullable=False),
    Column("tier_id", String(64), nullable=False),
    Column("tier_since", _TS, nullable=False),
    Column("tier_review_at", _TS, nullable=False, index=True),
    Column("merged_into", String(36), nullable=True, index=True),
    Column("erased", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("create_time", _TS, nullable=False),
    Column("update_time", _TS, nullable=False),
)

ledger = Table(
    "loyalty_ledger",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("entry_id", String(36), nullable=False, unique=True),
    Column("account_id", String(36), nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("occurred_at", _TS, nullable=False),
    # "redeem:<key>" / "adjust:<key>": a retried write finds its first entry here.
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("fingerprint", Text, nullable=False),
    Column("doc", LargeBinary, nullable=False),
    Index("ix_loyalty_ledger_account", "account_id", "seq"),
)

lots = Table(
    "loyalty_lots",
    metadata,
    Column("lot_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("origin_account_id", String(36), nullable=False),
    Column("earned_at", _TS, nullable=False),
    Column("expires_at", _TS, nullable=True, index=True),
    Column("remaining", BigInteger, nullable=False),
)

# Per paid order: what it earned and what was taken back, so awards happen once and claw-backs
# stay proportional however many returns there are.
order_points = Table(
    "loyalty_orders",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("origin_account_id", String(36), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("paid", Boolean, nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Column("awarded", BigInteger, nullable=False),
    Column("clawed", BigInteger, nullable=False),
    Column("refundable_minor", BigInteger, nullable=False),
    Column("refunded_minor", BigInteger, nullable=False),
    Column("spend_minor", BigInteger, nullable=False),
    Column("spend_clawed_minor", BigInteger, nullable=False),
    # Return ids already counted (JSON list): a return repeated under a new event id counts once.
    Column("returns_seen", Text, nullable=False),
)

# Qualifying activity for tiers over the rolling window (earned points and spend, and their reversals).
qualifying = Table(
    "loyalty_qualifying",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("account_id", String(36), nullable=False),
    Column("origin_account_id", String(36), nullable=False),
    Column("occurred_at", _TS, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("spend_minor", BigInteger, nullable=False),
    Index("ix_loyalty_qualifying_account", "account_id", "occurred_at"),
)


# Built once: statements with bound parameters skip SQLAlchemy's per-call construction work.
_ACCOUNT_BY_CUSTOMER = select(accounts).where(accounts.c.customer_id == bindparam("key")).with_for_update()
_ACCOUNT_BY_ID = select(accounts).where(accounts.c.account_id == bindparam("key")).with_for_update()
_LOTS_OF = select(lots).where(lots.c.account_id == bindparam("account_id"), lots.c.remaining > 0)
_INSERT_ACCOUNT = insert(accounts)
_UPDATE_ACCOUNT = (
    update(accounts)
    .where(accounts.c.account_id == bindparam("b_account_id"), accounts.c.version == bindparam("b_version"))
    .values({c.name: bindparam(c.name) for c in accounts.columns if c.name != "account_id"})
)
_INSERT_LEDGER = insert(ledger)
_INSERT_LOT = insert(lots)
_UPDATE_LOT = (
    update(lots)
    .where(lots.c.lot_id == bindparam("b_lot_id"))
    .values(account_id=bindparam("account_id"), remaining=bindparam("remaining"))
)
_DELETE_LOT = delete(lots).where(lots.c.lot_id == bindparam("b_lot_id"))
_ORDER = select(order_points).where(order_points.c.order_id == bindparam("order_id")).with_for_update()
_INSERT_ORDER = insert(order_points)
_UPDATE_ORDER = (
    update(order_points)
    .where(order_points.c.order_id == bindparam("b_order_id"))
    .values({c.name: bindparam(c.name) for c in order_points.columns if c.name != "order_id"})
)
_INSERT_QUALIFYING = insert(qualifying)


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


class LoyaltyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- accounts --------------------------------------------------------------------------------

    async def account(self, *, customer_id: str = "", account_id: str = "") -> Account | None:
        """The account, locked for this transaction, with its unexpired lots."""
        query, key = (_ACCOUNT_BY_CUSTOMER, customer_id) if customer_id else (_ACCOUNT_BY_ID, account_id)
        row = (await self.session.execute(query, {"key": key})).mappings().one_or_none()
        if row is None:
            return None
        account = Account(
            account_id=row["account_id"],
            customer_id=row["customer_id"],
            programme_id=row["programme_id"],
            tier_id=row["tier_id"],
            tier_since=row["tier_since"],
            tier_review_at=row["tier_review_at"],
            create_time=row["create_time"],
            balance=row["balance"],
            debt=row["debt"],
            lifetime_earned=row["lifetime_earned"],
            version=row["version"],
            update_time=row["update_time"],
            merged_into=row["merged_into"],
            erased=row["erased"],
        )
        found = await self.session.execute(_LOTS_OF, {"account_id": account.account_id})
        account.lots = [
            Lot(r.lot_id, r.account_id, r.origin_account_id, r.earned_at, r.expires_at, r.remaining)
            for r in found
        ]
        return account

    async def save(self, account: Account) -> None:
        """Writes the account, its new ledger entries and changed lots; checks the version read."""
        values = dict(
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
            version=account.version + 1,
            create_time=account.create_time,
            update_time=account.update_time or account.create_time,
        )
        if account.version == 0:
            await self.session.execute(_INSERT_ACCOUNT, dict(values, account_id=account.account_id))
        else:
            result = await self.session.execute(
                _UPDATE_ACCOUNT, dict(values, b_account_id=account.account_id, b_version=account.version)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(f"loyalty account {account.account_id} changed concurrently; retry")
        account.version += 1
        if account.pending:
            await self.session.execute(
                _INSERT_LEDGER,
                [
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
                    for e in account.pending
                ],
            )
            account.pending = []
        for lot in [x for x in account.lots if x.dirty]:
            await self._save_lot(lot)
        account.lots = [x for x in account.lots if x.remaining > 0]

    async def _save_lot(self, lot: Lot) -> None:
        lot.dirty, new = False, lot.new
        lot.new = False
        if lot.remaining == 0:
            if not new:
                await self.session.execute(_DELETE_LOT, {"b_lot_id": lot.lot_id})
        elif new:
            await self.session.execute(
                _INSERT_LOT,
                dict(
                    lot_id=lot.lot_id,
                    account_id=lot.account_id,
                    origin_account_id=lot.origin_account_id,
                    earned_at=lot.earned_at,
                    expires_at=lot.expires_at,
                    remaining=lot.remaining,
                ),
            )
        else:
            params = {"b_lot_id": lot.lot_id, "account_id": lot.account_id, "remaining": lot.remaining}
            await self.session.execute(_UPDATE_LOT, params)

    async def merged_accounts(self, account_id: str) -> list[Account]:
        rows = await self.session.execute(
            select(accounts.c.account_id).where(accounts.c.merged_into == account_id)
        )
        found = [await self.account(account_id=a) for a in rows.scalars()]
        return [a for a in found if a is not None]

    async def accounts_due(self, now: datetime, limit: int) -> list[str]:
        """Accounts with points to expire or a tier review due at ``now``."""
        expiring = select(lots.c.account_id).where(lots.c.expires_at <= now, lots.c.remaining > 0).distinct()
        reviews = select(accounts.c.account_id).where(
            accounts.c.tier_review_at <= now, accounts.c.merged_into.is_(None)
        )
        ids = set((await self.session.execute(expiring.limit(limit))).scalars())
        ids.update((await self.session.execute(reviews.limit(limit))).scalars())
        return sorted(ids)[:limit]

    # --- ledger ----------------------------------------------------------------------------------

    async def entry_by_key(self, key: str) -> tuple[Entry, str] | None:
        row = (
            await self.session.execute(
                select(ledger.c.doc, ledger.c.fingerprint).where(ledger.c.idempotency_key == key)
            )
        ).one_or_none()
        if row is None:
            return None
        return codec.from_entry(loyalty_pb2.LedgerEntry.FromString(row.doc)), row.fingerprint

    async def entries(
        self, account_ids: Sequence[str], kinds: Sequence[int], size: int, before_seq: int | None
    ) -> list[tuple[int, loyalty_pb2.LedgerEntry]]:
        query = select(ledger.c.seq, ledger.c.doc).where(ledger.c.account_id.in_(account_ids))
        if kinds:
            query = query.where(ledger.c.kind.in_(kinds))
        if before_seq is not None:
            query = query.where(ledger.c.seq < before_seq)
        rows = await self.session.execute(query.order_by(ledger.c.seq.desc()).limit(size))
        return [(r.seq, loyalty_pb2.LedgerEntry.FromString(r.doc)) for r in rows]

    async def ledger_sum(self, account_id: str) -> int:
        total = await self.session.execute(
            select(func.coalesce(func.sum(ledger.c.points), 0)).where(ledger.c.account_id == account_id)
        )
        return int(total.scalar_one())

    async def scrub_ledger(self, account_id: str) -> None:
        """Erasure: free text and people's names leave the entries; numbers and reasons' ids stay."""
        rows = (
            await self.session.execute(
                select(ledger.c.seq, ledger.c.doc).where(ledger.c.account_id == account_id)
            )
        ).all()
        for row in rows:
            entry = loyalty_pb2.LedgerEntry.FromString(row.doc)
            entry.reason.text = ""
            entry.actor.display_name = ""
            await self.session.execute(
                update(ledger)
                .where(ledger.c.seq == row.seq)
                .values(doc=entry.SerializeToString(), fingerprint="")
            )

    # --- orders and qualifying activity ----------------------------------------------------------

    async def order(self, order_id: str) -> OrderPoints | None:
        row = (await self.session.execute(_ORDER, {"order_id": order_id})).mappings().one_or_none()
        return None if row is None else OrderPoints(**dict(row), stored=True)

    async def save_order(self, record: OrderPoints) -> None:
        values = {c.name: getattr(record, c.name) for c in order_points.columns}
        if record.stored:
            del values["order_id"]
            await self.session.execute(_UPDATE_ORDER, dict(values, b_order_id=record.order_id))
        else:
            await self.session.execute(_INSERT_ORDER, values)
            record.stored = True

    async def add_qualifying(
        self, account: Account, at: datetime, points: int, spend: Money, origin_account_id: str | None = None
    ) -> None:
        await self.session.execute(
            _INSERT_QUALIFYING,
            dict(
                account_id=account.account_id,
                origin_account_id=origin_account_id or account.account_id,
                occurred_at=at,
                points=points,
                currency=spend.currency,
                spend_minor=spend.minor,
            ),
        )

    async def qualifying_since(self, account_id: str, since: datetime) -> tuple[int, dict[str, Decimal]]:
        rows = await self.session.execute(
            select(qualifying.c.currency, func.sum(qualifying.c.points), func.sum(qualifying.c.spend_minor))
            .where(qualifying.c.account_id == account_id, qualifying.c.occurred_at > since)
            .group_by(qualifying.c.currency)
        )
        points, spend = 0, {}
        for currency, p, s in rows:
            points += int(p or 0)
            spend[currency] = Money.from_minor(int(s or 0), currency).amount
        return points, spend

    async def move_activity(self, from_account: str, to_account: str, origin: str | None = None) -> None:
        """Qualifying activity and order records follow a merge (or, by origin, an unmerge)."""
        for table in (qualifying, order_points):
            query = update(table).where(table.c.account_id == from_account)
            if origin is not None:
                query = query.where(table.c.origin_account_id == origin)
            await self.session.execute(query.values(account_id=to_account))
