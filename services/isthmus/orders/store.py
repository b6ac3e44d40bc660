"""Tables of the orders schema and the repository over them.

An order is one row: the columns it is looked up and listed by, its creation fingerprint (for the
idempotency check) and its serialized ``Order`` message. Updates are conditional on the version the
handler read, so two concurrent writers cannot both win.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.protobuf.message import Message
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
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.errors import Conflict
from isthmus.orders import codec
from isthmus.orders.coupons import Coupon
from isthmus.orders.domain import Order
from isthmus.platform import jsoncodec
from isthmus.platform.sql import any_of, insert_many, update_many
from isthmus_client.api.orders.v1 import order_pb2

metadata = MetaData()

_SEQ = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("source_system", String(100), nullable=False),
    Column("external_order_id", String(200), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("state", SmallInteger, nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("erased", Boolean, nullable=False, default=False),
    # The customer master has not announced customer_id yet (the doc's customer_state is PENDING).
    Column("customer_pending", Boolean, nullable=False, server_default=false()),
    Column("doc", LargeBinary, nullable=False),
    UniqueConstraint("source_system", "external_order_id", name="uq_orders_external"),
    Index("ix_orders_customer", "customer_id", "placed_at", "order_id"),
    Index(
        "ix_orders_customer_pending",
        "customer_id",
        postgresql_where=text("customer_pending"),
        sqlite_where=text("customer_pending"),
    ),
)

history = Table(
    "order_history",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("entry_id", String(36), nullable=False, unique=True),
    Column("order_id", String(36), nullable=False, index=True),
    Column("customer_id", String(64), nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("doc", LargeBinary, nullable=False),
    Index("ix_order_history_customer", "customer_id", "seq"),
)

# Which orders a merge moved, so that undoing exactly that merge moves exactly those back.
# Customers the customer master announced (CustomerCreated and every later event naming one): the
# order service learns them from events, never from the master's tables.
known_customers = Table(
    "known_customers",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("known_at", DateTime(timezone=True), nullable=False),
)

customer_moves = Table(
    "order_customer_moves",
    metadata,
    Column("merge_id", String(64), primary_key=True),
    Column("order_id", String(36), primary_key=True),
    Column("from_customer_id", String(64), nullable=False),
    Column("to_customer_id", String(64), nullable=False),
)

coupons = Table(
    "coupons",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("max_redemptions", Integer, nullable=False),
    Column("redemption_count", Integer, nullable=False),
    Column("doc", LargeBinary, nullable=False),
)

coupon_redemptions = Table(
    "coupon_redemptions",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("order_id", String(36), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    # The customer id for once-per-customer coupons, NULL otherwise: the unique constraint then
    # enforces "once per customer" even under concurrent orders (NULLs never collide).
    Column("once_key", String(64), nullable=True),
    UniqueConstraint("code", "once_key", name="uq_coupon_once_per_customer"),
)

# --- stock (stock.py, stock_store.py) -----------------------------------------------------------------

# The articles whose stock the hub keeps; holds as JSON text (tier number -> units).
stock_items = Table(
    "stock_items",
    metadata,
    Column("sku", String(100), primary_key=True),
    Column("on_hand", BigInteger, nullable=False),
    Column("allocated", BigInteger, nullable=False),
    Column("holds", Text, nullable=False),
    Column("description", String(200), nullable=False),
    Column("expected_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
)

# Each order line of a kept article: units set aside, and units waiting (its backorder), queued since.
stock_lines = Table(
    "stock_lines",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("line_id", Text, primary_key=True),
    Column("sku", String(100), nullable=False),
    Column("allocated", BigInteger, nullable=False),
    Column("waiting", BigInteger, nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Index(
        "ix_stock_lines_waiting",
        "sku",
        "queued_at",
        postgresql_where=text("waiting > 0"),
        sqlite_where=text("waiting > 0"),
    ),
)

# The stock's audit trail.
stock_movements = Table(
    "stock_movements",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("sku", String(100), nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("reference", String(100), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("doc", LargeBinary, nullable=False),
    Index("ix_stock_movements_sku", "sku", "seq"),
    Index("ix_stock_movements_reference", "sku", "reference", "kind"),
)

# The value tier of each customer, from value.CustomerTierChanged: backorders are filled best tier
# first, and a tier's held units go to its customers.
customer_tiers = Table(
    "customer_tiers",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("tier", SmallInteger, nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
)


Record = Callable[[AsyncSession, Message, str], Awaitable[None]]

# Built once: statements with bound parameters skip SQLAlchemy's per-call construction and cache-key
# work, which is most of the CPU an order write costs.
_GET = select(orders.c.doc).where(orders.c.order_id == bindparam("order_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_BY_EXTERNAL = select(orders.c.doc, orders.c.fingerprint).where(
    orders.c.source_system == bindparam("source_system"),
    orders.c.external_order_id == bindparam("external_order_id"),
)
# Both columns from lists (one statement whatever the batch); pairs that were not asked for are dropped.
_BY_EXTERNALS = select(
    orders.c.source_system, orders.c.external_order_id, orders.c.doc, orders.c.fingerprint
).where(any_of(orders.c.source_system, "systems"), any_of(orders.c.external_order_id, "ids"))
# Locked in id order: two batches naming the same orders wait for each other instead of deadlocking.
_GET_MANY_FOR_UPDATE = (
    select(orders.c.doc).where(any_of(orders.c.order_id, "ids")).order_by(orders.c.order_id).with_for_update()
)
# The orders waiting for any of a batch's customers (the partial index of pending orders).
_PENDING_OF = (
    select(orders.c.customer_id, orders.c.order_id)
    .where(any_of(orders.c.customer_id, "ids"), orders.c.customer_pending.is_(True))
    .order_by(orders.c.customer_id, orders.c.order_id)
)
_INSERT = insert(orders)
_UPDATE = (
    update(orders)
    .where(orders.c.order_id == bindparam("b_order_id"), orders.c.version == bindparam("b_version"))
    .values(
        customer_id=bindparam("customer_id"),
        state=bindparam("state"),
        version=bindparam("version"),
        customer_pending=bindparam("customer_pending"),
        doc=bindparam("doc"),
    )
)
_IDS_OF = select(orders.c.order_id).where(any_of(orders.c.customer_id, "ids")).order_by(orders.c.order_id)
_FINGERPRINTS_OF = select(orders.c.order_id, orders.c.fingerprint).where(any_of(orders.c.order_id, "ids"))
_HISTORY_OF = (
    select(history.c.seq, history.c.order_id, history.c.doc)
    .where(any_of(history.c.order_id, "ids"))
    .order_by(history.c.seq)
)


@dataclass
class Found:
    order: Order
    fingerprint: dict[str, Any]
    message: order_pb2.Order


def _history_row(entry: order_pb2.OrderHistoryEntry) -> dict[str, Any]:
    return dict(
        entry_id=entry.entry_id,
        order_id=entry.order_id,
        customer_id=entry.customer_id,
        kind=int(entry.kind),
        occurred_at=codec.from_ts(entry.occur_time),
        doc=entry.SerializeToString(),
    )


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _load(doc: bytes) -> Order:
        return codec.from_order(order_pb2.Order.FromString(doc))

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        query = _GET_FOR_UPDATE if for_update else _GET
        doc = (await self.session.execute(query, {"order_id": order_id})).scalar_one_or_none()
        return None if doc is None else self._load(doc)

    async def get_many(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """The orders of ``order_ids`` that exist, locked for this transaction."""
        docs = (await self.session.execute(_GET_MANY_FOR_UPDATE, {"ids": list(order_ids)})).scalars()
        found = (self._load(doc) for doc in docs)
        return {order.order_id: order for order in found}

    @classmethod
    def _found(cls, doc: bytes, fingerprint: str) -> Found:
        message = order_pb2.Order.FromString(doc)
        return Found(codec.from_order(message), jsoncodec.loads(fingerprint), message)

    async def by_external(self, source_system: str, external_order_id: str) -> Found | None:
        params = {"source_system": source_system, "external_order_id": external_order_id}
        row = (await self.session.execute(_BY_EXTERNAL, params)).one_or_none()
        return None if row is None else self._found(row.doc, row.fingerprint)

    async def by_externals(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Found]:
        """The orders already stored under any of these (source system, external order id) keys."""
        wanted = set(keys)
        params = {"systems": list({s for s, _ in wanted}), "ids": [i for _, i in wanted]}
        rows = await self.session.execute(_BY_EXTERNALS, params)
        return {
            (row.source_system, row.external_order_id): self._found(row.doc, row.fingerprint)
            for row in rows
            if (row.source_system, row.external_order_id) in wanted
        }

    @staticmethod
    def _row(order: Order, fingerprint: dict[str, Any], message: order_pb2.Order) -> dict[str, Any]:
        return dict(
            order_id=order.order_id,
            source_system=order.source_system,
            external_order_id=order.external_order_id,
            customer_id=order.customer_id,
            state=int(order.state),
            placed_at=order.placed_at,
            version=order.version,
            fingerprint=jsoncodec.dumps(fingerprint),
            erased=False,
            customer_pending=order.customer_pending,
            doc=message.SerializeToString(),
        )

    async def add(self, order: Order, fingerprint: dict[str, Any]) -> order_pb2.Order:
        """Inserts the order; returns its message (the caller reuses it for the event)."""
        message = codec.order(order)
        await self.session.execute(_INSERT, self._row(order, fingerprint, message))
        return message

    async def add_many(self, created: Sequence[tuple[Order, dict[str, Any], order_pb2.Order]]) -> None:
        """Inserts new orders, each with its fingerprint and message, in one statement."""
        await insert_many(self.session, orders, [self._row(*item) for item in created])

    async def save(
        self, order: Order, read_version: int, *, message: order_pb2.Order | None = None
    ) -> order_pb2.Order:
        """Writes the order if nobody changed it since ``read_version``; returns its message."""
        message = message or codec.order(order)
        values: dict[str, Any] = dict(
            customer_id=order.customer_id,
            state=int(order.state),
            version=order.version,
            customer_pending=order.customer_pending,
            doc=message.SerializeToString(),
        )
        result = await self.session.execute(
            _UPDATE, dict(values, b_order_id=order.order_id, b_version=read_version)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"order {order.order_id} changed concurrently; read it again and retry")
        return message

    async def save_many(
        self, changed: Sequence[tuple[Order, int, order_pb2.Order]], *, erased: bool | None = None
    ) -> None:
        """Writes orders (each with the version it was read at and its message) in one statement;
        ``erased`` marks them erased (or not) too.

        Raises ``Conflict`` for the lot if any of them changed since it was read: the caller's batch
        then runs command by command, and only the stale one fails.
        """
        if not changed:
            return
        rows = [
            (
                {"order_id": order.order_id, "version": read_version},
                {
                    "customer_id": order.customer_id,
                    "state": int(order.state),
                    "version": order.version,
                    "customer_pending": order.customer_pending,
                    "doc": message.SerializeToString(),
                    **({} if erased is None else {"erased": erased}),
                },
            )
            for order, read_version, message in changed
        ]
        if await update_many(self.session, orders, rows) != len(rows):
            raise Conflict("orders changed concurrently; read them again and retry")

    async def list_for_customer(
        self,
        customer_id: str,
        states: Sequence[int],
        size: int,
        after: tuple[datetime, str] | None,
        *,
        known_only: bool = False,
    ) -> list[Order]:
        query = select(orders.c.doc).where(orders.c.customer_id == customer_id)
        if known_only:
            query = query.where(orders.c.customer_pending.is_(False))
        if states:
            query = query.where(orders.c.state.in_(states))
        if after is not None:
            placed, order_id = after
            query = query.where(
                or_(
                    orders.c.placed_at < placed,
                    and_(orders.c.placed_at == placed, orders.c.order_id < order_id),
                )
            )
        query = query.order_by(orders.c.placed_at.desc(), orders.c.order_id.desc()).limit(size)
        return [self._load(doc) for doc in (await self.session.execute(query)).scalars()]

    async def list_pending(
        self, customer_id: str, states: Sequence[int], size: int, after: tuple[datetime, str] | None
    ) -> list[Order]:
        """Orders still waiting for their customer (of one customer, or of all when it is empty)."""
        query = select(orders.c.doc).where(orders.c.customer_pending.is_(True))
        if customer_id:
            query = query.where(orders.c.customer_id == customer_id)
        if states:
            query = query.where(orders.c.state.in_(states))
        if after is not None:
            placed, order_id = after
            query = query.where(
                or_(
                    orders.c.placed_at < placed,
                    and_(orders.c.placed_at == placed, orders.c.order_id < order_id),
                )
            )
        query = query.order_by(orders.c.placed_at.desc(), orders.c.order_id.desc()).limit(size)
        return [self._load(doc) for doc in (await self.session.execute(query)).scalars()]

    async def pending_of(self, customer_ids: Sequence[str]) -> dict[str, list[str]]:
        """The orders waiting for each of these customers (only customers that have some)."""
        found: dict[str, list[str]] = {}
        if customer_ids:
            rows = await self.session.execute(_PENDING_OF, {"ids": list(set(customer_ids))})
            for customer_id, order_id in rows:
                found.setdefault(customer_id, []).append(order_id)
        return found

    async def pending_summary(self) -> tuple[int, datetime | None]:
        """How many orders wait for their customer, and since when the oldest of them was placed."""
        row = (
            await self.session.execute(
                select(func.count(), func.min(orders.c.placed_at)).where(orders.c.customer_pending.is_(True))
            )
        ).one()
        return int(row[0]), row[1]

    async def pending_but_known(self, limit: int = 1000) -> list[str]:
        """Customers that are known and still have pending orders."""
        query = (
            select(orders.c.customer_id)
            .where(
                orders.c.customer_pending.is_(True),
                orders.c.customer_id.in_(select(known_customers.c.customer_id)),
            )
            .distinct()
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def known(self, customer_ids: Sequence[str]) -> set[str]:
        """Which of these customers the customer master has announced."""
        if not customer_ids:
            return set()
        rows = await self.session.execute(
            select(known_customers.c.customer_id).where(any_of(known_customers.c.customer_id, "ids")),
            {"ids": list(set(customer_ids))},
        )
        return set(rows.scalars())

    async def learn(self, customer_ids: Sequence[str], at: datetime) -> list[str]:
        """Remember announced customers; returns those that were new."""
        new = sorted(set(customer_ids) - await self.known(customer_ids))
        if new:
            await insert_many(
                self.session, known_customers, [{"customer_id": c, "known_at": at} for c in new]
            )
        return new

    async def ids_of(self, customer_ids: Sequence[str]) -> list[str]:
        """The ids of these customers' orders, in id order."""
        rows = await self.session.execute(_IDS_OF, {"ids": list(dict.fromkeys(customer_ids))})
        return list(rows.scalars())

    # --- history ---------------------------------------------------------------------------------

    async def add_history(self, *entries: order_pb2.OrderHistoryEntry) -> None:
        await insert_many(self.session, history, [_history_row(e) for e in entries])

    async def list_history(
        self, *, order_id: str, customer_id: str, kinds: Sequence[int], size: int, after_seq: int
    ) -> list[tuple[int, order_pb2.OrderHistoryEntry]]:
        query = select(history.c.seq, history.c.doc).where(history.c.seq > after_seq)
        if order_id:
            query = query.where(history.c.order_id == order_id)
        else:
            query = query.where(history.c.customer_id == customer_id)
        if kinds:
            query = query.where(history.c.kind.in_(kinds))
        rows = await self.session.execute(query.order_by(history.c.seq).limit(size))
        return [(row.seq, order_pb2.OrderHistoryEntry.FromString(row.doc)) for row in rows]

    async def rewrite_history(self, customers: Mapping[str, str], scrub: bool) -> None:
        """After a merge/unmerge (each order's customer follows: order id -> customer id) or an
        erasure (actors' names removed): the orders' history entries, read and written with one
        statement each."""
        if not customers:
            return
        rows = (await self.session.execute(_HISTORY_OF, {"ids": list(customers)})).all()
        changes = []
        for row in rows:
            entry = order_pb2.OrderHistoryEntry.FromString(row.doc)
            entry.customer_id = customers[row.order_id]
            if scrub:
                entry.actor.display_name = ""
                entry.reason_text = ""
            changes.append(
                ({"seq": row.seq}, {"customer_id": entry.customer_id, "doc": entry.SerializeToString()})
            )
        await update_many(self.session, history, changes)

    # --- merges ----------------------------------------------------------------------------------

    async def record_moves(self, merge_id: str, moves: Sequence[tuple[str, str, str]]) -> None:
        """(order id, from customer, to customer) of each order a merge moved."""
        rows = [
            {"merge_id": merge_id, "order_id": o, "from_customer_id": f, "to_customer_id": t}
            for o, f, t in moves
        ]
        await insert_many(self.session, customer_moves, rows)

    async def moves_of(self, merge_id: str, from_ids: Sequence[str]) -> list[tuple[str, str]]:
        rows = await self.session.execute(
            select(customer_moves.c.order_id, customer_moves.c.from_customer_id).where(
                customer_moves.c.merge_id == merge_id, customer_moves.c.from_customer_id.in_(from_ids)
            )
        )
        return [(r.order_id, r.from_customer_id) for r in rows]

    async def forget_moves(self, merge_id: str) -> None:
        await self.session.execute(delete(customer_moves).where(customer_moves.c.merge_id == merge_id))

    async def fingerprints_of(self, order_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        rows = await self.session.execute(_FINGERPRINTS_OF, {"ids": list(order_ids)})
        return {row.order_id: jsoncodec.loads(row.fingerprint) for row in rows}

    async def set_fingerprints(self, fingerprints: Mapping[str, dict[str, Any]]) -> None:
        changes = [({"order_id": o}, {"fingerprint": jsoncodec.dumps(f)}) for o, f in fingerprints.items()]
        await update_many(self.session, orders, changes)


class CouponRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: str) -> Coupon | None:
        row = (
            await self.session.execute(
                select(coupons.c.doc, coupons.c.redemption_count).where(coupons.c.code == code)
            )
        ).one_or_none()
        if row is None:
            return None
        coupon = codec.from_coupon(order_pb2.Coupon.FromString(row.doc))
        coupon.redemption_count = row.redemption_count
        return coupon

    async def add(self, coupon: Coupon) -> None:
        await self.session.execute(
            insert(coupons).values(
                code=coupon.code,
                max_redemptions=coupon.max_redemptions,
                redemption_count=0,
                doc=codec.coupon(coupon).SerializeToString(),
            )
        )

    async def used_by(self, code: str, customer_id: str) -> bool:
        found = await self.session.execute(
            select(coupon_redemptions.c.order_id)
            .where(coupon_redemptions.c.code == code, coupon_redemptions.c.customer_id == customer_id)
            .limit(1)
        )
        return found.first() is not None

    async def redeem(self, coupon: Coupon, order_id: str, customer_id: str) -> bool:
        """Counts one use; False when the last allowed use was taken concurrently."""
        counted = await self.session.execute(
            update(coupons)
            .where(
                coupons.c.code == coupon.code,
                or_(coupons.c.max_redemptions == 0, coupons.c.redemption_count < coupons.c.max_redemptions),
            )
            .values(redemption_count=coupons.c.redemption_count + 1)
        )
        if counted.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await self.session.execute(
            insert(coupon_redemptions).values(
                code=coupon.code,
                order_id=order_id,
                customer_id=customer_id,
                once_key=customer_id if coupon.once_per_customer else None,
            )
        )
        return True

    async def reassign(self, from_id: str, to_id: str) -> None:
        await self.session.execute(
            update(coupon_redemptions)
            .where(coupon_redemptions.c.customer_id == from_id)
            .values(customer_id=to_id)
        )
