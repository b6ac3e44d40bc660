"""Read use cases of the customer 360: the summary and the cross-channel timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import CompoundSelect, Select, and_, bindparam, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.customers import queries
from isthmus.customers.deps import UnitOfWork
from isthmus.customers.tables import customers, view360_tables
from isthmus.customers.view360 import minor_exponent
from isthmus.kernel.enums import unlabel
from isthmus.kernel.paging import decode_token, encode_token, page_size
from isthmus.kernel.timestamps import aware, to_date, ts
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customer360_pb2 as c360
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp

T = view360_tables
RECENT_CASES = 10
TIMELINE_PREVIEW = 20  # the 360's timeline entries by default
_CASE_KINDS = (c360.TIMELINE_ENTRY_KIND_SERVICE_REQUEST, c360.TIMELINE_ENTRY_KIND_INTERACTION)


async def family(uow: UnitOfWork, customer_id: str) -> list[str]:
    """The customer and every customer merged into it, directly or through others."""
    ids, frontier = [customer_id], [customer_id]
    while frontier:
        rows = (
            await uow.session.execute(
                select(customers.c.customer_id).where(customers.c.merged_into_id.in_(frontier))
            )
        ).all()
        frontier = [r[0] for r in rows if r[0] not in ids]
        ids += frontier
    return ids


def _entry(r: Any) -> c360.TimelineEntry:
    entry = c360.TimelineEntry(
        event_id=r.event_id,
        event_type=r.event_type,
        kind=r.kind,
        occur_time=ts(r.occurred_at),
        summary=r.summary,
        references=r.refs,
    )
    # The projection keeps the channel's name; which enum it names follows from the entry's kind.
    if r.kind == c360.TIMELINE_ENTRY_KIND_ORDER and (channel := unlabel(order_pb2.OrderChannel, r.channel)):
        entry.order_channel = channel
    elif r.kind in _CASE_KINDS and (channel := unlabel(srp.Channel, r.channel)):
        entry.service_request_channel = channel
    return entry


async def timeline(
    uow: UnitOfWork, ids: list[str], kinds: list[int], size: int, token: str
) -> tuple[list[c360.TimelineEntry], str]:
    filters = (ids[0] if ids else "", sorted(kinds))
    position = decode_token(token, filters)
    t = T["timeline"]
    stmt = select(t).where(t.c.customer_id.in_(ids))
    if kinds:
        stmt = stmt.where(t.c.kind.in_(kinds))
    if position is not None:
        # After the last entry shown: an entry added meanwhile (newer, mostly) neither shifts the
        # next page nor shows twice, and a deep page costs what the first does.
        at, event_id = position.instant("before"), position.text("after")
        stmt = stmt.where(or_(t.c.occurred_at < at, and_(t.c.occurred_at == at, t.c.event_id > event_id)))
    stmt = stmt.order_by(t.c.occurred_at.desc(), t.c.event_id).limit(size + 1)
    rows = (await uow.session.execute(stmt)).all()
    if len(rows) <= size:
        return [_entry(r) for r in rows], ""
    last = rows[size - 1]
    position_after = {"before": aware(last.occurred_at).isoformat(), "after": last.event_id}
    return [_entry(r) for r in rows[:size]], encode_token(position_after, filters)


async def customer360(uow: UnitOfWork, customer_id: str, timeline_page_size: int) -> c360.Customer360:
    limit = page_size(timeline_page_size, default=TIMELINE_PREVIEW, field="timeline_page_size")
    result, ids = await summaries(uow, customer_id)
    if ids:
        entries, token = await timeline(uow, ids, [], limit, "")
        result.timeline.extend(entries)
        result.timeline_next_page_token = token
    return result


def order_summary(groups: Sequence[Any]) -> c360.OrderSummary:
    """The summary of a customer's orders from what the database added up, per currency: the orders,
    their latest time, what they brought in, and the snapshot of the order placed last (the same on
    every row): ``currency``, ``orders``, ``as_of``, ``revenue``, ``owed``, ``backordered``, ``last``."""
    summary = c360.OrderSummary(
        order_count=sum(g.orders for g in groups),
        backordered_units=sum(int(g.backordered or 0) for g in groups),
    )
    summary.revenue.extend(
        common_pb2.Money(
            amount=str(Decimal(g.revenue).scaleb(-minor_exponent(g.currency))), currency_code=g.currency
        )
        for g in sorted(groups, key=lambda g: g.currency)
        if g.revenue is not None
    )
    summary.outstanding.extend(
        common_pb2.Money(
            amount=str(Decimal(g.owed).scaleb(-minor_exponent(g.currency))), currency_code=g.currency
        )
        for g in sorted(groups, key=lambda g: g.currency)
        if g.owed
    )
    if groups:
        s = groups[0].last
        lo = c360.OrderSummary.LastOrder(
            order_id=s["order_id"],
            source_system=s["source_system"],
            external_order_id=s["external_order_id"],
            channel=unlabel(order_pb2.OrderChannel, s["channel"]),
            state=unlabel(order_pb2.OrderState, s["state"]),
            total=common_pb2.Money(amount=s["total"][0], currency_code=s["total"][1]),
            expected_delivery_date=to_date(date.fromisoformat(s["delivery"])) if s.get("delivery") else None,
            delivery_estimate_moved=bool(s.get("delivery_moved")),
        )
        if s["placed_at"]:
            lo.place_time.FromJsonString(s["placed_at"])
        if nxt := s.get("next_instalment"):
            lo.next_instalment.CopyFrom(
                order_pb2.OrderInstalment(
                    number=nxt["number"],
                    due_date=to_date(date.fromisoformat(nxt["due"])) if nxt["due"] else None,
                    amount=common_pb2.Money(amount=nxt["amount"][0], currency_code=nxt["amount"][1]),
                )
            )
        summary.last_order.CopyFrom(lo)
        summary.as_of_time.FromDatetime(max(aware(g.as_of) for g in groups))
    return summary


def _orders_summary_statement() -> Select[Any]:
    o = T["orders"]
    # IN with a placeholder per id (not ``any_of``'s array): the planner then knows how many ids.
    mine = o.c.customer_id.in_(bindparam("ids", expanding=True))
    placed_last = (
        select(o.c.snapshot).where(mine).order_by(o.c.placed_at.desc(), o.c.order_id.desc()).limit(1)
    )
    return (
        select(
            o.c.currency,
            func.count().label("orders"),
            func.max(o.c.as_of).label("as_of"),
            func.sum(o.c.revenue_minor).label("revenue"),
            func.sum(o.c.owed_minor).label("owed"),
            func.sum(o.c.backordered).label("backordered"),
            placed_last.scalar_subquery().label("last"),
        )
        .where(mine)
        .group_by(o.c.currency)
    )


_ORDERS_SUMMARY = _orders_summary_statement()  # built once: every 360 view runs it


async def orders_summary(session: AsyncSession, ids: list[str]) -> c360.OrderSummary:
    """The order summary of these customers' orders, added up by the database: one statement."""
    return order_summary((await session.execute(_ORDERS_SUMMARY, {"ids": ids})).all())


def _cases_summary_statement() -> CompoundSelect:
    c = T["cases"]
    mine = c.c.customer_id.in_(bindparam("ids", expanding=True))
    latest = select(func.max(c.c.as_of)).where(mine).scalar_subquery().label("latest")
    still_open = select(c, latest).where(mine, c.c.closed.is_(False))
    closed = select(c, latest).where(mine, c.c.closed.is_(True))
    recent = closed.order_by(c.c.opened_at.desc(), c.c.service_request_id).limit(RECENT_CASES).subquery()
    return union_all(still_open, select(recent))


_CASES_SUMMARY = _cases_summary_statement()  # built once: every 360 view runs it


async def cases_summary(session: AsyncSession, ids: list[str]) -> c360.ServiceRequestSummary:
    """These customers' open cases, oldest first, and the most recent closed ones, newest first: one
    statement, whatever the number of cases closed before."""
    rows = (await session.execute(_CASES_SUMMARY, {"ids": ids})).all()
    summary = c360.ServiceRequestSummary()
    still_open = sorted((r for r in rows if not r.closed), key=lambda r: (r.opened_at, r.service_request_id))
    recent = sorted((r for r in rows if r.closed), key=lambda r: r.service_request_id)
    recent.sort(key=lambda r: r.opened_at, reverse=True)  # newest first, as the statement chose them
    for r in [*still_open, *recent]:
        brief = c360.ServiceRequestBrief(
            service_request_id=r.service_request_id,
            subject=r.snapshot["subject"],
            kind=unlabel(srp.ServiceRequestKind, r.snapshot["kind"]),
            state=unlabel(srp.ServiceRequestState, r.snapshot["state"]),
            priority=unlabel(srp.Priority, r.snapshot["priority"]),
            sla_breached=r.sla_breached,
        )
        if r.snapshot["opened_at"]:
            brief.open_time.FromJsonString(r.snapshot["opened_at"])
        if r.snapshot["resolution_due"]:
            brief.resolution_due_time.FromJsonString(r.snapshot["resolution_due"])
        (summary.recent if r.closed else summary.open).append(brief)
    if rows:
        summary.as_of_time.FromDatetime(aware(rows[0].latest))
    return summary


async def summaries(uow: UnitOfWork, customer_id: str) -> tuple[c360.Customer360, list[str]]:
    """The 360 view without its timeline, and the customers it covers (the customer and those merged
    into it; none for an erased customer)."""
    customer = await queries.load_customer(uow, customer_id, lineage=False)
    result = c360.Customer360(customer=customer)
    if customer.state == pb.CUSTOMER_STATE_ERASED:
        return result, []
    ids = await family(uow, customer_id)
    result.orders.CopyFrom(await orders_summary(uow.session, ids))
    result.service_requests.CopyFrom(await cases_summary(uow.session, ids))
    loyalty = (
        await uow.session.execute(select(T["loyalty"]).where(T["loyalty"].c.customer_id.in_(ids)))
    ).all()
    if loyalty:
        best = max(loyalty, key=lambda r: (r.customer_id == customer_id, aware(r.as_of)))
        result.loyalty.CopyFrom(
            c360.LoyaltySummary(
                enrolled=True,
                tier_id=best.tier_id,
                tier_name=best.tier_name,
                points_balance=best.balance,
                points_debt=best.debt,
                as_of_time=ts(best.as_of),
            )
        )
    worth = (
        await uow.session.execute(select(T["value"]).where(T["value"].c.customer_id == customer_id))
    ).first()
    if worth is not None:
        s = worth.snapshot
        result.value.CopyFrom(
            c360.ValueSummary(
                lifetime_value=common_pb2.Money(amount=s["lifetime"][0], currency_code=s["lifetime"][1]),
                historical_value=common_pb2.Money(
                    amount=s["historical"][0], currency_code=s["historical"][1]
                ),
                predicted_value=common_pb2.Money(amount=s["predicted"][0], currency_code=s["predicted"][1]),
                tier=unlabel(common_pb2.ValueTier, s["tier"]),
                churn_risk=s["churn_risk"],
                alive_probability=s["alive_probability"],
                rfm=s["rfm"],
                as_of_time=ts(worth.as_of),
                # Snapshots stored before credit ranking have neither.
                credit_rank=unlabel(common_pb2.CreditRank, s.get("credit_rank", "")),
                credit_reasons=s.get("credit_reasons", []),
            )
        )

    supp = (
        await uow.session.execute(select(T["suppression"]).where(T["suppression"].c.customer_id.in_(ids)))
    ).all()
    active = [r for r in supp if r.suppressed]
    if active:
        first = min(active, key=lambda r: aware(r.since))
        result.contact_suppression.CopyFrom(
            c360.ContactSuppression(
                suppressed=True,
                reason="; ".join(r.reason for r in active if r.reason),
                service_request_ids=[i for r in active for i in r.service_request_ids],
                suppress_time=ts(first.since),
            )
        )
    return result, ids
