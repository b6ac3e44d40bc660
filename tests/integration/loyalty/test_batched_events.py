"""Loyalty handles a batch of events in one transaction: the result is what the same events one by one
give, including an account that is created, upgraded and credited again within the batch."""

from __future__ import annotations

import uuid

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import orders_pb2 as orders_events
from isthmus_client.api.loyalty.v1 import loyalty_pb2
from isthmus_client.api.orders.v1 import order_pb2

pytestmark = pytest.mark.postgres


def eur(amount: str) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency_code="EUR")


def now(services) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(services.clock())
    return stamp


def paid_order(customer_id: str, tv_price: str, paid_at: Timestamp) -> orders_events.OrderPaid:
    """A paid order as OrderService would announce it: one TV (electronics) and nothing else."""
    order = order_pb2.Order(
        order_id=str(uuid.uuid4()),
        customer_id=customer_id,
        currency_code="EUR",
        lines=[order_pb2.OrderLine(line_id="1", sku="TV", quantity=1, category="electronics")],
        subtotal=eur(tv_price),
        discount_total=eur("0.00"),
        tax_total=eur("0.00"),
        total=eur(tv_price),
        state=order_pb2.ORDER_STATE_PAID,
    )
    order.lines[0].unit_price.CopyFrom(eur(tv_price))
    order.lines[0].line_total.CopyFrom(eur(tv_price))
    return orders_events.OrderPaid(order=order, amount=eur(tv_price), pay_time=paid_at)


async def ledger(services, customer_id: str) -> list[tuple[int, int]]:
    listed = await services.loyalty.ListLedgerEntries(
        loyalty_pb2.ListLedgerEntriesRequest(customer_id=customer_id)
    )
    return sorted((e.kind, e.points) for e in listed.ledger_entries)


async def test_a_batch_of_payments_earns_what_the_same_payments_one_by_one_earn(services):
    together, alone = f"cust-{uuid.uuid4().hex[:8]}", f"cust-{uuid.uuid4().hex[:8]}"
    at = now(services)
    prices = ["400.00", "120.00", "800.00"]  # the first reaches silver (1,000 points) on its own

    await services.deliver(*(paid_order(together, p, at) for p in prices))
    for price in prices:
        await services.deliver(paid_order(alone, price, at))

    batched = (await services.loyalty.GetAccount(loyalty_pb2.GetAccountRequest(customer_id=together))).account
    single = (await services.loyalty.GetAccount(loyalty_pb2.GetAccountRequest(customer_id=alone))).account
    assert batched.tier.tier_id == single.tier.tier_id == "gold", "4,450 qualifying points: gold at 3,000"
    assert (batched.balance, batched.lifetime_earned, batched.qualifying_points) == (
        single.balance,
        single.lifetime_earned,
        single.qualifying_points,
    )
    assert await ledger(services, together) == await ledger(services, alone)
    listed = await services.loyalty.ListLedgerEntries(
        loyalty_pb2.ListLedgerEntriesRequest(customer_id=together)
    )
    earned = [
        e.points for e in reversed(listed.ledger_entries) if e.kind == loyalty_pb2.LEDGER_ENTRY_KIND_EARN
    ]
    # As a member: 2 points per euro of electronics plus the March promotion's half point. The first
    # order reaches silver (1,000 points), so the two after it earn more than a member would.
    assert earned[0] == 1000 and earned[1] > 300 and earned[2] > 2000
    assert await services.check_cache_equals_ledger() >= 2


async def test_a_payment_delivered_twice_in_one_batch_earns_once(services):
    who = f"cust-{uuid.uuid4().hex[:8]}"
    at = now(services)
    payment = paid_order(who, "50.00", at)
    await services.deliver(payment, payment)
    got = (await services.loyalty.GetAccount(loyalty_pb2.GetAccountRequest(customer_id=who))).account
    assert got.balance == 50 * 2 + 25
    assert [k for k, _ in await ledger(services, who)] == [loyalty_pb2.LEDGER_ENTRY_KIND_EARN]
