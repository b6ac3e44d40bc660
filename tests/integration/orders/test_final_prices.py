"""Orders taken without a final price: paid only once every line has it, with totals, percent coupons
and flex-pay plans worked out on it, through gRPC on PostgreSQL."""

from __future__ import annotations

import uuid

import grpc
import pytest

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2

pytestmark = pytest.mark.postgres


async def refused(call, request, code: grpc.StatusCode) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call(request)
    assert error.value.code() == code, error.value.details()
    return str(error.value.details())


def price(line_id: str, amount: str, currency: str = "EUR") -> orders_pb2.FinalPrice:
    return orders_pb2.FinalPrice(line_id=line_id, unit_price={"amount": amount, "currency_code": currency})


async def test_a_line_priced_later_is_paid_at_its_final_price(orders, make_order, money):
    code = f"TEN{uuid.uuid4().hex[:6].upper()}"
    coupon = order_pb2.Coupon(
        code=code, discount_kind=order_pb2.COUPON_DISCOUNT_KIND_PERCENT, percent_off="10"
    )
    await orders.CreateCoupon(orders_pb2.CreateCouponRequest(coupon=coupon))
    request = make_order(coupon_codes=[code])
    request.lines[0].price_pending = True  # the television's price is an estimate: 400.00
    order = (await orders.CreateOrder(request)).order
    assert order.lines[0].price_pending and order.discount_total.amount == "41.00"
    early = orders_pb2.PayOrderRequest(order_id=order.order_id, amount=order.total, payment_reference="p")
    assert "without a final price (1)" in await refused(
        orders.PayOrder, early, grpc.StatusCode.FAILED_PRECONDITION
    )

    done = orders_pb2.SetFinalPricesRequest(order_id=order.order_id, lines=[price("2", "3.00")])
    assert "line 2 has its final price" in await refused(
        orders.SetFinalPrices, done, grpc.StatusCode.FAILED_PRECONDITION
    )
    final = orders_pb2.SetFinalPricesRequest(
        order_id=order.order_id, lines=[price("1", "450.00")], reason="the model delivered"
    )
    repriced = (await orders.SetFinalPrices(final)).order
    assert not repriced.lines[0].price_pending
    assert (repriced.subtotal.amount, repriced.discount_total.amount) == ("460.00", "46.00")  # 10 % again
    assert repriced.total.amount == "497.80"  # 460.00 - 46.00 + 78.85 tax + 4.95 shipping
    history = await orders.ListOrderHistoryEntries(
        orders_pb2.ListOrderHistoryEntriesRequest(order_id=order.order_id)
    )
    [entry] = [e for e in history.order_history_entries if e.kind == order_pb2.ORDER_HISTORY_KIND_REPRICED]
    assert entry.reason_text == "the model delivered" and entry.lines[0].unit_price.amount == "450.00"
    paid = await orders.PayOrder(
        orders_pb2.PayOrderRequest(order_id=order.order_id, amount=repriced.total, payment_reference="p")
    )
    assert paid.order.state == order_pb2.ORDER_STATE_PAID
    late = orders_pb2.SetFinalPricesRequest(order_id=order.order_id, lines=[price("1", "500.00")])
    assert "PAID" in await refused(orders.SetFinalPrices, late, grpc.StatusCode.FAILED_PRECONDITION)


async def test_a_flex_pay_plan_follows_the_final_price(orders, make_order):
    request = make_order()
    request.lines[0].price_pending, request.lines[0].instalments = True, 2
    order = (await orders.CreateOrder(request)).order
    assert [i.amount.amount for i in order.instalments] == ["255.34", "238.46"]
    repriced = (
        await orders.SetFinalPrices(
            orders_pb2.SetFinalPricesRequest(order_id=order.order_id, lines=[price("1", "300.00")])
        )
    ).order
    total = sum(float(i.amount.amount) for i in repriced.instalments)
    assert (
        f"{total:.2f}" == repriced.total.amount and repriced.due_at_checkout == repriced.instalments[0].amount
    )


async def test_bad_final_prices_are_refused_naming_the_field(orders, make_order):
    request = make_order()
    request.lines[0].price_pending = True
    order = (await orders.CreateOrder(request)).order
    cases = [
        (orders_pb2.SetFinalPricesRequest(order_id=order.order_id), "lines"),
        (
            orders_pb2.SetFinalPricesRequest(
                order_id=order.order_id, lines=[orders_pb2.FinalPrice(line_id="1")]
            ),
            "lines[0].unit_price",
        ),
        (
            orders_pb2.SetFinalPricesRequest(order_id=order.order_id, lines=[price("1", "4.5.0")]),
            "lines[0].unit_price",
        ),
        (
            orders_pb2.SetFinalPricesRequest(order_id=order.order_id, lines=[price("1", "450.00", "USD")]),
            "lines[0].unit_price",
        ),
        (
            orders_pb2.SetFinalPricesRequest(order_id=order.order_id, lines=[price("9", "1.00")]),
            "lines[0].line_id",
        ),
        (
            orders_pb2.SetFinalPricesRequest(
                order_id=order.order_id, lines=[price("1", "1.00"), price("1", "2.00")]
            ),
            "lines[1].line_id",
        ),
    ]
    for bad, field in cases:
        assert field in await refused(orders.SetFinalPrices, bad, grpc.StatusCode.INVALID_ARGUMENT)


async def test_an_order_sent_again_with_a_pending_lines_new_price_is_the_same_order(orders, make_order):
    """A source sends the order again as it knows it now: a pending line at another estimate, or at
    its final price, is the same line (SetFinalPrices sets the price); any other line's price is not."""
    request = make_order()
    request.lines[0].price_pending = True
    first = await orders.CreateOrder(request)
    again = orders_pb2.CreateOrderRequest()
    again.CopyFrom(request)
    again.lines[0].unit_price.amount, again.lines[0].price_pending = "412.30", False
    replayed = await orders.CreateOrder(again)
    assert replayed.outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    assert replayed.order.order_id == first.order.order_id and replayed.order.lines[0].price_pending
    other = orders_pb2.CreateOrderRequest()
    other.CopyFrom(request)
    other.lines[1].unit_price.amount = "9.99"
    assert "lines[1].unit_price" in await refused(orders.CreateOrder, other, grpc.StatusCode.ALREADY_EXISTS)
