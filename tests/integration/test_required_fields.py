"""Required and output-only fields are marked in the protos (google.api.field_behavior), and what the
server refuses or ignores matches the marks."""

from __future__ import annotations

import re
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pool, symbol_database, timestamp_pb2

from isthmus.platform import boundary, component, hub
from isthmus.platform.config import Settings
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc
from isthmus_client.errors import field_violations

ROOT = Path(__file__).resolve().parents[2]


def _methods():  # type: ignore[no-untyped-def]
    pool = descriptor_pool.Default()
    names = [s for name in component.REGISTRY for s in component.load(name).services]
    names.append("isthmus.operations.v1.OperationsService")
    return [m for s in names for m in pool.FindServiceByName(s).methods]


METHODS = [m for m in _methods() if boundary.required_fields(m.input_type)]


def test_every_field_documented_as_required_is_marked_and_only_those():
    documented: set[str] = set()
    for proto in (ROOT / "proto" / "isthmus").glob("*/v1/*.proto"):
        text = proto.read_text()
        package = re.search(r"^package ([\w.]+);", text, re.M).group(1)  # type: ignore[union-attr]
        for message, body in re.findall(r"^message (\w+Request) \{(.*?)^\}", text, re.M | re.S):
            for field in re.findall(r"// Required\.[^\n]*\n(?:\s*//[^\n]*\n)*\s*[\w. ]+ (\w+) = \d+", body):
                documented.add(f"{package}.{message}.{field}")
    marked = {
        f"{m.input_type.full_name}.{name}"
        for m in _methods()
        for name in boundary.required_fields(m.input_type)
    }
    assert marked == documented
    assert len(marked) > 50


@pytest.fixture(scope="module")
async def channel(tmp_path_factory):  # type: ignore[no-untyped-def]
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("required"),
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        auth_disabled=True,
        extra={"ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS": "erp"},
    )
    async with hub.running(settings, list(component.REGISTRY)) as running, running.channel() as ch:
        yield ch


@pytest.mark.parametrize("method", METHODS, ids=lambda m: f"{m.containing_service.name}.{m.name}")
async def test_a_request_without_its_required_fields_is_refused_naming_each(channel, method):
    path = f"/{method.containing_service.full_name}/{method.name}"
    request_type = symbol_database.Default().GetSymbol(method.input_type.full_name)
    response_type = symbol_database.Default().GetSymbol(method.output_type.full_name)
    kwargs = {
        "request_serializer": request_type.SerializeToString,
        "response_deserializer": response_type.FromString,
    }
    with pytest.raises(grpc.aio.AioRpcError) as error:
        if method.client_streaming:
            call = (
                channel.stream_stream(path, **kwargs)
                if method.server_streaming
                else channel.stream_unary(path, **kwargs)
            )
            result = call(iter([request_type()]))
            if method.server_streaming:
                async for _ in result:
                    pass
            else:
                await result
        elif method.server_streaming:
            async for _ in channel.unary_stream(path, **kwargs)(request_type()):
                pass
        else:
            await channel.unary_unary(path, **kwargs)(request_type())
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    named = {field for field, _ in field_violations(error.value)}
    assert set(boundary.required_fields(method.input_type)) <= named


async def test_output_only_fields_sent_in_a_request_are_ignored(channel):
    # A coupon copied from a response: its redemption count and creation time are the server's, and
    # even a creation time no Timestamp may hold is ignored rather than refused (AIP-203).
    stub = orders_pb2_grpc.OrderServiceStub(channel)
    sent = order_pb2.Coupon(
        code="OUTPUT-ONLY-10",
        discount_kind=order_pb2.COUPON_DISCOUNT_KIND_PERCENT,
        percent_off="10",
        redemption_count=7,
        create_time=timestamp_pb2.Timestamp(seconds=-99_999_999_999),
    )
    created = (await stub.CreateCoupon(orders_pb2.CreateCouponRequest(coupon=sent))).coupon
    assert created.code == "OUTPUT-ONLY-10" and created.percent_off == "10"
    assert created.redemption_count == 0
    assert created.create_time.seconds > 1_600_000_000
