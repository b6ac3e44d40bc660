"""The value use cases: facts in from events, the customer's value recomputed, events out.

Every handler is idempotent on its own (an order counts once whatever the event ids, a return once
per return id, a case once per id), on top of the inbox that makes a redelivery a no-op.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from google.protobuf.message import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.money import MINOR_UNITS, Money
from isthmus.value import codec, domain
from isthmus.value.batch_store import repository
from isthmus.value.config import ValueConfig
from isthmus.value.store import OrderRow, ValueRepository
from isthmus.value.tables import models as models_table
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import value_pb2 as events_pb2
from isthmus_client.api.value.v1 import value_pb2

log = logging.getLogger("isthmus.value")

Record = Callable[[AsyncSession, Message, str, str], Awaitable[None]]
# Changes of lifetime value smaller than this share are not worth an event after a refit.
REFIT_EVENT_SHARE = 0.05


async def _no_outbox(
    session: AsyncSession, message: Message, aggregate_id: str, causation_id: str = ""
) -> None:
    return None


class NoExchangeRate(ValueError):
    """An amount in a currency the configuration has no rate for."""


class CurrentModel:
    """The model in force, read again when a newer fit is stored (shared by a process' handlers)."""

    def __init__(self) -> None:
        self.model: domain.Model | None = None
        self._seq = 0

    async def refresh(self, session: AsyncSession) -> domain.Model | None:
        query = select(models_table.c.seq, models_table.c.doc).order_by(models_table.c.seq.desc()).limit(1)
        found = (
            await session.execute(select(models_table.c.seq).order_by(models_table.c.seq.desc()).limit(1))
        ).scalar()
        if found is not None and found != self._seq:
            row = (await session.execute(query)).one()
            self.model = codec.model_of(value_pb2.ValueModel.FromString(row.doc))
            self._seq = row.seq
        return self.model

    def set(self, model: domain.Model, seq: int | None = None) -> None:
        self.model = model
        if seq is not None:
            self._seq = seq


@dataclass
class Uow:
    session: AsyncSession
    config: ValueConfig
    clock: Callable[[], datetime]
    record: Record
    current: CurrentModel
    event_id: str = ""
    repo: ValueRepository = field(init=False)

    def __post_init__(self) -> None:
        # The batch's when the session handles a batch of events (batch_store.py).
        self.repo = repository(self.session)

    def settings(self) -> domain.Settings:
        return settings_of(self.config)


def settings_of(config: ValueConfig) -> domain.Settings:
    return domain.Settings(
        yearly_rate=config.discount_rate,
        horizon_months=config.horizon_months,
        churn_alive_below=config.churn_alive_below,
        churn_overdue_factor=config.churn_overdue_factor,
        minor_per_unit=10 ** MINOR_UNITS[config.currency],
    )


def credit_settings_of(config: ValueConfig) -> domain.CreditSettings:
    return domain.CreditSettings(
        due_days=config.payment_due_days,
        window_days=config.credit_window_days,
        good_after=config.credit_good_after,
    )


def to_reporting(amount: Decimal, currency: str, config: ValueConfig) -> int:
    """``amount`` of ``currency`` in minor units of the reporting currency."""
    rate = config.rate(currency)
    if rate is None:
        raise NoExchangeRate(
            f"no exchange rate from {currency} to {config.currency}: add it to ISTHMUS_VALUE_EXCHANGE_RATES"
        )
    return Money.of(amount * rate, config.currency).minor


# --- orders ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaidOrder:
    order_id: str
    customer_id: str
    currency: str
    placed_at: datetime
    total: Decimal
    tax: Decimal
    refundable: Decimal  # goods less discounts plus tax: what returns can refund
    cost: Decimal | None  # cost of goods, when the order carries it
    balance: Decimal | None = None  # what the customer still owes on it (None: the event does not say)
    next_due: date | None = None  # the day the next unpaid flex-pay instalment is due


def cost_of(attributes: dict[str, str], config: ValueConfig, order_id: str) -> Decimal | None:
    raw = attributes.get(config.cost_attribute, "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        # A bad field is kept out of the sums and said loudly; the order still counts.
        log.warning(
            "order %s: attribute %s=%r is not a cost; counted without cost",
            order_id,
            config.cost_attribute,
            raw,
        )
        return None
    return value


def _due(order: OrderRow, day: date | None, config: ValueConfig) -> datetime | None:
    """When an amount due on ``day`` is overdue: at the end of that day, and never before
    ``payment_due_days`` after this context learned of the order. An import of last year's orders
    is not overdue the day it runs: a customer is held to no date the hub did not know of."""
    if day is None:
        return None
    grace = order.known_at + timedelta(days=config.payment_due_days) if order.known_at else None
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    return max(end, grace) if grace is not None else end


def _owed(order: OrderRow, cmd: PaidOrder, config: ValueConfig) -> None:
    """What a paid order still owes (its unpaid instalments) and when, from the order's event. What
    is owed only ever falls and its due date only ever moves on, so an older event repeated late
    changes nothing."""
    if cmd.balance is None:
        return
    order.owed_minor = min(order.owed_minor, to_reporting(cmd.balance, cmd.currency, config))
    due = _due(order, cmd.next_due, config) if order.owed_minor > 0 else None
    if due is not None and order.due_at is not None:
        due = max(due, order.due_at)
    order.due_at = due


def _new_order(cmd: PaidOrder, customer_id: str, uow: Uow) -> OrderRow:
    """An order this context learns of now, for ``customer_id`` (the one the event named, after
    merges), owing its total."""
    return OrderRow(
        order_id=cmd.order_id,
        customer_id=customer_id,
        # The customer the event named: an unmerge gives the order back to it.
        origin_customer_id=cmd.customer_id,
        placed_at=cmd.placed_at,
        returns_seen=json.dumps([]),
        owed_minor=to_reporting(cmd.total, cmd.currency, uow.config),
        known_at=uow.clock(),
    )


async def order_placed(cmd: PaidOrder, uow: Uow) -> None:
    """An order awaits its payment: owed from now, due ``payment_due_days`` after it was placed or,
    when the hub learned of it later (an import of old orders), after it arrived."""
    cid, row = await uow.repo.resolve(cmd.customer_id)
    if row is not None and row["erased"]:
        return
    if await uow.repo.order(cmd.order_id) is not None:
        return  # told again, or its payment came first
    config, now = uow.config, uow.clock()
    order = _new_order(cmd, cid, uow)
    order.payment = domain.Payment.UNPAID
    order.due_at = max(cmd.placed_at, now) + timedelta(days=config.payment_due_days)
    await uow.repo.save_order(order)
    await rescore(cid, uow, "credit", resolved=row, credit_only=True)


async def order_paid(cmd: PaidOrder, paid_at: datetime, uow: Uow) -> None:
    cid, row = await uow.repo.resolve(cmd.customer_id)
    if row is not None and row["erased"]:
        return
    existing = await uow.repo.order(cmd.order_id)
    if existing is not None and existing.payment != domain.Payment.UNPAID:
        return
    config = uow.config
    if existing is None:
        order = _new_order(cmd, cid, uow)
    else:  # placed before: it follows the customer it was placed for
        order = existing
        if order.due_at is not None and paid_at > order.due_at:
            order.late_at = paid_at
    order.revenue_minor = to_reporting(cmd.total - cmd.tax, cmd.currency, config)
    order.cost_minor = to_reporting(cmd.cost, cmd.currency, config) if cmd.cost is not None else 0
    order.payment, order.settled_at, order.due_at = domain.Payment.PAID, paid_at, None
    if cmd.balance is None:  # an order event from before flex-pay: paid, it owes nothing
        order.owed_minor = 0
    _owed(order, cmd, config)
    await uow.repo.save_order(order)
    await rescore(order.customer_id, uow, "scored", resolved=row if existing is None else None)


async def order_repriced(cmd: PaidOrder, uow: Uow) -> None:
    """An order taken without a final price got it: what it owes is its new total."""
    order = await uow.repo.order(cmd.order_id)
    if order is None or order.cancelled or order.payment != domain.Payment.UNPAID:
        return
    order.owed_minor = to_reporting(cmd.total, cmd.currency, uow.config)
    await uow.repo.save_order(order)
    await rescore(order.customer_id, uow, "credit", credit_only=True)


async def instalment_paid(cmd: PaidOrder, paid_at: datetime, uow: Uow) -> None:
    """A flex-pay instalment paid: less is owed, the next instalment falls due; paid after its due
    date, it is a strike."""
    order = await uow.repo.order(cmd.order_id)
    if order is None or order.cancelled or order.payment != domain.Payment.PAID:
        return  # not known paid here (an instalment comes after checkout): nothing to settle
    if order.owed_minor and order.due_at is not None and paid_at > order.due_at:
        order.late_at = max(paid_at, order.late_at) if order.late_at else paid_at
    _owed(order, cmd, uow.config)
    await uow.repo.save_order(order)
    await rescore(order.customer_id, uow, "credit", credit_only=True)


async def order_returned(cmd: PaidOrder, return_id: str, refund: Decimal, exchange: bool, uow: Uow) -> None:
    if exchange or refund <= 0:
        return
    order = await uow.repo.order(cmd.order_id)
    if order is None:
        return  # never paid as far as this context knows: nothing to net
    if return_id in order.returns:
        return
    config = uow.config
    # The refund includes the returned goods' tax; value counts revenue without tax.
    share = refund / cmd.refundable if cmd.refundable > 0 else Decimal(1)
    untaxed = refund * (cmd.refundable - cmd.tax) / cmd.refundable if cmd.refundable > 0 else refund
    order.refunded_minor += to_reporting(untaxed, cmd.currency, config)
    if order.cost_minor:
        order.cost_returned_minor = min(
            order.cost_minor, order.cost_returned_minor + round(order.cost_minor * min(share, Decimal(1)))
        )
    order.returns_seen = json.dumps([*order.returns, return_id])
    if order.payment == domain.Payment.PAID:
        _owed(order, cmd, config)  # returned goods are owed no more
    await uow.repo.save_order(order)
    await rescore(order.customer_id, uow, "scored")


async def order_cancelled(
    order_id: str, was_paid: bool, payment_failed: bool, at: datetime, uow: Uow
) -> None:
    """A paid order's value is taken back; an unpaid one is no longer owed, and counts against the
    customer's credit when it was cancelled because the payment failed."""
    order = await uow.repo.order(order_id)
    if order is None or order.cancelled:
        return
    if not was_paid and order.payment == domain.Payment.PAID:
        return  # a stale event: this context holds it paid
    order.cancelled = True
    unpaid = order.payment == domain.Payment.UNPAID
    if unpaid and payment_failed:
        order.payment, order.settled_at = domain.Payment.FAILED, at
    await uow.repo.save_order(order)
    await rescore(order.customer_id, uow, "credit" if unpaid else "scored", credit_only=unpaid)


# --- service requests --------------------------------------------------------------------------


async def case_opened(
    service_request_id: str, customer_id: str, kind: str, opened_at: datetime, uow: Uow
) -> None:
    if not customer_id or await uow.repo.has_case(service_request_id):
        return
    cid, row = await uow.repo.resolve(customer_id)
    if row is not None and row["erased"]:
        return
    cost = Money.of(uow.config.service_cost(kind), uow.config.currency).minor
    await uow.repo.add_case(
        dict(
            service_request_id=service_request_id,
            customer_id=cid,
            origin_customer_id=customer_id,
            opened_at=opened_at,
            kind=kind,
            cost_minor=cost,
            tier_at_open=int(row["tier"]) if row is not None else 0,
        )
    )
    await rescore(cid, uow, "scored", resolved=row)


# --- customers ---------------------------------------------------------------------------------


async def customers_merged(surviving_id: str, merged_ids: Sequence[str], uow: Uow) -> None:
    merged = [m for m in merged_ids if m and m != surviving_id]
    if not merged:
        return
    await uow.repo.move_facts(merged, surviving_id)
    for customer_id in merged:
        if await uow.repo.customer(customer_id) is None:
            await uow.repo.save_customer(_empty(customer_id, uow.clock()), new=True)
    await uow.repo.mark_merged(merged, surviving_id)
    await rescore(surviving_id, uow, "merge")


async def customer_unmerged(from_id: str, restored_ids: Sequence[str], uow: Uow) -> None:
    for restored in restored_ids:
        origins, frontier = [restored], [restored]
        while frontier:  # customers merged into the restored one before came with it
            frontier = [c for f in frontier for c in await uow.repo.merged_into(f) if c not in origins]
            origins += frontier
        for origin in origins:
            await uow.repo.move_facts([from_id], restored, origin=origin)
        await uow.repo.mark_merged([restored], None)
        await rescore(restored, uow, "merge")
    await rescore(from_id, uow, "merge")


async def customer_erased(customer_id: str, uow: Uow) -> None:
    """Erasure: the customer's orders and cases leave this context; a tombstone keeps late events out."""
    await uow.repo.forget_facts(customer_id)
    values = _empty(customer_id, uow.clock())
    values["erased"] = True
    row = await uow.repo.customer(customer_id)
    if row is not None:
        values["version"] = row["version"] + 1
    await uow.repo.save_customer(values, new=row is None)


# --- scoring -----------------------------------------------------------------------------------


def _empty(customer_id: str, now: datetime) -> dict[str, Any]:
    return dict(
        customer_id=customer_id,
        merged_into=None,
        erased=False,
        revenue_minor=0,
        cost_minor=0,
        service_minor=0,
        margin_minor=0,
        historical_minor=0,
        predicted_minor=0,
        lifetime_minor=0,
        expected_spend_minor=0,
        expected_purchases=0.0,
        alive_probability=1.0,
        orders=0,
        repeat_purchases=0,
        mean_repeat_minor=0,
        first_purchase_at=None,
        last_purchase_at=None,
        rfm_recency=0,
        rfm_frequency=0,
        rfm_monetary=0,
        tier=0,
        churn_risk=False,
        churn_reason=0,
        model_id="",
        version=1,
        update_time=now,
        credit_rank=0,
        credit="{}",
        credit_review_at=None,
    )


def values_of(
    customer_id: str, h: domain.History, s: domain.Score, c: domain.Credit, now: datetime
) -> dict[str, Any]:
    values = _empty(customer_id, now)
    values.update(
        revenue_minor=h.revenue,
        cost_minor=h.cost,
        service_minor=h.service,
        margin_minor=h.margin,
        historical_minor=h.historical,
        predicted_minor=s.predicted,
        lifetime_minor=s.lifetime,
        expected_spend_minor=s.expected_spend,
        expected_purchases=s.expected_purchases,
        alive_probability=s.alive_probability,
        orders=h.orders,
        repeat_purchases=h.repeat_purchases,
        mean_repeat_minor=h.mean_repeat,
        first_purchase_at=h.first_purchase_at,
        last_purchase_at=h.last_purchase_at,
        rfm_recency=s.rfm[0],
        rfm_frequency=s.rfm[1],
        rfm_monetary=s.rfm[2],
        tier=int(s.tier),
        churn_risk=s.churn != domain.Churn.NONE,
        churn_reason=int(s.churn),
        model_id=s.model_id,
        **credit_columns(c, now),
    )
    return values


def credit_columns(c: domain.Credit, now: datetime) -> dict[str, Any]:
    """The value_customers columns of a credit rank worked out at ``now``."""
    return {
        "credit_rank": int(c.rank),
        "credit": codec.credit_json(c, now),
        "credit_review_at": c.review_at,
    }


# What the value event says: a change of any of these is worth telling.
_VISIBLE = (
    "revenue_minor", "cost_minor", "service_minor", "historical_minor", "predicted_minor",
    "lifetime_minor", "tier", "churn_risk", "orders", "rfm_recency", "rfm_frequency", "rfm_monetary",
)  # fmt: skip


async def rescore(
    customer_id: str,
    uow: Uow,
    reason: str,
    *,
    resolved: dict[str, Any] | None = None,
    credit_only: bool = False,
) -> dict[str, Any] | None:
    """Recomputes the customer's value from its facts; records the events a change calls for.
    ``resolved``: the customer's row as this transaction already read (and locked) it. With
    ``credit_only`` (a fact that moves no revenue: an order placed, an instalment paid, an unpaid order
    cancelled) only the credit rank is worked out again, not the models' scores, unless the customer
    has no row yet."""
    row: dict[str, Any] | None
    if resolved is not None and resolved["customer_id"] == customer_id:
        cid, row = customer_id, resolved
    else:
        cid, row = await uow.repo.resolve(customer_id)
    if row is not None and row["erased"]:
        return None
    orders, cases = await uow.repo.facts(cid)
    now = uow.clock()
    if credit_only and row is not None:
        credit = domain.credit(orders, now, credit_settings_of(uow.config))
        values = {**row, **credit_columns(credit, now), "version": row["version"] + 1, "update_time": now}
        await uow.repo.save_customer(values, new=False)
        await announce(uow, row, values, reason)
        return values
    h = domain.history(orders, cases, uow.config.discount_rate)
    score = domain.score(h, uow.current.model, uow.settings(), now)
    credit = domain.credit(orders, now, credit_settings_of(uow.config))
    values = values_of(cid, h, score, credit, now)
    if row is not None:
        values["version"] = row["version"] + 1
        values["merged_into"] = row["merged_into"]
    await uow.repo.save_customer(values, new=row is None)
    await announce(uow, row, values, reason)
    return values


async def announce(uow: Uow, before: dict[str, Any] | None, after: dict[str, Any], reason: str) -> None:
    currency = uow.config.currency
    if before is None or any(before[k] != after[k] for k in _VISIBLE) or codec.credit_changed(before, after):
        message = events_pb2.CustomerValueChanged(value=codec.customer_value(after, currency))
        await uow.record(uow.session, message, after["customer_id"], uow.event_id)
    old_tier = before["tier"] if before is not None else 0
    if after["tier"] != old_tier and after["tier"]:
        changed = events_pb2.CustomerTierChanged(
            customer_id=after["customer_id"],
            from_tier=cast("common_pb2.ValueTier", old_tier),
            to_tier=cast("common_pb2.ValueTier", after["tier"]),
            lifetime_value=codec.money(after["lifetime_minor"], currency),
            reason=reason,
        )
        await uow.record(uow.session, changed, after["customer_id"], uow.event_id)
