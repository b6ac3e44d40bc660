"""Required and output-only fields are marked with google.api.field_behavior (AIP-203), and the
boundary rules act on the marks: a missing REQUIRED field is refused, an OUTPUT_ONLY one is ignored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from google.api import field_behavior_pb2
from google.protobuf import timestamp_pb2

from isthmus.kernel.errors import InvalidArgument
from isthmus.platform import boundary
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.operations.v1 import operations_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2, service_requests_pb2

ROOT = Path(__file__).resolve().parents[2]
PROTOS = sorted((ROOT / "proto" / "isthmus").glob("*/v1/*.proto"))


def _behaviours(message: type, field: str) -> list[int]:
    options = message.DESCRIPTOR.fields_by_name[field].GetOptions()  # type: ignore[attr-defined]
    return list(options.Extensions[field_behavior_pb2.field_behavior])


def test_required_fields_carry_field_behavior_required() -> None:
    assert _behaviours(operations_pb2.ListDeadLettersRequest, "component") == [field_behavior_pb2.REQUIRED]
    assert _behaviours(orders_pb2.CreateOrderRequest, "currency_code") == [field_behavior_pb2.REQUIRED]
    assert boundary.required_fields(orders_pb2.CreateOrderRequest.DESCRIPTOR) == [
        "source_system",
        "external_order_id",
        "customer_id",
        "channel",
        "currency_code",
    ]


def test_the_isthmus_required_option_is_gone() -> None:
    assert not hasattr(common_pb2, "required")
    for proto in PROTOS:
        assert "isthmus.common.v1.required)" not in proto.read_text(), proto


def test_a_request_without_a_required_field_is_refused_naming_it() -> None:
    request = orders_pb2.CreateOrderRequest(
        source_system="webshop", external_order_id="W-1", channel=order_pb2.ORDER_CHANNEL_WEB
    )
    with pytest.raises(InvalidArgument) as refused:
        boundary.check(request)
    assert refused.value.violations == [("customer_id", "is required"), ("currency_code", "is required")]


def test_output_only_fields_of_a_request_are_cleared_before_the_rules_look() -> None:
    # Values no rule would let through (a control character in an id, a Timestamp before year 1)
    # do not matter where the field is output only: the request is served as if they were not there.
    out_of_range = timestamp_pb2.Timestamp(seconds=-99_999_999_999)
    request = service_requests_pb2.LogInteractionRequest(
        interaction=service_request_pb2.Interaction(
            interaction_id="copied\x00from-a-response",
            customer_id="018f3c2e-7b1a-7c3d-9e4f-0a1b2c3d4e5f",
            direction=service_request_pb2.DIRECTION_INBOUND,
            channel=service_request_pb2.CHANNEL_EMAIL,
            body="hello",
            orphaned=True,
            claimed_service_request_id="x",
            create_time=out_of_range,
        )
    )
    boundary.check(request)
    interaction = request.interaction
    assert interaction.interaction_id == "" and not interaction.orphaned
    assert interaction.claimed_service_request_id == "" and not interaction.HasField("create_time")
    assert interaction.body == "hello" and interaction.customer_id  # input fields stay


def test_output_only_fields_are_cleared_in_repeated_messages() -> None:
    request = orders_pb2.CreateOrderRequest(
        lines=[
            order_pb2.OrderLine(
                sku="A-1",
                quantity=2,
                unit_price=common_pb2.Money(amount="1.00", currency_code="EUR"),
                line_total=common_pb2.Money(amount="99.00", currency_code="EUR"),
                returned_quantity=1,
                backordered_quantity=1,
            )
        ]
    )
    boundary.clear_output_only(request)
    (line,) = request.lines
    assert not line.HasField("line_total") and line.returned_quantity == 0 and line.backordered_quantity == 0
    assert line.sku == "A-1" and line.quantity == 2 and line.unit_price.amount == "1.00"


# A field whose comment starts "Output only" (alone or before a colon) is marked so, and the reverse.
_COMMENTED = re.compile(
    r"^\s*// Output only[.:][^\n]*\n(?:\s*//[^\n]*\n)*\s*[\w. <>,]+ (\w+) = \d+([^;\n]*);", re.MULTILINE
)


@pytest.mark.parametrize("proto", PROTOS, ids=lambda p: str(p.relative_to(ROOT / "proto")))
def test_every_field_documented_output_only_is_marked(proto: Path) -> None:
    unmarked = [
        name for name, options in _COMMENTED.findall(proto.read_text()) if "OUTPUT_ONLY" not in options
    ]
    assert unmarked == []
