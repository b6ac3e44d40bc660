"""The client fills in an empty request_id, so gRPC's own retries of a write are answered once."""

from __future__ import annotations

from isthmus_client.api.loyalty.v1 import loyalty_pb2
from isthmus_client.api.orders.v1 import orders_pb2
from isthmus_client.channel import with_request_id


def test_an_empty_request_id_is_filled_and_a_given_one_kept() -> None:
    sent = orders_pb2.ShipOrderRequest(order_id="o-1")
    filled = with_request_id(sent)
    assert filled.request_id and not sent.request_id, "a copy, the caller's message untouched"
    assert with_request_id(sent).request_id != filled.request_id, "each call its own id"
    given = orders_pb2.ShipOrderRequest(order_id="o-1", request_id="mine")
    assert with_request_id(given).request_id == "mine"


def test_requests_without_the_field_and_required_ids_are_left_alone() -> None:
    read = orders_pb2.GetOrderRequest(order_id="o-1")
    assert with_request_id(read) is read
    redeem = loyalty_pb2.RedeemPointsRequest(customer_id="c", points=5)
    assert with_request_id(redeem).request_id == "", "points move once per request the caller names"
