"""Co-purchase counts in the value schema: kept per event, read for suggestions (rules in affinity.py).

Alone (an event outside a batch, an erasure) :func:`purchased`, :func:`released` and :func:`forget`
read and write the tables themselves. A batch of order events keeps its counts in :class:`Counts`:
its customers' holdings read at once, the changes the events make gathered in memory and written
after the last of them with a statement or two a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Table, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.errors import Conflict
from isthmus.platform.sql import any_of, delete_many, insert_many, update_many, upsert_many
from isthmus.value import affinity
from isthmus.value.engagement_tables import (
    affinity_articles,
    affinity_holdings,
    affinity_pairs,
    affinity_totals,
)

TOTAL = "customers"
_HELD_BY = select(
    affinity_holdings.c.customer_id,
    affinity_holdings.c.sku,
    affinity_holdings.c.units,
    affinity_holdings.c.unit_price,
).where(any_of(affinity_holdings.c.customer_id, "ids"))
_CATALOGUE = ("category", "description", "unit_price", "currency")
# A customer's holdings: sku -> (units, the unit price last paid).
Held = dict[str, tuple[int, str | None]]


@dataclass(frozen=True)
class Line:
    """An order line as affinity needs it."""

    sku: str
    quantity: int
    category: str = ""
    description: str = ""
    unit_price: Decimal | None = None
    currency: str = ""


def _price(line: Line) -> str | None:
    return None if line.unit_price is None else str(line.unit_price)


async def _held(session: AsyncSession, customer_id: str) -> Held:
    rows = await session.execute(
        select(affinity_holdings.c.sku, affinity_holdings.c.units, affinity_holdings.c.unit_price).where(
            affinity_holdings.c.customer_id == customer_id
        )
    )
    return {r.sku: (int(r.units), r.unit_price) for r in rows}


async def _bump(session: AsyncSession, t: Table, where: dict[str, str], d: int) -> None:
    """Add ``d`` to the ``customers`` count of the row ``where`` names, making it when needed."""
    condition = [t.c[k] == v for k, v in where.items()]
    done = await session.execute(update(t).where(*condition).values(customers=t.c.customers + d))
    if getattr(done, "rowcount", 0) == 0 and d > 0:
        await session.execute(insert(t).values(**where, customers=d))


async def _apply(session: AsyncSession, deltas: affinity.Deltas, lines: Mapping[str, Line]) -> None:
    if deltas.customers:
        await _bump(session, affinity_totals, {"key": TOTAL}, deltas.customers)
    for sku, d in deltas.items.items():
        done = await session.execute(
            update(affinity_articles)
            .where(affinity_articles.c.sku == sku)
            .values(customers=affinity_articles.c.customers + d)
        )
        if getattr(done, "rowcount", 0) == 0 and d > 0:
            line = lines.get(sku, Line(sku, 0))
            await session.execute(
                insert(affinity_articles).values(
                    sku=sku,
                    customers=d,
                    category=line.category,
                    description=line.description,
                    unit_price=_price(line),
                    currency=line.currency,
                )
            )
    for (a, b), d in deltas.pairs.items():
        await _bump(session, affinity_pairs, {"sku_a": a, "sku_b": b}, d)


async def purchased(session: AsyncSession, customer_id: str, lines: Sequence[Line]) -> None:
    """Count a customer's order lines; articles they already hold add units, not customers."""
    if not lines:
        return
    held = await _held(session, customer_id)
    by_sku = {line.sku: line for line in lines}
    await _apply(session, affinity.purchase_deltas(held, by_sku), by_sku)
    for sku, line in by_sku.items():
        price = _price(line)
        units = sum(x.quantity for x in lines if x.sku == sku)
        if sku in held:
            await session.execute(
                update(affinity_holdings)
                .where(affinity_holdings.c.customer_id == customer_id, affinity_holdings.c.sku == sku)
                .values(units=affinity_holdings.c.units + units, unit_price=price)
            )
        else:
            await session.execute(
                insert(affinity_holdings).values(
                    customer_id=customer_id, sku=sku, unit_price=price, units=units
                )
            )
        # The catalogue follows the latest line: category, description and price as last sold.
        await session.execute(
            update(affinity_articles)
            .where(affinity_articles.c.sku == sku)
            .values(
                category=line.category,
                description=line.description,
                unit_price=price,
                currency=line.currency,
            )
        )


def _taken_back(held: Held, units: Mapping[str, int]) -> tuple[dict[str, int], list[str]]:
    """What returning ``units`` leaves of ``held``: the articles still held, with their units left,
    and those whose units all went back."""
    left: dict[str, int] = {}
    gone: list[str] = []
    for sku, n in units.items():
        if sku not in held or n <= 0:
            continue
        rest = held[sku][0] - n
        if rest > 0:
            left[sku] = rest
        else:
            gone.append(sku)
    return left, gone


async def released(session: AsyncSession, customer_id: str, units: Mapping[str, int]) -> None:
    """Units returned or cancelled; an article whose units all went back no longer counts for them."""
    held = await _held(session, customer_id)
    left, gone = _taken_back(held, units)
    for sku, rest in left.items():
        await session.execute(
            update(affinity_holdings)
            .where(affinity_holdings.c.customer_id == customer_id, affinity_holdings.c.sku == sku)
            .values(units=rest)
        )
    if not gone:
        return
    await _apply(session, affinity.release_deltas(held, gone), {})
    await session.execute(
        delete(affinity_holdings).where(
            affinity_holdings.c.customer_id == customer_id, affinity_holdings.c.sku.in_(gone)
        )
    )
    await session.execute(delete(affinity_articles).where(affinity_articles.c.customers <= 0))
    await session.execute(delete(affinity_pairs).where(affinity_pairs.c.customers <= 0))


async def forget(session: AsyncSession, customer_id: str) -> None:
    """An erased customer's purchases stop counting."""
    held = await _held(session, customer_id)
    if held:
        await released(session, customer_id, {sku: units for sku, (units, _) in held.items()})


class Counts:
    """The counts one transaction changes. Alone (``batched=False``) each call is the module's function
    of the same name. In a batch the holdings of its customers are read once (:meth:`prefetch`) and
    followed in memory; each event's changes to the customer total and to the article and pair counts
    are what :func:`purchased` and :func:`released` make of the holdings as the batch's earlier events
    left them, and are summed; :meth:`flush` writes them: one INSERT of the holdings made, one UPDATE of
    those changed, one DELETE of those that went, and one upsert a count table adding the sums to the
    stored counts. A count summed is the count the events left one by one: one that fell to 0 was
    deleted and made again by a later purchase, whose row is the one kept; those at 0 or below are
    deleted after the batch's releases, as after each release."""

    def __init__(self, session: AsyncSession, *, batched: bool) -> None:
        self.session = session
        self.batched = batched
        self._stored: dict[str, Held] = {}  # batched: the holdings as stored
        self._held: dict[str, Held] = {}  # ... and as the batch's events left them
        self._customers = 0  # the change of the customer total
        self._counted = False  # a customer came: the total's row is made if there is none
        self._articles: dict[str, int] = {}
        self._bought: dict[str, Line] = {}  # the last line of each article bought: the catalogue's
        self._pairs: dict[affinity.Pair, int] = {}
        self._dropped = False  # a release dropped articles: counts at 0 go

    async def prefetch(self, customer_ids: Sequence[str]) -> None:
        """Batched: read these customers' holdings (those not read yet) in one statement."""
        wanted = [c for c in dict.fromkeys(customer_ids) if c not in self._held]
        if not self.batched or not wanted:
            return
        found: dict[str, Held] = {c: {} for c in wanted}
        for r in await self.session.execute(_HELD_BY, {"ids": wanted}):
            found[r.customer_id][r.sku] = (int(r.units), r.unit_price)
        for customer_id, held in found.items():
            self._stored[customer_id] = held
            self._held[customer_id] = dict(held)

    async def _holdings(self, customer_id: str) -> Held:
        if customer_id not in self._held:
            await self.prefetch([customer_id])
        return self._held[customer_id]

    def _count(self, deltas: affinity.Deltas) -> None:
        self._customers += deltas.customers
        self._counted = self._counted or deltas.customers > 0
        for sku, d in deltas.items.items():
            self._articles[sku] = self._articles.get(sku, 0) + d
        for pair, d in deltas.pairs.items():
            self._pairs[pair] = self._pairs.get(pair, 0) + d

    async def purchased(self, customer_id: str, lines: Sequence[Line]) -> None:
        """:func:`purchased`, counted for the batch."""
        if not self.batched:
            await purchased(self.session, customer_id, lines)
            return
        if not lines:
            return
        held = await self._holdings(customer_id)
        by_sku = {line.sku: line for line in lines}
        self._count(affinity.purchase_deltas(held, by_sku))
        for sku, line in by_sku.items():
            units = sum(x.quantity for x in lines if x.sku == sku)
            held[sku] = (held[sku][0] + units if sku in held else units, _price(line))
            self._bought[sku] = line

    async def released(self, customer_id: str, units: Mapping[str, int]) -> None:
        """:func:`released`, counted for the batch."""
        if not self.batched:
            await released(self.session, customer_id, units)
            return
        held = await self._holdings(customer_id)
        left, gone = _taken_back(held, units)
        for sku, rest in left.items():
            held[sku] = (rest, held[sku][1])
        if not gone:
            return
        self._count(affinity.release_deltas(held, gone))
        for sku in gone:
            del held[sku]
        self._dropped = True

    async def forget(self, customer_id: str) -> None:
        """:func:`forget`, after what the batch owes; the customer's holdings are read again when asked."""
        await self.flush()
        self._stored.pop(customer_id, None)
        self._held.pop(customer_id, None)
        await forget(self.session, customer_id)

    async def flush(self) -> None:
        """Write what the batch owes (see the class)."""
        if not self.batched:
            return
        made, changed, went = [], [], []
        for customer_id, stored in sorted(self._stored.items()):
            held = self._held[customer_id]
            for sku, (units, price) in sorted(held.items()):
                if sku not in stored:
                    made.append({"customer_id": customer_id, "sku": sku, "unit_price": price, "units": units})
                elif stored[sku] != (units, price):
                    where = {"customer_id": customer_id, "sku": sku, "units": stored[sku][0]}
                    changed.append((where, {"units": units, "unit_price": price}))
            went += [{"customer_id": customer_id, "sku": sku} for sku in sorted(stored) if sku not in held]
            self._stored[customer_id] = dict(held)
        # A holding another transaction made meanwhile fails the INSERT, one it changed the UPDATE:
        # the batch's counts were reckoned from what it read, and its events are handled again.
        await insert_many(self.session, affinity_holdings, made)
        if await update_many(self.session, affinity_holdings, changed) != len(changed):
            raise Conflict("a customer's co-purchases in this batch changed concurrently; retry")
        await delete_many(self.session, affinity_holdings, went)
        if self._counted:
            total = [{"key": TOTAL, "customers": self._customers}]
            await upsert_many(self.session, affinity_totals, total, add=["customers"])
        elif self._customers:
            await _bump(self.session, affinity_totals, {"key": TOTAL}, self._customers)
        bought = [
            {
                "sku": sku,
                "customers": self._articles.get(sku, 0),
                "category": line.category,
                "description": line.description,
                "unit_price": _price(line),
                "currency": line.currency,
            }
            for sku, line in sorted(self._bought.items())
        ]
        await upsert_many(self.session, affinity_articles, bought, add=["customers"])
        # Articles the batch only took back: their counts change, the catalogue stays.
        taken = [
            {
                "sku": sku,
                "customers": d,
                "category": "",
                "description": "",
                "unit_price": None,
                "currency": "",
            }
            for sku, d in sorted(self._articles.items())
            if d and sku not in self._bought
        ]
        await upsert_many(self.session, affinity_articles, taken, add=["customers"], keep=_CATALOGUE)
        pairs = [{"sku_a": a, "sku_b": b, "customers": d} for (a, b), d in sorted(self._pairs.items()) if d]
        await upsert_many(self.session, affinity_pairs, pairs, add=["customers"])
        if self._dropped:
            await self.session.execute(delete(affinity_articles).where(affinity_articles.c.customers <= 0))
            await self.session.execute(delete(affinity_pairs).where(affinity_pairs.c.customers <= 0))
        self._customers, self._counted, self._dropped = 0, False, False
        self._articles, self._bought, self._pairs = {}, {}, {}


async def _customers(session: AsyncSession) -> int:
    found = await session.scalar(select(affinity_totals.c.customers).where(affinity_totals.c.key == TOTAL))
    return int(found or 0)


async def _associations(
    session: AsyncSession, skus: Sequence[str], thresholds: affinity.Thresholds
) -> list[affinity.Association]:
    if not skus:
        return []
    customers = await _customers(session)
    pairs = (
        await session.execute(
            select(affinity_pairs).where(
                or_(affinity_pairs.c.sku_a.in_(skus), affinity_pairs.c.sku_b.in_(skus)),
                affinity_pairs.c.customers >= thresholds.min_together,
            )
        )
    ).all()
    involved = {p.sku_a for p in pairs} | {p.sku_b for p in pairs}
    counts = {
        r.sku: int(r.customers)
        for r in await session.execute(
            select(affinity_articles.c.sku, affinity_articles.c.customers).where(
                affinity_articles.c.sku.in_(sorted(involved))
            )
        )
    }
    wanted = set(skus)
    found = []
    for p in pairs:
        for a, b in ((p.sku_a, p.sku_b), (p.sku_b, p.sku_a)):
            if a not in wanted:
                continue
            assoc = affinity.association(
                a, b, int(p.customers), counts.get(a, 0), counts.get(b, 0), customers
            )
            if assoc is not None and thresholds.passes(assoc):
                found.append(assoc)
    return affinity.rank(found)


async def also_bought(
    session: AsyncSession, sku: str, thresholds: affinity.Thresholds, limit: int
) -> list[affinity.Association]:
    return (await _associations(session, [sku], thresholds))[:limit]


async def catalogue(session: AsyncSession, skus: Sequence[str]) -> dict[str, affinity.Article]:
    rows = await session.execute(select(affinity_articles).where(affinity_articles.c.sku.in_(sorted(skus))))
    return {
        r.sku: affinity.Article(
            r.sku,
            r.category,
            r.description,
            None if r.unit_price is None else Decimal(r.unit_price),
            r.currency,
        )
        for r in rows
    }


async def suggestions(
    session: AsyncSession, customer_id: str, thresholds: affinity.Thresholds, limit: int
) -> tuple[list[affinity.Suggestion], dict[str, affinity.Article]]:
    held = await _held(session, customer_id)
    prices = {sku: None if price is None else Decimal(price) for sku, (_, price) in held.items()}
    associations = await _associations(session, sorted(held), thresholds)
    articles = await catalogue(session, sorted({*held, *(a.consequent for a in associations)}))
    return affinity.suggest(prices, associations, articles, limit), articles
