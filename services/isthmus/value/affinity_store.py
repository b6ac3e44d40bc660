"""Co-purchase counts in the value schema: kept per event, read for suggestions (rules in affinity.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Table, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.value import affinity
from isthmus.value.engagement_tables import (
    affinity_articles,
    affinity_holdings,
    affinity_pairs,
    affinity_totals,
)

TOTAL = "customers"


@dataclass(frozen=True)
class Line:
    """An order line as affinity needs it."""

    sku: str
    quantity: int
    category: str = ""
    description: str = ""
    unit_price: Decimal | None = None
    currency: str = ""


async def _held(session: AsyncSession, customer_id: str) -> dict[str, tuple[int, str | None]]:
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
                    unit_price=None if line.unit_price is None else str(line.unit_price),
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
        price = None if line.unit_price is None else str(line.unit_price)
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


async def released(session: AsyncSession, customer_id: str, units: Mapping[str, int]) -> None:
    """Units returned or cancelled; an article whose units all went back no longer counts for them."""
    held = await _held(session, customer_id)
    gone = []
    for sku, n in units.items():
        if sku not in held or n <= 0:
            continue
        left = held[sku][0] - n
        if left > 0:
            await session.execute(
                update(affinity_holdings)
                .where(affinity_holdings.c.customer_id == customer_id, affinity_holdings.c.sku == sku)
                .values(units=left)
            )
        else:
            gone.append(sku)
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
