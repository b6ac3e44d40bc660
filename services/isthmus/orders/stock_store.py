"""The stock tables (store.py defines them) and the repository over them.

A transaction that changes stock locks the articles' rows first (in sku order) and only then any
order: a fill, which goes from an article to the orders waiting for it, and a shipment, which goes
from an order to its articles, then wait for each other instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.timestamps import from_ts
from isthmus.orders import stock
from isthmus.orders.store import customer_tiers, orders, stock_items, stock_lines, stock_movements
from isthmus.platform import jsoncodec
from isthmus.platform.sql import any_of, insert_many, update_many
from isthmus_client.api.orders.v1 import orders_pb2

_ITEMS = select(stock_items).where(any_of(stock_items.c.sku, "skus")).order_by(stock_items.c.sku)
_ITEMS_FOR_UPDATE = _ITEMS.with_for_update()
_LINES_OF = select(stock_lines).where(any_of(stock_lines.c.order_id, "ids"))
_SKUS_OF = select(stock_lines.c.sku).where(any_of(stock_lines.c.order_id, "ids")).distinct()
_TIER = customer_tiers.c.tier


def _waiting(*columns: Any) -> Select[Any]:
    """``columns`` of the lines that wait for units, in orders that can still take them."""
    return (
        select(*columns)
        .join(orders, orders.c.order_id == stock_lines.c.order_id)
        .where(stock_lines.c.waiting > 0, orders.c.state.in_([int(s) for s in stock.TAKES_UNITS]))
    )


# The lines waiting for an article: the best tier first, then the oldest.
_WAITING = (
    _waiting(stock_lines.c.order_id, stock_lines.c.line_id, stock_lines.c.waiting, _TIER)
    .outerjoin(customer_tiers, customer_tiers.c.customer_id == orders.c.customer_id)
    .where(stock_lines.c.sku == bindparam("sku"))
    .order_by(
        _TIER.is_(None),
        _TIER,
        stock_lines.c.queued_at,
        stock_lines.c.order_id,
        stock_lines.c.line_id,
    )
)
# Lines holding units of an article, the latest orders first (a count that finds fewer takes theirs).
_HOLDING = (
    select(stock_lines.c.order_id, stock_lines.c.line_id, stock_lines.c.allocated)
    .where(stock_lines.c.sku == bindparam("sku"), stock_lines.c.allocated > 0)
    .order_by(stock_lines.c.queued_at.desc(), stock_lines.c.order_id.desc(), stock_lines.c.line_id)
)
_BACKORDERED = (
    _waiting(stock_lines.c.sku, func.sum(stock_lines.c.waiting).label("units"))
    .where(any_of(stock_lines.c.sku, "skus"))
    .group_by(stock_lines.c.sku)
)
_RECEIVED = select(stock_movements.c.seq).where(
    stock_movements.c.sku == bindparam("sku"),
    stock_movements.c.reference == bindparam("reference"),
    stock_movements.c.kind == int(stock.Movement.RECEIVED),
)
_TIERS = select(customer_tiers.c.customer_id, _TIER).where(any_of(customer_tiers.c.customer_id, "ids"))


@dataclass
class LineStock:
    """A stock_lines row: an order line of a kept article."""

    order_id: str
    line_id: str
    sku: str
    allocated: int
    waiting: int
    queued_at: datetime
    stored: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return self.order_id, self.line_id


def _item(row: object) -> stock.Item:
    holds = jsoncodec.loads(row.holds)  # type: ignore[attr-defined]
    return stock.Item(
        row.sku,  # type: ignore[attr-defined]
        row.on_hand,  # type: ignore[attr-defined]
        row.allocated,  # type: ignore[attr-defined]
        {int(t): int(q) for t, q in holds.items()},
        row.description,  # type: ignore[attr-defined]
        row.expected_at,  # type: ignore[attr-defined]
        row.version,  # type: ignore[attr-defined]
        row.update_time,  # type: ignore[attr-defined]
    )


def _item_row(item: stock.Item) -> dict[str, object]:
    return {
        "on_hand": item.on_hand,
        "allocated": item.allocated,
        "holds": jsoncodec.dumps({str(t): q for t, q in sorted(item.holds.items())}),
        "description": item.description,
        "expected_at": item.expected_at,
        "version": item.version + 1,
        "update_time": item.update_time,
    }


class StockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def items(self, skus: Iterable[str], *, for_update: bool = False) -> dict[str, stock.Item]:
        """The kept articles among ``skus`` (locked, in sku order, with ``for_update``)."""
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        query = _ITEMS_FOR_UPDATE if for_update else _ITEMS
        rows = await self.session.execute(query, {"skus": wanted})
        return {row.sku: _item(row) for row in rows}

    async def save(self, items: Iterable[stock.Item]) -> None:
        """Writes changed articles: new ones (version 0) inserted, the others updated; each version up
        by one. Their rows are locked by this transaction, so no version check is needed."""
        new, changed = [], []
        for item in items:
            row = _item_row(item)
            if item.version == 0:
                new.append({"sku": item.sku, **row})
            else:
                changed.append(({"sku": item.sku}, row))
            item.version += 1
        await insert_many(self.session, stock_items, new)
        await update_many(self.session, stock_items, changed)

    async def skus_of(self, order_ids: Sequence[str]) -> list[str]:
        """The kept articles these orders' lines take or wait for (fixed when each order was taken)."""
        if not order_ids:
            return []
        rows = await self.session.execute(_SKUS_OF, {"ids": list(set(order_ids))})
        return sorted(rows.scalars())

    async def lines_of(self, order_ids: Sequence[str]) -> dict[tuple[str, str], LineStock]:
        if not order_ids:
            return {}
        rows = await self.session.execute(_LINES_OF, {"ids": list(set(order_ids))})
        return {
            (r.order_id, r.line_id): LineStock(
                r.order_id, r.line_id, r.sku, r.allocated, r.waiting, r.queued_at
            )
            for r in rows
        }

    async def save_lines(self, lines: Iterable[LineStock]) -> None:
        new, changed = [], []
        for x in lines:
            values = {"allocated": x.allocated, "waiting": x.waiting}
            if x.stored:
                changed.append(({"order_id": x.order_id, "line_id": x.line_id}, values))
            else:
                new.append(
                    {"order_id": x.order_id, "line_id": x.line_id, "sku": x.sku, "queued_at": x.queued_at}
                    | values
                )
                x.stored = True
        await insert_many(self.session, stock_lines, new)
        await update_many(self.session, stock_lines, changed)

    async def forget_lines(self, order_id: str) -> None:
        await self.session.execute(delete(stock_lines).where(stock_lines.c.order_id == order_id))

    async def waiting(self, sku: str) -> list[stock.Waiting]:
        rows = await self.session.execute(_WAITING, {"sku": sku})
        return [
            stock.Waiting(r.order_id, r.line_id, r.waiting, stock.UNTIERED if r.tier is None else r.tier)
            for r in rows
        ]

    async def holding(self, sku: str) -> list[tuple[str, str, int]]:
        """(order id, line id, units) of the lines holding units of ``sku``, latest orders first."""
        rows = await self.session.execute(_HOLDING, {"sku": sku})
        return [(r.order_id, r.line_id, r.allocated) for r in rows]

    async def backordered(self, skus: Sequence[str]) -> dict[str, int]:
        """Units waiting per article, in orders that can still take them."""
        if not skus:
            return {}
        rows = await self.session.execute(_BACKORDERED, {"skus": sorted(set(skus))})
        return {r.sku: int(r.units) for r in rows}

    async def kept(self, after: str, size: int, *, backordered_only: bool) -> list[stock.Item]:
        """Kept articles by sku after ``after``; with ``backordered_only``, those lines wait for."""
        query = select(stock_items).where(stock_items.c.sku > after).order_by(stock_items.c.sku).limit(size)
        if backordered_only:
            query = query.where(stock_items.c.sku.in_(_waiting(stock_lines.c.sku)))
        return [_item(row) for row in await self.session.execute(query)]

    async def backorder_summary(self) -> tuple[int, datetime | None]:
        """Units waiting for kept articles in orders that can still take them, and since when the
        oldest waits."""
        query = _waiting(func.coalesce(func.sum(stock_lines.c.waiting), 0), func.min(stock_lines.c.queued_at))
        units, oldest = (await self.session.execute(query)).one()
        return int(units), oldest

    async def unserved(self, limit: int = 100) -> list[str]:
        """Articles with units on hand not set aside while order lines wait for them."""
        query = (
            select(stock_lines.c.sku)
            .join(stock_items, stock_items.c.sku == stock_lines.c.sku)
            .where(stock_lines.c.waiting > 0, stock_items.c.on_hand > stock_items.c.allocated)
            .distinct()
            .limit(limit)
        )
        return sorted((await self.session.execute(query)).scalars())

    async def received(self, sku: str, reference: str) -> bool:
        rows = await self.session.execute(_RECEIVED, {"sku": sku, "reference": reference})
        return rows.first() is not None

    async def add_movements(self, movements: Sequence[orders_pb2.StockMovement]) -> None:
        rows = [
            {
                "sku": m.sku,
                "kind": int(m.kind),
                "reference": m.reference[:100],
                "occurred_at": from_ts(m.occur_time),
                "doc": m.SerializeToString(),
            }
            for m in movements
        ]
        await insert_many(self.session, stock_movements, rows)

    async def movements(
        self, sku: str, after_seq: int, size: int
    ) -> list[tuple[int, orders_pb2.StockMovement]]:
        query = (
            select(stock_movements.c.seq, stock_movements.c.doc)
            .where(stock_movements.c.sku == sku, stock_movements.c.seq > after_seq)
            .order_by(stock_movements.c.seq)
            .limit(size)
        )
        rows = await self.session.execute(query)
        return [(r.seq, orders_pb2.StockMovement.FromString(r.doc)) for r in rows]

    # --- tiers -------------------------------------------------------------------------------------

    async def tiers_of(self, customer_ids: Iterable[str]) -> dict[str, int]:
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        rows = await self.session.execute(_TIERS, {"ids": ids})
        return {r.customer_id: r.tier for r in rows}

    async def tier_of(self, customer_id: str) -> int:
        """The customer's value tier, or ``stock.UNTIERED``."""
        return (await self.tiers_of([customer_id])).get(customer_id, stock.UNTIERED)

    async def forget_tier(self, customer_id: str) -> None:
        await self.session.execute(delete(customer_tiers).where(customer_tiers.c.customer_id == customer_id))

    async def set_tier(self, customer_id: str, tier: int, at: datetime) -> None:
        known = await self.tiers_of([customer_id])
        if customer_id in known:
            await update_many(
                self.session,
                customer_tiers,
                [({"customer_id": customer_id}, {"tier": tier, "update_time": at})],
            )
        else:
            await insert_many(
                self.session, customer_tiers, [{"customer_id": customer_id, "tier": tier, "update_time": at}]
            )
