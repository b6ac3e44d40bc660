"""Flex-pay instalments per line, what is owed, and payment methods per line, through gRPC on
PostgreSQL."""

from __future__ import annotations

import grpc
import pytest

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2

pytestmark = pytest.mark.postgres


def flex(make_order, **overrides):  # type: ignore[no-untyped-def]
    """The two-line order, its television in four instalments, its socks paid at once by card."""
    request = make_order(**overrides)
    request.lines[0].instalments, request.lines[0].payment_method = 4, "flexpay"
    request.lines[1].payment_method = "card"
    return request


async def refused(call, request, code: grpc.StatusCode) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call(request)
    assert error.value.code() == code, error.value.details()
    return str(error.value.details())


def amounts(order: order_pb2.Order) -> list[str]:
    return [i.amount.amount for i in order.instalments]


async def test_a_line_in_instalments_is_paid_at_checkout_then_month_by_month(orders, make_order, money):
    order = (await orders.CreateOrder(flex(make_order))).order
    # The television's net (400.00 and its 76.93 of the tax) in four, the odd cent first; the first
    # instalment also holds the socks (11.92 with their tax) and the shipping (4.95).
    assert order.total.amount == "493.80"
    assert amounts(order) == ["136.11", "119.23", "119.23", "119.23"]
    assert [(i.due_date.year, i.due_date.month, i.due_date.day) for i in order.instalments] == [
        (2026, 3, 1),
        (2026, 4, 1),
        (2026, 5, 1),
        (2026, 6, 1),
    ]
    first = {p.line_id: p.amount.amount for p in order.instalments[0].parts}
    assert first == {"": "4.95", "1": "119.24", "2": "11.92"}
    assert (order.due_at_checkout.amount, order.paid_total.amount, order.balance_due.amount) == (
        "136.11",
        "0.00",
        "493.80",
    )
    assert [x.payment_method for x in order.lines] == ["flexpay", "card"]

    whole = orders_pb2.PayOrderRequest(order_id=order.order_id, amount=order.total, payment_reference="p")
    why = await refused(orders.PayOrder, whole, grpc.StatusCode.INVALID_ARGUMENT)
    assert "amount" in why and "first instalment" in why and "136.11" in why
    paid = (
        await orders.PayOrder(
            orders_pb2.PayOrderRequest(
                order_id=order.order_id, amount=money("136.11"), payment_reference="p1"
            )
        )
    ).order
    assert paid.state == order_pb2.ORDER_STATE_PAID
    assert (paid.paid_total.amount, paid.balance_due.amount) == ("136.11", "357.69")
    assert paid.instalments[0].payment_reference == "p1" and paid.instalments[0].HasField("pay_time")

    def instalment(number: int, amount: str, request_id: str = "") -> orders_pb2.PayInstalmentRequest:
        return orders_pb2.PayInstalmentRequest(
            order_id=order.order_id,
            number=number,
            amount=money(amount),
            payment_reference=f"p{number}",
            request_id=request_id,
        )

    why = await refused(orders.PayInstalment, instalment(3, "119.23"), grpc.StatusCode.FAILED_PRECONDITION)
    assert "instalment 2" in why and "next one due" in why
    why = await refused(orders.PayInstalment, instalment(2, "100.00"), grpc.StatusCode.INVALID_ARGUMENT)
    assert "amount" in why and "119.23" in why
    second = await orders.PayInstalment(instalment(2, "119.23", request_id=f"i2-{order.order_id}"))
    assert (second.order.paid_total.amount, second.order.balance_due.amount) == ("255.34", "238.46")
    again = await orders.PayInstalment(instalment(2, "119.23", request_id=f"i2-{order.order_id}"))
    assert again.outcome == common_pb2.WRITE_OUTCOME_REPLAYED and again.order == second.order
    history = await orders.ListOrderHistoryEntries(
        orders_pb2.ListOrderHistoryEntriesRequest(order_id=order.order_id)
    )
    paying = [
        e for e in history.order_history_entries if e.kind == order_pb2.ORDER_HISTORY_KIND_INSTALMENT_PAID
    ]
    assert [(e.amount.amount, e.reason_text) for e in paying] == [("119.23", "instalment 2, p2")]

    # The television comes back: its unpaid instalments are owed no more, the rest is refunded.
    await orders.ShipOrder(orders_pb2.ShipOrderRequest(order_id=order.order_id))
    returned = await orders.ReturnOrderLines(
        orders_pb2.ReturnOrderLinesRequest(
            order_id=order.order_id,
            lines=[
                order_pb2.ReturnLine(line_id="1", quantity=1, reason_code=order_pb2.RETURN_REASON_DEFECTIVE)
            ],
        )
    )
    back = returned.order_return
    assert (back.refund.amount, back.instalments_reduced.amount) == ("476.93", "238.46")
    assert returned.order.balance_due.amount == "0.00"
    assert amounts(returned.order)[2:] == ["0.00", "0.00"]
    why = await refused(orders.PayInstalment, instalment(3, "119.23"), grpc.StatusCode.FAILED_PRECONDITION)
    assert "no instalment left" in why


async def test_a_return_takes_the_latest_instalments_first_and_cancelling_leaves_nothing_owed(
    orders, make_order, money
):
    order = (await orders.CreateOrder(flex(make_order))).order
    await orders.PayOrder(
        orders_pb2.PayOrderRequest(
            order_id=order.order_id, amount=order.due_at_checkout, payment_reference="p"
        )
    )
    # Socks paid at once: returning them takes nothing off the instalments.
    await orders.ShipOrder(orders_pb2.ShipOrderRequest(order_id=order.order_id))
    socks = await orders.ReturnOrderLines(
        orders_pb2.ReturnOrderLinesRequest(
            order_id=order.order_id,
            lines=[
                order_pb2.ReturnLine(line_id="2", quantity=4, reason_code=order_pb2.RETURN_REASON_DAMAGED)
            ],
        )
    )
    assert (socks.order_return.refund.amount, socks.order_return.instalments_reduced.amount) == (
        "11.92",
        "0.00",
    )
    assert socks.order.balance_due.amount == "357.69"

    cancelled = (await orders.CreateOrder(flex(make_order))).order
    await orders.PayOrder(
        orders_pb2.PayOrderRequest(
            order_id=cancelled.order_id, amount=cancelled.due_at_checkout, payment_reference="p"
        )
    )
    gone = await orders.CancelOrder(
        orders_pb2.CancelOrderRequest(
            order_id=cancelled.order_id, reason_code=order_pb2.CANCELLATION_REASON_CUSTOMER_REQUEST
        )
    )
    assert (gone.order.balance_due.amount, gone.order.paid_total.amount) == ("0.00", "136.11")
    # An order paid at once owes nothing once paid.
    plain = (await orders.CreateOrder(make_order())).order
    assert (plain.due_at_checkout.amount, plain.balance_due.amount, len(plain.instalments)) == (
        "493.80",
        "493.80",
        0,
    )
    paid = await orders.PayOrder(
        orders_pb2.PayOrderRequest(order_id=plain.order_id, amount=plain.total, payment_reference="p")
    )
    assert (paid.order.paid_total.amount, paid.order.balance_due.amount) == ("493.80", "0.00")


async def test_lines_change_payment_method_and_the_history_says_from_what(orders, make_order):
    order = (await orders.CreateOrder(flex(make_order))).order
    changed = await orders.ChangePaymentMethod(
        orders_pb2.ChangePaymentMethodRequest(
            order_id=order.order_id, line_ids=["2"], payment_method="invoice", reason="card declined"
        )
    )
    assert [x.payment_method for x in changed.order.lines] == ["flexpay", "invoice"]
    every = await orders.ChangePaymentMethod(
        orders_pb2.ChangePaymentMethodRequest(order_id=order.order_id, payment_method="paypal")
    )
    assert [x.payment_method for x in every.order.lines] == ["paypal", "paypal"]
    history = await orders.ListOrderHistoryEntries(
        orders_pb2.ListOrderHistoryEntriesRequest(order_id=order.order_id)
    )
    changes = [
        (e.reason_text, [x.line_id for x in e.lines])
        for e in history.order_history_entries
        if e.kind == order_pb2.ORDER_HISTORY_KIND_PAYMENT_METHOD_CHANGED
    ]
    assert changes == [("card -> invoice: card declined", ["2"]), ("flexpay, invoice -> paypal", ["1", "2"])]
    # A re-sent order whose payment method changed since is the same order; other instalments are not.
    again = await orders.CreateOrder(
        flex(make_order, external_order_id=order.external_order_id, customer_id=order.customer_id)
    )
    assert again.outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    other = flex(make_order, external_order_id=order.external_order_id, customer_id=order.customer_id)
    other.lines[0].instalments = 6
    why = await refused(orders.CreateOrder, other, grpc.StatusCode.ALREADY_EXISTS)
    assert "lines[0].instalments" in why

    unknown = orders_pb2.ChangePaymentMethodRequest(
        order_id=order.order_id, line_ids=["9"], payment_method="cash"
    )
    assert "line_ids[0]" in await refused(
        orders.ChangePaymentMethod, unknown, grpc.StatusCode.INVALID_ARGUMENT
    )
    await orders.CancelOrder(
        orders_pb2.CancelOrderRequest(
            order_id=order.order_id, reason_code=order_pb2.CANCELLATION_REASON_CUSTOMER_REQUEST
        )
    )
    late = orders_pb2.ChangePaymentMethodRequest(order_id=order.order_id, payment_method="cash")
    assert "CANCELLED" in await refused(orders.ChangePaymentMethod, late, grpc.StatusCode.FAILED_PRECONDITION)


async def test_bad_instalments_and_payment_methods_are_refused_naming_the_field(orders, make_order, money):
    too_many = make_order()
    too_many.lines[0].instalments = 25
    assert "lines[0].instalments" in await refused(
        orders.CreateOrder, too_many, grpc.StatusCode.INVALID_ARGUMENT
    )
    negative = make_order()
    negative.lines[1].instalments = -2
    assert "lines[1].instalments" in await refused(
        orders.CreateOrder, negative, grpc.StatusCode.INVALID_ARGUMENT
    )
    wordy = make_order()
    wordy.lines[1].payment_method = "x" * 65
    assert "lines[1].payment_method" in await refused(
        orders.CreateOrder, wordy, grpc.StatusCode.INVALID_ARGUMENT
    )
    order = (await orders.CreateOrder(make_order())).order
    for request, field in (
        (
            orders_pb2.PayInstalmentRequest(
                order_id=order.order_id, number=1, amount=money("1.00"), payment_reference="p"
            ),
            "number",
        ),
        (orders_pb2.PayInstalmentRequest(order_id=order.order_id, number=2, payment_reference="p"), "amount"),
        (
            orders_pb2.PayInstalmentRequest(order_id=order.order_id, number=2, amount=money("1.00")),
            "payment_reference",
        ),
        (
            orders_pb2.ChangePaymentMethodRequest(order_id=order.order_id, payment_method="  "),
            "payment_method",
        ),
    ):
        assert field in await refused(
            getattr(orders, type(request).__name__.removesuffix("Request")),
            request,
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    # Before checkout there is no instalment to pay; an order without flex-pay never has one.
    early = orders_pb2.PayInstalmentRequest(
        order_id=order.order_id, number=2, amount=money("1.00"), payment_reference="p"
    )
    assert "PLACED" in await refused(orders.PayInstalment, early, grpc.StatusCode.FAILED_PRECONDITION)
    await orders.PayOrder(
        orders_pb2.PayOrderRequest(order_id=order.order_id, amount=order.total, payment_reference="p")
    )
    assert "no instalment left" in await refused(
        orders.PayInstalment, early, grpc.StatusCode.FAILED_PRECONDITION
    )
