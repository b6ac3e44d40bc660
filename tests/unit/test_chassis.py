"""The chassis in-process: auth and scopes, error mapping, health, reflection, metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal

import grpc
import pytest
import sqlalchemy.exc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from isthmus.kernel.errors import Conflict, InvalidArgument, NotFound
from isthmus.platform import interceptors, logs
from isthmus.platform import server as server_module
from isthmus.platform.component import Component, Runtime
from isthmus.platform.config import load
from isthmus.platform.interceptors import MAX_BULK_REQUEST, MAX_REQUEST
from isthmus.platform.server import Server
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc
from isthmus_client.errors import field_violations

READER = "reader-token-0123456789"
WRITER = "writer-token-0123456789"
TOKENS = (
    f'{{"reader": {{"token": "{READER}", "scopes": ["orders:read"]}},'
    f' "writer": {{"token": "{WRITER}", "scopes": ["orders:*"]}}}}'
)
SERVICE = "isthmus.orders.v1.OrderService"


class Orders(orders_pb2_grpc.OrderServiceServicer):
    """Each order id asks for a different outcome, so one server exercises every mapping."""

    async def GetOrder(self, request, context):
        match request.order_id:
            case "missing":
                raise NotFound("order missing not found")
            case "bad":
                raise InvalidArgument("order_id", "must be a UUID", ("page_size", "must be positive"))
            case "stale":
                raise Conflict("order changed since version 3")
            case "db-down":
                raise sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
            case "bug":
                raise RuntimeError("secret internal detail")
        return orders_pb2.GetOrderResponse(order=order_pb2.Order(order_id=request.order_id))


def _component() -> Component:
    async def start(server: grpc.aio.Server, runtime: Runtime):
        orders_pb2_grpc.add_OrderServiceServicer_to_server(Orders(), server)
        return None

    return Component("orders", "orders", (SERVICE,), (), start)


@pytest.fixture
async def channel(tmp_path):
    settings = load(
        {"ISTHMUS_AUTH_TOKENS": TOKENS, "ISTHMUS_GRPC_PORT": "0", "ISTHMUS_DATA_DIR": str(tmp_path)}
    )
    server = Server(settings, [_component()], Runtime(settings))
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        yield ch
    await server.stop()


def _auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


async def _get(channel, order_id: str, metadata=None):
    stub = orders_pb2_grpc.OrderServiceStub(channel)
    return (await stub.GetOrder(orders_pb2.GetOrderRequest(order_id=order_id), metadata=metadata)).order


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field, encoded by hand."""

    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)

    return varint(number << 3 | 2) + varint(len(payload)) + payload


async def _status(channel, order_id: str, metadata=None) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await _get(channel, order_id, metadata)
    return error.value


async def test_call_without_token_is_unauthenticated(channel):
    assert (await _status(channel, "o-1")).code() == grpc.StatusCode.UNAUTHENTICATED


async def test_unknown_token_is_unauthenticated(channel):
    error = await _status(channel, "o-1", _auth("not-a-known-token-000"))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_token_with_scope_is_served(channel):
    assert (await _get(channel, "o-1", _auth(READER))).order_id == "o-1"


async def test_write_method_needs_write_scope(channel):
    stub = orders_pb2_grpc.OrderServiceStub(channel)
    request = orders_pb2.PayOrderRequest(
        order_id="o-1", amount=common_pb2.Money(amount="1.00", currency_code="EUR"), payment_reference="p-1"
    )
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.PayOrder(request, metadata=_auth(READER))
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "orders:write" in error.value.details()
    # The writer's "orders:*" covers it; the servicer does not implement PayOrder.
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.PayOrder(request, metadata=_auth(WRITER))
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED


@pytest.mark.parametrize(
    ("order_id", "code"),
    [
        ("missing", grpc.StatusCode.NOT_FOUND),
        ("stale", grpc.StatusCode.ABORTED),
        ("db-down", grpc.StatusCode.UNAVAILABLE),
        ("bug", grpc.StatusCode.INTERNAL),
    ],
)
async def test_errors_map_to_status_codes(channel, order_id, code):
    assert (await _status(channel, order_id, _auth(READER))).code() == code


async def test_invalid_argument_names_every_field(channel):
    error = await _status(channel, "bad", _auth(READER))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "order_id" in error.details()
    assert field_violations(error) == [("order_id", "must be a UUID"), ("page_size", "must be positive")]


async def test_internal_error_hides_details_and_gives_correlation_id(channel):
    metadata = [*_auth(READER), ("x-correlation-id", "trace-me-42")]
    error = await _status(channel, "bug", metadata)
    assert "secret internal detail" not in error.details()
    assert "trace-me-42" in error.details()


async def test_correlation_id_is_echoed(channel):
    stub = orders_pb2_grpc.OrderServiceStub(channel)
    call = stub.GetOrder(
        orders_pb2.GetOrderRequest(order_id="o-2"),
        metadata=[*_auth(READER), ("x-correlation-id", "abc-123")],
    )
    await call
    assert ("x-correlation-id", "abc-123") in list(await call.trailing_metadata())


async def test_health_is_open_and_serving_per_service(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    for service in ("", SERVICE):
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_service(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    async for response in responses:
        names = {s.name for s in response.list_services_response.service}
        break
    assert SERVICE in names
    assert "grpc.health.v1.Health" in names


async def test_metrics_count_rpcs_by_method_and_code(channel):
    def handled(code: str) -> float:
        labels = {"grpc_service": SERVICE, "grpc_method": "GetOrder", "grpc_type": "unary", "grpc_code": code}
        return REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0

    ok, not_found = handled("OK"), handled("NotFound")
    await _get(channel, "o-3", _auth(READER))
    await _status(channel, "missing", _auth(READER))
    assert handled("OK") == ok + 1
    # An error's status leaves with context.abort(), before the chassis' own bookkeeping runs.
    for _ in range(200):
        if handled("NotFound") != not_found:
            break
        await asyncio.sleep(0.01)
    assert handled("NotFound") == not_found + 1


async def test_shutdown_turns_health_not_serving(tmp_path):
    settings = load({"ISTHMUS_AUTH_DISABLED": "true", "ISTHMUS_GRPC_PORT": "0"})
    server = Server(settings, [_component()], Runtime(settings))
    await server.start()
    await server.health.enter_graceful_shutdown()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        reply = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""))
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
    await server.stop()


def test_a_lost_broker_connection_is_not_logged_as_an_error(capsys):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("INFO", "json")
        logging.getLogger("pika.adapters.base_connection").error("connection_lost: StreamLostError")
        logging.getLogger("isthmus.orders").error("a real failure")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("pika.adapters.base_connection", "WARNING"),
        ("isthmus.orders", "ERROR"),
    ]


@pytest.mark.parametrize("metadata", [None, _auth(READER)], ids=["no-token", "token"])
async def test_health_watch_streams_the_status_with_or_without_a_token(channel, metadata):
    # Envoy and gRPC client-side health checking use Watch, a handler that writes its own responses.
    stub = health_pb2_grpc.HealthStub(channel)
    call = stub.Watch(health_pb2.HealthCheckRequest(service=SERVICE), metadata=metadata)
    first = await call.read()
    assert first.status == health_pb2.HealthCheckResponse.SERVING
    call.cancel()


async def test_a_call_without_a_token_is_refused_before_its_request_is_read(channel):
    # Bytes that are no protobuf message: read, they would be INVALID_ARGUMENT. Refused first.
    garbage = channel.unary_unary(f"/{SERVICE}/GetOrder", request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await garbage(b"\xff\xff\xff\xff")
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await garbage(b"\xff\xff\xff\xff", metadata=_auth(READER))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request" in error.value.details()


async def test_a_request_over_its_methods_size_limit_is_resource_exhausted_naming_the_limit(channel):
    # A GetOrderRequest with a large field the method does not know (parsers keep unknown fields).
    filler = b"x" * (MAX_REQUEST + 1)
    large = orders_pb2.GetOrderRequest(order_id="o-1").SerializeToString() + _field(99, filler)
    raw = channel.unary_unary(f"/{SERVICE}/GetOrder", request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await raw(large, metadata=_auth(READER))
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert f"at most {MAX_REQUEST} bytes" in error.value.details()
    assert "GetOrder" in error.value.details()
    # Within the limit, it is served.
    assert (await _get(channel, "o-" + "1" * 100, _auth(READER))).order_id.startswith("o-1")


async def test_a_process_without_bulk_methods_never_receives_a_bulk_sized_message(channel):
    # Twice the method's limit and more: gRPC refuses it before the process holds it, token or not.
    filler = b"x" * (2 * MAX_REQUEST + 1)
    large = orders_pb2.GetOrderRequest(order_id="o-1").SerializeToString() + _field(99, filler)
    raw = channel.unary_unary(f"/{SERVICE}/GetOrder", request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await raw(large, metadata=_auth(READER))
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert str(2 * MAX_REQUEST) in error.value.details()  # gRPC's own message names its limit
    assert server_module.receive_limit(["isthmus.orders.v1.OrderService"]) == 2 * MAX_REQUEST
    assert server_module.receive_limit(["isthmus.customers.v1.CustomerMasterService"]) == MAX_BULK_REQUEST
    assert server_module.receive_limit(["isthmus.orders.v1.NoSuchService"]) == MAX_BULK_REQUEST


def test_servers_do_not_grow_their_receive_windows():
    # gRPC holds a message whole before its receive limit applies (grpc/grpc#43012): with windows
    # grown by BDP probing, refused 15 MB calls took the orders process over its chart limit
    # (decision 69).
    options = dict(server_module.server_options(2 * MAX_REQUEST))
    assert options["grpc.http2.bdp_probe"] == 0
    assert options["grpc.max_receive_message_length"] == 2 * MAX_REQUEST


def test_bulk_ingest_takes_large_requests_and_everything_else_small_ones():
    from isthmus_client.api.customers.v1 import customers_pb2_grpc

    class Stub(customers_pb2_grpc.CustomerMasterServiceServicer):
        pass

    handlers: dict[str, grpc.RpcMethodHandler] = {}

    class Collect:
        def add_generic_rpc_handlers(self, found):
            pass

        def add_registered_method_handlers(self, service, found):
            handlers.update(found)

    customers_pb2_grpc.add_CustomerMasterServiceServicer_to_server(Stub(), Collect())
    limits = {name: interceptors._limit(h) for name, h in handlers.items()}
    assert limits["BatchUpsertSourceRecords"] == limits["StreamSourceRecords"] == MAX_BULK_REQUEST
    assert limits["GetCustomer"] == limits["UpsertSourceRecord"] == MAX_REQUEST


def test_a_stop_signal_during_start_up_waits_for_the_stop_instead_of_killing_the_process() -> None:
    # Handlers go in before anything answers: a SIGTERM that arrives while a component starts
    # (a pod deleted as it comes up) must not meet the default handler, which ends the process
    # at once, without draining or stopping anything.
    async def main() -> None:
        stopping = server_module.stop_signals()
        os.kill(os.getpid(), signal.SIGTERM)  # "during start-up": before anyone awaits the stop
        await asyncio.wait_for(server_module.until_signalled(stopping), timeout=5)
        # A second signal meets the default handler again: a hanging stop can still be ended.
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) == signal.default_int_handler

    before = signal.getsignal(signal.SIGTERM)
    asyncio.run(main())  # closing the loop puts the previous handlers back
    assert signal.getsignal(signal.SIGTERM) == before
