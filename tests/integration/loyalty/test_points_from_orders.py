"""Points from paid orders, claw-backs on returns and cancellations, debt, and the ledger cache."""

from __future__ import annotations

import uuid

import grpc
import pytest

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import orders_pb2 as orders_events
from isthmus_client.api.loyalty.v1 import loyalty_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2

pytestmark = pytest.mark.postgres


def customer() -> str:
    return str(uuid.uuid4())


async def account(services, customer_id: str) -> loyalty_pb2.Account:
    return (await services.loyalty.GetAccount(loyalty_pb2.GetAccountRequest(customer_id=customer_id))).account


async def test_a_paid_order_earns_points_once_by_rule_category_and_promotion(services):
    who = customer()
    order, paid = await services.place_and_pay(who)
    await services.settle()
    await services.deliver(paid)  # the same payment again under another event id
    got = await account(services, who)
    # TV 400 x2 (electronics) + socks 10 = 810 base; March promotion 0.5 x 410 = 205.
    assert got.balance == 1015 and got.lifetime_earned == 1015
    assert got.tier.tier_id == "silver", "1000 qualifying points upgrade at once"
    ledger = await services.loyalty.ListLedgerEntries(loyalty_pb2.ListLedgerEntriesRequest(customer_id=who))
    [earn] = ledger.ledger_entries
    assert earn.kind == loyalty_pb2.LEDGER_ENTRY_KIND_EARN and earn.reason.order_id == order.order_id
    assert list(earn.reason.rule_ids) == ["base-eur"] and list(earn.reason.promotion_ids) == ["march-double"]
    assert earn.reason.event_id, "the OrderPaid event that caused it"
    assert earn.expire_time.ToDatetime().year == 2027
    await services.check_cache_equals_ledger()


async def test_orders_below_the_minimum_earn_nothing_from_that_rule(services):
    who = customer()
    await services.place_and_pay(who, [("PEN", 1, "10.00", "office")])
    await services.settle()
    assert (await account(services, who)).balance == 5, "only the promotion: 0.5 x 10"


async def test_a_return_after_payment_claws_back_in_proportion(services):
    who = customer()
    order, _paid = await services.place_and_pay(who)
    await services.settle()
    shipped = (
        await services.orders.ShipOrder(
            orders_pb2.ShipOrderRequest(order_id=order.order_id, expected_version=2)
        )
    ).order
    returned = await services.orders.ReturnOrderLines(
        orders_pb2.ReturnOrderLinesRequest(
            order_id=order.order_id,
            expected_version=shipped.version,
            request_id=f"r1-{order.order_id}",
            lines=[
                order_pb2.ReturnLine(line_id="2", quantity=1, reason_code=order_pb2.RETURN_REASON_DAMAGED)
            ],
        )
    )
    await services.settle()
    # The same return again, under an event id the inbox has not seen, takes nothing more.
    await services.deliver(
        orders_events.OrderReturned(order=returned.order, order_return=returned.order_return)
    )
    got = await account(services, who)
    # 2.98 refunded of 488.85 refundable: 1015 x 2.98 / 488.85 = 6.19 -> 6 points back.
    assert got.balance == 1009
    second = await services.orders.ReturnOrderLines(
        orders_pb2.ReturnOrderLinesRequest(
            order_id=order.order_id,
            expected_version=returned.order.version,
            request_id=f"r2-{order.order_id}",
            lines=[
                order_pb2.ReturnLine(line_id="1", quantity=1, reason_code=order_pb2.RETURN_REASON_DEFECTIVE),
                order_pb2.ReturnLine(line_id="2", quantity=3, reason_code=order_pb2.RETURN_REASON_DAMAGED),
            ],
        )
    )
    await services.settle()
    got = await account(services, who)
    assert got.balance == 0 and got.debt == 0, "a full return takes back exactly what was earned"
    clawbacks = await services.loyalty.ListLedgerEntries(
        loyalty_pb2.ListLedgerEntriesRequest(customer_id=who, kinds=[loyalty_pb2.LEDGER_ENTRY_KIND_CLAWBACK])
    )
    assert [e.points for e in clawbacks.ledger_entries] == [-1009, -6]
    assert clawbacks.ledger_entries[0].reason.return_id == second.order_return.return_id
    await services.check_cache_equals_ledger()


async def test_a_cancellation_before_payment_awards_nothing(services):
    who = customer()
    created = await services.orders.CreateOrder(
        orders_pb2.CreateOrderRequest(
            source_system="webshop",
            external_order_id=uuid.uuid4().hex,
            customer_id=who,
            channel=order_pb2.ORDER_CHANNEL_PHONE,
            currency_code="EUR",
            lines=[
                order_pb2.OrderLine(
                    sku="A",
                    quantity=1,
                    unit_price=common_pb2.Money(amount="50", currency_code="EUR"),
                )
            ],
        )
    )
    cancelled = (
        await services.orders.CancelOrder(
            orders_pb2.CancelOrderRequest(
                order_id=created.order.order_id,
                expected_version=1,
                reason_code=order_pb2.CANCELLATION_REASON_CUSTOMER_REQUEST,
            )
        )
    ).order
    assert cancelled.state == order_pb2.ORDER_STATE_CANCELLED
    await services.settle()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await account(services, who)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_cancellation_after_spending_the_points_records_debt_settled_by_later_earnings(services):
    who = customer()
    order, _paid = await services.place_and_pay(who)
    await services.settle()
    await services.loyalty.RedeemPoints(
        loyalty_pb2.RedeemPointsRequest(
            customer_id=who, points=1000, request_id=f"k-{who}", description="voucher"
        )
    )
    await services.orders.CancelOrder(
        orders_pb2.CancelOrderRequest(
            order_id=order.order_id,
            expected_version=2,
            reason_code=order_pb2.CANCELLATION_REASON_FRAUD_SUSPECTED,
        )
    )
    await services.settle()
    got = await account(services, who)
    assert (got.balance, got.debt) == (0, 1000), (
        "15 left to take, 1000 more owed: the balance never goes negative"
    )
    await services.place_and_pay(who, [("PEN", 10, "10.00", "office")])
    await services.settle()
    got = await account(services, who)
    # 100 base + 50 promotion, x1.5 for silver (the tier stays until review) = 225; 1000 debt takes all of it.
    assert (got.balance, got.debt) == (0, 775)
    assert services.balance_seen(got.account_id) == (0, 775), "the settlement is an event too"
    await services.check_cache_equals_ledger()


async def test_redemption_is_idempotent_and_never_above_the_balance(services):
    who = customer()
    await services.place_and_pay(who)
    await services.settle()
    request = loyalty_pb2.RedeemPointsRequest(customer_id=who, points=15, request_id=f"r-{who}")
    first = await services.loyalty.RedeemPoints(request)
    again = await services.loyalty.RedeemPoints(request)
    assert first.ledger_entry.entry_id == again.ledger_entry.entry_id and again.account.balance == 1000
    assert (first.outcome, again.outcome) == (
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    )
    request.points = 16
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await services.loyalty.RedeemPoints(request)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS and "points" in err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await services.loyalty.RedeemPoints(
            loyalty_pb2.RedeemPointsRequest(customer_id=who, points=1001, request_id="x" + who)
        )
    assert (
        err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        and "1000 points available" in err.value.details()
    )


async def test_manual_adjustments_need_a_reason_and_cannot_overdraw(services):
    who = customer()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await services.loyalty.AdjustPoints(loyalty_pb2.AdjustPointsRequest(customer_id=who, points=50))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "reason" in err.value.details()
    done = await services.loyalty.AdjustPoints(
        loyalty_pb2.AdjustPointsRequest(customer_id=who, points=50, reason="goodwill", request_id=f"g-{who}")
    )
    assert done.account.balance == 50 and done.ledger_entry.reason.text == "goodwill"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await services.loyalty.AdjustPoints(
            loyalty_pb2.AdjustPointsRequest(customer_id=who, points=-51, reason="typo", request_id=f"t-{who}")
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    programme = (await services.loyalty.GetProgramme(loyalty_pb2.GetProgrammeRequest())).programme
    assert programme.programme_id == "test" and [t.tier_id for t in programme.tiers] == [
        "member",
        "silver",
        "gold",
    ]
    await services.check_cache_equals_ledger()
