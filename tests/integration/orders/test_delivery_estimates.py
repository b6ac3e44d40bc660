"""A later estimate of when lines ship and arrive, kept beside the promise, through gRPC on PostgreSQL."""

from __future__ import annotations

import grpc
import pytest

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2

pytestmark = pytest.mark.postgres


def day(d: int) -> common_pb2.Date:
    return common_pb2.Date(year=2026, month=3, day=d)


async def refused(call, request, code: grpc.StatusCode) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call(request)
    assert error.value.code() == code, error.value.details()
    return str(error.value.details())


def estimate(
    order_id: str, *lines: orders_pb2.LineEstimate, **more
) -> orders_pb2.UpdateDeliveryEstimateRequest:  # type: ignore[no-untyped-def]
    return orders_pb2.UpdateDeliveryEstimateRequest(order_id=order_id, lines=list(lines), **more)


async def test_a_moved_estimate_is_kept_beside_the_promise(orders, make_order):
    request = make_order()
    request.lines[0].expected_ship_date.CopyFrom(day(5))
    request.lines[0].expected_delivery_date.CopyFrom(day(7))
    order = (await orders.CreateOrder(request)).order
    late = orders_pb2.LineEstimate(line_id="1", delivery_date=day(12))
    moved = (
        await orders.UpdateDeliveryEstimate(estimate(order.order_id, late, reason="carrier delay"))
    ).order
    tv = moved.lines[0]
    assert (tv.expected_delivery_date, tv.estimated_delivery_date) == (day(7), day(12))
    assert tv.expected_ship_date == day(5) and not tv.HasField("estimated_ship_date")
    assert moved.version == order.version + 1
    history = await orders.ListOrderHistoryEntries(
        orders_pb2.ListOrderHistoryEntriesRequest(order_id=order.order_id)
    )
    [entry] = [
        e
        for e in history.order_history_entries
        if e.kind == order_pb2.ORDER_HISTORY_KIND_DELIVERY_ESTIMATE_CHANGED
    ]
    assert entry.reason_text == "carrier delay" and [x.line_id for x in entry.lines] == ["1"]
    assert entry.lines[0].estimated_delivery_date == day(12)
    # The same estimate again changes nothing: no version, no history.
    again = (await orders.UpdateDeliveryEstimate(estimate(order.order_id, late))).order
    assert again.version == moved.version
    # The ship estimate moves too; the delivery estimate stays as it was.
    later = orders_pb2.LineEstimate(line_id="1", ship_date=day(9))
    shipped_later = (await orders.UpdateDeliveryEstimate(estimate(order.order_id, later))).order.lines[0]
    assert (shipped_later.estimated_ship_date, shipped_later.estimated_delivery_date) == (day(9), day(12))


async def test_bad_estimates_are_refused_naming_the_field(orders, make_order):
    request = make_order()
    request.lines[0].expected_ship_date.CopyFrom(day(5))
    order = (await orders.CreateOrder(request)).order
    cases = [
        (estimate(order.order_id), "lines"),
        (estimate(order.order_id, orders_pb2.LineEstimate(line_id="1")), "lines[0]"),
        (
            estimate(order.order_id, orders_pb2.LineEstimate(line_id="9", ship_date=day(6))),
            "lines[0].line_id",
        ),
        (
            estimate(
                order.order_id,
                orders_pb2.LineEstimate(line_id="1", ship_date=day(6)),
                orders_pb2.LineEstimate(line_id="1", ship_date=day(7)),
            ),
            "lines[1].line_id",
        ),
        # Before the line ships as promised, a delivery cannot be.
        (
            estimate(order.order_id, orders_pb2.LineEstimate(line_id="1", delivery_date=day(4))),
            "lines[0].delivery_date",
        ),
        (
            estimate(
                order.order_id,
                orders_pb2.LineEstimate(line_id="1", ship_date=common_pb2.Date(year=2026, month=2, day=30)),
            ),
            "lines[0].ship_date",
        ),
    ]
    for bad, field in cases:
        assert field in await refused(orders.UpdateDeliveryEstimate, bad, grpc.StatusCode.INVALID_ARGUMENT)
    await orders.PayOrder(
        orders_pb2.PayOrderRequest(order_id=order.order_id, amount=order.total, payment_reference="p")
    )
    await orders.ShipOrder(orders_pb2.ShipOrderRequest(order_id=order.order_id))
    await orders.DeliverOrder(orders_pb2.DeliverOrderRequest(order_id=order.order_id))
    done = estimate(order.order_id, orders_pb2.LineEstimate(line_id="1", delivery_date=day(20)))
    assert "DELIVERED" in await refused(
        orders.UpdateDeliveryEstimate, done, grpc.StatusCode.FAILED_PRECONDITION
    )


async def test_a_shipment_says_where_it_left_from_and_a_drop_shipped_line_its_supplier(orders, make_order):
    request = make_order()
    request.lines[0].drop_ship_supplier = "Fernseh-Direkt GmbH"
    order = (await orders.CreateOrder(request)).order
    assert [x.drop_ship_supplier for x in order.lines] == ["Fernseh-Direkt GmbH", ""]
    # The order sent again with another supplier for the line is the same order.
    again = make_order(external_order_id=order.external_order_id, customer_id=order.customer_id)
    again.lines[0].drop_ship_supplier = "Anderer Lieferant"
    assert (await orders.CreateOrder(again)).outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    await orders.PayOrder(
        orders_pb2.PayOrderRequest(order_id=order.order_id, amount=order.total, payment_reference="p")
    )
    long = orders_pb2.ShipOrderRequest(order_id=order.order_id, warehouse="W" * 65)
    assert "warehouse" in await refused(orders.ShipOrder, long, grpc.StatusCode.INVALID_ARGUMENT)
    shipped = await orders.ShipOrder(
        orders_pb2.ShipOrderRequest(
            order_id=order.order_id,
            carrier="DHL",
            tracking_number="003404341234",
            warehouse=" DC-Hamburg ",
            manifest_number="M-2026-03-01-07",
        )
    )
    o = shipped.order
    assert (o.carrier, o.tracking_number, o.warehouse, o.manifest_number) == (
        "DHL",
        "003404341234",
        "DC-Hamburg",
        "M-2026-03-01-07",
    )
    got = (await orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order.order_id))).order
    assert (got.warehouse, got.manifest_number, got.lines[0].drop_ship_supplier) == (
        "DC-Hamburg",
        "M-2026-03-01-07",
        "Fernseh-Direkt GmbH",
    )
