"""Orders through gRPC on PostgreSQL: creation, idempotency, the state machine, concurrency, queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2
from isthmus_client.errors import error_info, field_violations

pytestmark = pytest.mark.postgres


async def test_order_totals_are_exact_and_a_retry_returns_the_same_order(orders, make_order):
    request = make_order()
    first = await orders.CreateOrder(request)
    assert first.outcome == common_pb2.WRITE_OUTCOME_APPLIED
    order = first.order
    assert order.state == order_pb2.ORDER_STATE_PLACED
    assert (order.subtotal.amount, order.tax_total.amount, order.shipping_total.amount) == (
        "410.00",
        "78.85",
        "4.95",
    )
    assert order.total.amount == "493.80"
    assert [x.line_id for x in order.lines] == ["1", "2"]
    assert order.lines[1].line_total.amount == "10.00"
    assert order.channel == order_pb2.ORDER_CHANNEL_WEB and order.source_system == "webshop"
    again = await orders.CreateOrder(request)
    assert again.outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    assert again.order.order_id == order.order_id and again.order.version == 1


async def test_a_different_payload_under_the_same_external_id_names_the_difference(orders, make_order):
    request = make_order()
    await orders.CreateOrder(request)
    request.lines[1].unit_price.amount = "2.40"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.CreateOrder(request)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "lines[1].unit_price" in err.value.details()
    assert error_info(err.value) == ("KEY_REUSED", {"field": "lines[1].unit_price"})


async def test_same_amount_written_differently_is_the_same_payload(orders, make_order):
    request = make_order()
    await orders.CreateOrder(request)
    request.lines[0].unit_price.amount = "400"
    assert (await orders.CreateOrder(request)).outcome == common_pb2.WRITE_OUTCOME_REPLAYED


async def test_the_lifecycle_runs_placed_paid_shipped_delivered_completed(orders, make_order, money):
    order = (await orders.CreateOrder(make_order())).order
    pay = orders_pb2.PayOrderRequest(
        order_id=order.order_id,
        expected_version=1,
        amount=money("493.80"),
        payment_reference="psp-1",
        request_id=str(uuid.uuid4()),
    )
    first = await orders.PayOrder(pay)
    paid = first.order
    assert paid.state == order_pb2.ORDER_STATE_PAID and paid.version == 2
    assert first.outcome == common_pb2.WRITE_OUTCOME_APPLIED
    retried = await orders.PayOrder(pay)
    assert retried.order == paid, "the same request_id again changes nothing and answers the same"
    assert retried.outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    pay.actor.display_name = "another clerk"
    assert (await orders.PayOrder(pay)).outcome == common_pb2.WRITE_OUTCOME_REPLAYED, (
        "who retried is not compared"
    )
    pay.payment_reference = "psp-2"
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await orders.PayOrder(pay)
    assert reused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "payment_reference differs" in (reused.value.details() or "")
    pay.request_id = ""
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await orders.PayOrder(pay)
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION, "without a request_id, a second pay"
    shipped = (
        await orders.ShipOrder(
            orders_pb2.ShipOrderRequest(
                order_id=order.order_id, expected_version=2, carrier="DHL", tracking_number="T1"
            )
        )
    ).order
    delivered = (
        await orders.DeliverOrder(orders_pb2.DeliverOrderRequest(order_id=order.order_id, expected_version=3))
    ).order
    completed = (
        await orders.CompleteOrder(
            orders_pb2.CompleteOrderRequest(order_id=order.order_id, expected_version=4)
        )
    ).order
    assert [shipped.state, delivered.state, completed.state] == [
        order_pb2.ORDER_STATE_SHIPPED,
        order_pb2.ORDER_STATE_DELIVERED,
        order_pb2.ORDER_STATE_COMPLETED,
    ]
    assert shipped.carrier == "DHL" and completed.version == 5
    history = await orders.ListOrderHistoryEntries(
        orders_pb2.ListOrderHistoryEntriesRequest(order_id=order.order_id)
    )
    assert [e.kind for e in history.order_history_entries] == [
        order_pb2.ORDER_HISTORY_KIND_PLACED,
        order_pb2.ORDER_HISTORY_KIND_PAID,
        order_pb2.ORDER_HISTORY_KIND_SHIPPED,
        order_pb2.ORDER_HISTORY_KIND_DELIVERED,
        order_pb2.ORDER_HISTORY_KIND_COMPLETED,
    ]
    assert [e.version for e in history.order_history_entries] == [1, 2, 3, 4, 5]


async def test_an_illegal_transition_names_the_current_state(orders, make_order):
    order = (await orders.CreateOrder(make_order())).order
    with pytest.raises(grpc.aio.AioRpcError) as err:
        (await orders.ShipOrder(orders_pb2.ShipOrderRequest(order_id=order.order_id, expected_version=1)))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "is PLACED" in err.value.details()
    assert error_info(err.value) == ("ILLEGAL_TRANSITION", {"state": "PLACED"})


async def test_a_stale_expected_version_is_aborted(orders, make_order):
    order = (await orders.CreateOrder(make_order())).order
    await orders.BackorderLines(
        orders_pb2.BackorderLinesRequest(
            order_id=order.order_id,
            expected_version=1,
            lines=[orders_pb2.BackorderLine(line_id="1", quantity=1)],
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.CancelOrder(
            orders_pb2.CancelOrderRequest(
                order_id=order.order_id,
                expected_version=1,
                reason_code=order_pb2.CANCELLATION_REASON_CUSTOMER_REQUEST,
            )
        )
    assert err.value.code() == grpc.StatusCode.ABORTED
    assert error_info(err.value) == ("VERSION_STALE", {"current_version": "2"})


async def test_paying_the_wrong_amount_is_invalid(orders, make_order, money):
    order = (await orders.CreateOrder(make_order())).order
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.PayOrder(
            orders_pb2.PayOrderRequest(
                order_id=order.order_id, expected_version=1, amount=money("493.79"), payment_reference="p"
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "amount" in err.value.details()


async def test_cancellation_keeps_reason_and_is_in_the_customers_history(orders, make_order):
    order = (await orders.CreateOrder(make_order())).order
    cancelled = (
        await orders.CancelOrder(
            orders_pb2.CancelOrderRequest(
                order_id=order.order_id,
                expected_version=1,
                reason_code=order_pb2.CANCELLATION_REASON_OUT_OF_STOCK,
                reason_text="TV sold out",
            )
        )
    ).order
    assert cancelled.state == order_pb2.ORDER_STATE_CANCELLED
    assert cancelled.cancellation.reason_code == order_pb2.CANCELLATION_REASON_OUT_OF_STOCK
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.PayOrder(
            orders_pb2.PayOrderRequest(
                order_id=order.order_id, expected_version=2, amount=order.total, payment_reference="x"
            )
        )
    assert "is CANCELLED" in err.value.details()
    history = await orders.ListOrderHistoryEntries(
        orders_pb2.ListOrderHistoryEntriesRequest(
            customer_id=order.customer_id,
            kinds=[order_pb2.ORDER_HISTORY_KIND_CANCELLED, order_pb2.ORDER_HISTORY_KIND_RETURNED],
        )
    )
    assert len(history.order_history_entries) == 1
    assert history.order_history_entries[0].cancellation_reason == order_pb2.CANCELLATION_REASON_OUT_OF_STOCK
    assert history.order_history_entries[0].reason_text == "TV sold out"


async def test_backordered_units_are_released_later(orders, make_order):
    order = (await orders.CreateOrder(make_order())).order
    held = (
        await orders.BackorderLines(
            orders_pb2.BackorderLinesRequest(
                order_id=order.order_id,
                expected_version=1,
                lines=[orders_pb2.BackorderLine(line_id="2", quantity=3)],
                reason="warehouse empty",
            )
        )
    ).order
    assert held.lines[1].backordered_quantity == 3
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.BackorderLines(
            orders_pb2.BackorderLinesRequest(
                order_id=order.order_id,
                expected_version=2,
                lines=[orders_pb2.BackorderLine(line_id="2", quantity=2)],
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "lines[0].quantity" in err.value.details()
    released = (
        await orders.ReleaseBackorder(
            orders_pb2.ReleaseBackorderRequest(order_id=order.order_id, expected_version=2)
        )
    ).order
    assert released.lines[1].backordered_quantity == 0 and released.version == 3


async def test_a_customers_orders_list_newest_first_in_pages(orders, make_order):
    customer = make_order().customer_id
    base = datetime(2025, 1, 1, tzinfo=UTC)
    ids = []
    for day in range(5):
        placed = Timestamp()
        placed.FromDatetime(base + timedelta(days=day))
        ids.append((await orders.CreateOrder(make_order(customer, place_time=placed))).order.order_id)
    first = await orders.ListOrders(orders_pb2.ListOrdersRequest(customer_id=customer, page_size=3))
    second = await orders.ListOrders(
        orders_pb2.ListOrdersRequest(customer_id=customer, page_size=3, page_token=first.next_page_token)
    )
    assert [o.order_id for o in [*first.orders, *second.orders]] == ids[::-1]
    assert second.next_page_token == ""
    by_external = (
        await orders.GetOrderByExternalId(
            orders_pb2.GetOrderByExternalIdRequest(
                source_system="webshop", external_order_id=first.orders[0].external_order_id
            )
        )
    ).order
    assert by_external.order_id == ids[-1]


async def test_bad_requests_name_every_bad_field(orders, make_order):
    # Missing required fields are refused first, all at once, before the method looks further.
    request = make_order(customer_id="c", currency_code="JPY")
    request.customer_id = ""
    request.source_system = ""
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.CreateOrder(request)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(err.value)] == ["source_system", "customer_id"]
    # With them given, every other bad field is named at once.
    request = make_order(customer_id="c", currency_code="JPY")
    request.customer_id = "not-a-uuid"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.CreateOrder(request)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = err.value.details()
    assert "customer_id" in details and "lines[0].unit_price.currency_code" in details
    request = make_order(currency_code="KWD")
    for line in request.lines:
        line.unit_price.currency_code = "KWD"
    for adj in request.adjustments:
        adj.amount.currency_code = "KWD"
    request.lines[0].unit_price.amount = "1.2345"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.CreateOrder(request)
    assert "lines[0].unit_price.amount" in err.value.details() and "KWD allows (3)" in err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await orders.GetOrder(orders_pb2.GetOrderRequest(order_id="no-such-order"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_lines_promised_ship_and_delivery_dates_are_kept_and_checked(orders, make_order):
    request = make_order()
    request.lines[0].shipping_method = "express"
    request.lines[0].expected_ship_date.CopyFrom(common_pb2.Date(year=2024, month=5, day=6))
    request.lines[0].expected_delivery_date.CopyFrom(common_pb2.Date(year=2024, month=5, day=8))
    order = (await orders.CreateOrder(request)).order
    read = (await orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order.order_id))).order
    first, second = read.lines
    assert (first.shipping_method, first.expected_ship_date, first.expected_delivery_date) == (
        "express",
        common_pb2.Date(year=2024, month=5, day=6),
        common_pb2.Date(year=2024, month=5, day=8),
    )
    assert not second.HasField("expected_ship_date") and not second.HasField("expected_delivery_date")
    # The source re-sends the order once its estimate moved: the same order, the first promise kept.
    request.lines[0].expected_delivery_date.day = 9
    again = await orders.CreateOrder(request)
    assert again.outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    assert again.order.lines[0].expected_delivery_date.day == 8

    for field, date, says in [
        ("expected_delivery_date", common_pb2.Date(year=2024, month=5, day=5), "before expected_ship_date"),
        ("expected_ship_date", common_pb2.Date(year=2024, month=2, day=30), "not a calendar date"),
        ("expected_ship_date", common_pb2.Date(year=2**31 - 1, month=12, day=31), "not a calendar date"),
        ("expected_delivery_date", common_pb2.Date(year=-1, month=0, day=0), "not a calendar date"),
    ]:
        bad = make_order()
        bad.lines[0].expected_ship_date.CopyFrom(common_pb2.Date(year=2024, month=5, day=6))
        getattr(bad.lines[0], field).CopyFrom(date)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await orders.CreateOrder(bad)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        [(path, reason)] = field_violations(refused.value)
        assert path == f"lines[0].{field}" and says in reason, (path, reason)
