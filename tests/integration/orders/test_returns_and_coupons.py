"""Returns, exchanges and coupons through gRPC on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import REGISTRY

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2
from isthmus_client.errors import COUPON_REJECTED, error_info

pytestmark = pytest.mark.postgres


async def shipped(orders, request):
    order = (await orders.CreateOrder(request)).order
    await orders.PayOrder(
        orders_pb2.PayOrderRequest(
            order_id=order.order_id, expected_version=1, amount=order.total, payment_reference="p"
        )
    )
    return (
        await orders.ShipOrder(orders_pb2.ShipOrderRequest(order_id=order.order_id, expected_version=2))
    ).order


def line(
    line_id: str, quantity: int, reason=order_pb2.RETURN_REASON_DAMAGED, **extra
) -> order_pb2.ReturnLine:
    return order_pb2.ReturnLine(line_id=line_id, quantity=quantity, reason_code=reason, **extra)


async def test_partial_returns_refund_their_share_and_all_returns_refund_all_but_shipping(orders, make_order):
    order = await shipped(orders, make_order())
    first = await orders.ReturnOrderLines(
        orders_pb2.ReturnOrderLinesRequest(
            order_id=order.order_id,
            expected_version=3,
            request_id=f"r1-{order.order_id}",
            lines=[line("2", 1, reason_text="torn")],
        )
    )
    # Socks: 10.00 of the 410.00 subtotal carry 1.92 of the 78.85 tax: net 11.92, 2.98 a pair.
    assert first.order_return.refund.amount == "2.98"
    again = await orders.ReturnOrderLines(
        orders_pb2.ReturnOrderLinesRequest(
            order_id=order.order_id,
            expected_version=3,
            request_id=f"r1-{order.order_id}",
            lines=[line("2", 1, reason_text="torn")],
        )
    )
    assert again == first.__class__(
        order=first.order, order_return=first.order_return, outcome=again.outcome
    ), "the same request_id again changes nothing and answers as the first time"
    assert (first.outcome, again.outcome) == (
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    )
    rest = await orders.ReturnOrderLines(
        orders_pb2.ReturnOrderLinesRequest(
            order_id=order.order_id,
            expected_version=first.order.version,
            request_id=f"r2-{order.order_id}",
            lines=[line("2", 3, order_pb2.RETURN_REASON_SIZE_OR_FIT), line("1", 1)],
        )
    )
    assert rest.order.refunded_total.amount == "488.85", "everything but the 4.95 shipping"
    assert rest.order.lines[1].returned_quantity == 4
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.ReturnOrderLines(
            orders_pb2.ReturnOrderLinesRequest(
                order_id=order.order_id,
                expected_version=rest.order.version,
                request_id=f"r3-{order.order_id}",
                lines=[line("1", 1)],
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "lines[0].quantity" in err.value.details()
    history = await orders.ListOrderHistoryEntries(
        orders_pb2.ListOrderHistoryEntriesRequest(
            customer_id=order.customer_id, kinds=[order_pb2.ORDER_HISTORY_KIND_RETURNED]
        )
    )
    assert [e.amount.amount for e in history.order_history_entries] == ["2.98", "485.87"]
    assert order_pb2.RETURN_REASON_SIZE_OR_FIT in history.order_history_entries[1].return_reasons


async def test_an_exchange_refunds_nothing_and_a_changed_retry_is_already_exists(orders, make_order):
    order = await shipped(orders, make_order())
    swapped = await orders.ReturnOrderLines(
        orders_pb2.ReturnOrderLinesRequest(
            order_id=order.order_id,
            expected_version=3,
            request_id=f"x1-{order.order_id}",
            exchange=True,
            lines=[line("2", 2, order_pb2.RETURN_REASON_SIZE_OR_FIT, replacement_sku="SOCK-L")],
        )
    )
    assert swapped.order_return.refund.amount == "0.00" and swapped.order_return.exchange
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.ReturnOrderLines(
            orders_pb2.ReturnOrderLinesRequest(
                order_id=order.order_id,
                expected_version=3,
                request_id=f"x1-{order.order_id}",
                exchange=True,
                lines=[line("2", 1)],
            )
        )
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS and "lines[0].quantity" in err.value.details()


async def test_returning_before_shipping_names_the_state(orders, make_order):
    order = (await orders.CreateOrder(make_order())).order
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.ReturnOrderLines(
            orders_pb2.ReturnOrderLinesRequest(
                order_id=order.order_id, expected_version=1, lines=[line("1", 1)]
            )
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "is PLACED" in err.value.details()


def stamp(value) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


async def coupon(orders, clock, money, **fields) -> str:
    code = f"C{uuid.uuid4().hex[:8]}".upper()
    base = dict(code=code.lower(), discount_kind=order_pb2.COUPON_DISCOUNT_KIND_PERCENT, percent_off="10")
    base.update(fields)
    await orders.CreateCoupon(orders_pb2.CreateCouponRequest(coupon=order_pb2.Coupon(**base)))
    return code


async def rejected(orders, request, rejection: int) -> str:
    """The refusal of an order for its coupon: a client reads which coupon and why from the ErrorInfo."""
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.CreateOrder(request)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(err.value) == (
        COUPON_REJECTED,
        {"field": "coupon_codes[0]", "rejection": order_pb2.CouponRejection.Name(rejection)},
    )
    return err.value.details()


async def test_a_coupon_discounts_the_order_once_per_customer(orders, make_order, clock, money):
    code = await coupon(orders, clock, money, once_per_customer=True)
    order = (await orders.CreateOrder(make_order(coupon_codes=[code]))).order
    assert order.discount_total.amount == "41.00" and order.total.amount == "452.80"
    assert order.adjustments[-1].coupon_code == code
    details = await rejected(
        orders, make_order(order.customer_id, coupon_codes=[code]), order_pb2.COUPON_REJECTION_ALREADY_USED
    )
    assert "coupon_codes[0]" in details and "ALREADY_USED" in details
    assert ((await orders.GetCoupon(orders_pb2.GetCouponRequest(code=code))).coupon).redemption_count == 1


async def test_unknown_expired_and_wrong_currency_coupons_are_refused_clearly(
    orders, make_order, clock, money
):
    unknown = make_order(coupon_codes=["NOPE-" + uuid.uuid4().hex])
    assert "UNKNOWN" in await rejected(orders, unknown, order_pb2.COUPON_REJECTION_UNKNOWN)
    expired = await coupon(orders, clock, money, end_time=stamp(clock.now - timedelta(days=1)))
    assert "EXPIRED" in await rejected(
        orders, make_order(coupon_codes=[expired]), order_pb2.COUPON_REJECTION_EXPIRED
    )
    usd = await coupon(
        orders,
        clock,
        money,
        discount_kind=order_pb2.COUPON_DISCOUNT_KIND_FIXED_AMOUNT,
        percent_off="",
        amount_off=money("5.00", "USD"),
    )
    assert "WRONG_CURRENCY" in await rejected(
        orders, make_order(coupon_codes=[usd]), order_pb2.COUPON_REJECTION_WRONG_CURRENCY
    )
    check = await orders.ValidateCoupon(
        orders_pb2.ValidateCouponRequest(code=usd, subtotal=money("20.00", "USD"))
    )
    assert check.valid and check.discount.amount == "5.00"
    check = await orders.ValidateCoupon(
        orders_pb2.ValidateCouponRequest(code=expired, subtotal=money("20.00"))
    )
    assert not check.valid and check.rejection == order_pb2.COUPON_REJECTION_EXPIRED


async def test_a_coupon_code_is_taken_once(orders, clock, money):
    code = await coupon(orders, clock, money)
    again = await orders.CreateCoupon(
        orders_pb2.CreateCouponRequest(
            coupon=order_pb2.Coupon(
                code=code, discount_kind=order_pb2.COUPON_DISCOUNT_KIND_PERCENT, percent_off="10.0"
            )
        )
    )
    assert again.outcome == common_pb2.WRITE_OUTCOME_REPLAYED, "the same coupon again is a retry"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.CreateCoupon(
            orders_pb2.CreateCouponRequest(
                coupon=order_pb2.Coupon(
                    code=code, discount_kind=order_pb2.COUPON_DISCOUNT_KIND_PERCENT, percent_off="5"
                )
            )
        )
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS and "percent_off" in err.value.details()


async def test_orders_cancellations_and_returns_are_counted_for_the_business_once(orders, make_order):
    def figure(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    placed = {"channel": "web", "currency": "EUR"}
    before = (
        figure("isthmus_orders_placed_total", **placed),
        figure("isthmus_orders_placed_value_total", currency="EUR"),
        figure("isthmus_orders_cancelled_total", reason="customer_request"),
        figure("isthmus_orders_returned_units_total", reason="damaged"),
    )
    request = make_order()
    order = (await orders.CreateOrder(request)).order
    await orders.CreateOrder(request)  # a re-sync of the same order: not counted again
    cancel = orders_pb2.CancelOrderRequest(
        order_id=order.order_id,
        reason_code=order_pb2.CANCELLATION_REASON_CUSTOMER_REQUEST,
        request_id=f"c-{order.order_id}",
    )
    await orders.CancelOrder(cancel)
    await orders.CancelOrder(cancel)  # replayed
    sent = await shipped(orders, make_order())
    await orders.ReturnOrderLines(
        orders_pb2.ReturnOrderLinesRequest(order_id=sent.order_id, lines=[line("2", 3)])
    )
    after = (
        figure("isthmus_orders_placed_total", **placed),
        figure("isthmus_orders_placed_value_total", currency="EUR"),
        figure("isthmus_orders_cancelled_total", reason="customer_request"),
        figure("isthmus_orders_returned_units_total", reason="damaged"),
    )
    assert [round(a - b, 2) for a, b in zip(after, before, strict=True)] == [
        2,
        round(2 * float(order.total.amount), 2),
        1,
        3,
    ]
