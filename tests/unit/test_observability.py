"""What an operator reads off a server: standard gRPC metrics, traces, trace ids in logs, the access log."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import REGISTRY
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics

from isthmus.kernel.errors import NotFound
from isthmus.platform import logs, tracing
from isthmus.platform.component import Component, Runtime
from isthmus.platform.config import ConfigError, load
from isthmus.platform.server import Server
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

ORDERS = "isthmus.orders.v1.OrderService"
CUSTOMERS = "isthmus.customers.v1.CustomerMasterService"
PARENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{PARENT_TRACE}-b7ad6b7169203331-01"


class Orders(orders_pb2_grpc.OrderServiceServicer):
    async def GetOrder(self, request, context):
        logging.getLogger("isthmus.orders").info("looking up %s", request.order_id)
        if request.order_id == "missing":
            raise NotFound("order missing not found")
        return orders_pb2.GetOrderResponse(order=order_pb2.Order(order_id=request.order_id))


class Customers(customers_pb2_grpc.CustomerMasterServiceServicer):
    async def StreamSourceRecords(self, request_iterator, context) -> AsyncIterator[object]:
        async for _request in request_iterator:
            yield customers_pb2.StreamSourceRecordsResponse()
            yield customers_pb2.StreamSourceRecordsResponse()


def _component() -> Component:
    async def start(server: grpc.aio.Server, runtime: Runtime) -> None:
        orders_pb2_grpc.add_OrderServiceServicer_to_server(Orders(), server)
        customers_pb2_grpc.add_CustomerMasterServiceServicer_to_server(Customers(), server)

    return Component("test", "test", (ORDERS, CUSTOMERS), (), start)


async def _serve(tmp_path, **env: str) -> Server:
    settings = load(
        {"ISTHMUS_AUTH_DISABLED": "true", "ISTHMUS_GRPC_PORT": "0", "ISTHMUS_DATA_DIR": str(tmp_path), **env}
    )
    server = Server(settings, [_component()], Runtime(settings))
    await server.start()
    return server


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure("isthmus-test", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()


@pytest.fixture
def json_logs() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Reads the lines written through the JSON formatter so far, parsed."""
    root = logging.getLogger()
    saved = root.level
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(logs.JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in written.getvalue().splitlines()]

    try:
        yield read
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _unary(code: str) -> dict[str, str]:
    return {"grpc_type": "unary", "grpc_service": ORDERS, "grpc_method": "GetOrder", "grpc_code": code}


async def test_unary_calls_count_under_go_grpc_prometheus_names_and_codes(tmp_path) -> None:
    server = await _serve(tmp_path)
    method = {"grpc_type": "unary", "grpc_service": ORDERS, "grpc_method": "GetOrder"}
    before = {
        name: _sample(name, **method)
        for name in (
            "grpc_server_started_total",
            "grpc_server_msg_received_total",
            "grpc_server_msg_sent_total",
        )
    }
    not_found = _sample("grpc_server_handled_total", **_unary("NotFound"))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = orders_pb2_grpc.OrderServiceStub(channel)
            await stub.GetOrder(orders_pb2.GetOrderRequest(order_id="o-1"))
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.GetOrder(orders_pb2.GetOrderRequest(order_id="missing"))
    finally:
        await server.stop()
    assert _sample("grpc_server_started_total", **method) == before["grpc_server_started_total"] + 2
    assert _sample("grpc_server_handled_total", **_unary("NotFound")) == not_found + 1
    # One request message each; a response only for the call that succeeded.
    assert _sample("grpc_server_msg_received_total", **method) == before["grpc_server_msg_received_total"] + 2
    assert _sample("grpc_server_msg_sent_total", **method) == before["grpc_server_msg_sent_total"] + 1
    assert _sample("grpc_server_handling_seconds_count", **method) >= 2


async def test_a_bidi_stream_counts_each_message_each_way(tmp_path) -> None:
    server = await _serve(tmp_path)
    method = {"grpc_type": "bidi_stream", "grpc_service": CUSTOMERS, "grpc_method": "StreamSourceRecords"}
    received = _sample("grpc_server_msg_received_total", **method)
    sent = _sample("grpc_server_msg_sent_total", **method)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = customers_pb2_grpc.CustomerMasterServiceStub(channel)
            requests = [customers_pb2.StreamSourceRecordsRequest() for _ in range(3)]
            replies = [reply async for reply in stub.StreamSourceRecords(iter(requests))]
    finally:
        await server.stop()
    assert len(replies) == 6
    assert _sample("grpc_server_msg_received_total", **method) == received + 3
    assert _sample("grpc_server_msg_sent_total", **method) == sent + 6


def test_no_created_series_and_a_build_info() -> None:
    exposed = openmetrics(REGISTRY).decode()
    assert "_created" not in exposed
    info = [line for line in exposed.splitlines() if line.startswith("isthmus_build_info{")]
    assert len(info) == 1 and 'version="' in info[0] and info[0].endswith(" 1.0")


async def test_a_traced_call_continues_the_callers_trace_and_marks_its_latency(
    tmp_path, spans, json_logs
) -> None:
    server = await _serve(tmp_path)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = orders_pb2_grpc.OrderServiceStub(channel)
            await stub.GetOrder(
                orders_pb2.GetOrderRequest(order_id="o-7"), metadata=[("traceparent", TRACEPARENT)]
            )
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.GetOrder(orders_pb2.GetOrderRequest(order_id="missing"))
    finally:
        await server.stop()
    served = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert [s.name for s in served] == [f"{ORDERS}/GetOrder"] * 2
    continued, fresh = served
    assert format(continued.context.trace_id, "032x") == PARENT_TRACE
    assert continued.parent is not None and format(continued.parent.span_id, "016x") == "b7ad6b7169203331"
    assert continued.attributes["rpc.grpc.status_code"] == 0
    assert (
        fresh.parent is None
        and fresh.attributes["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]
    )
    assert fresh.status.status_code is StatusCode.UNSET  # NOT_FOUND is the caller's error, not the server's
    # The handler's log line carries the trace, and the latency histogram an exemplar pointing at it.
    lookup = next(line for line in json_logs() if line["message"] == "looking up o-7")
    assert lookup["trace_id"] == PARENT_TRACE and lookup["span_id"] == format(
        continued.context.span_id, "016x"
    )
    exemplars = [
        line
        for line in openmetrics(REGISTRY).decode().splitlines()
        if line.startswith("grpc_server_handling_seconds_bucket{") and "GetOrder" in line and " # " in line
    ]
    # A bucket keeps the exemplar of its latest call: each names the trace of one of these calls.
    traces = {format(s.context.trace_id, "032x") for s in served}
    marked = {line.split('trace_id="', 1)[1][:32] for line in exemplars}
    assert marked and marked <= traces, (marked, traces)


async def test_the_access_log_has_one_json_line_per_call(tmp_path, json_logs) -> None:
    server = await _serve(tmp_path, ISTHMUS_ACCESS_LOG="true")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = orders_pb2_grpc.OrderServiceStub(channel)
            metadata = [("x-correlation-id", "cid-1")]
            await stub.GetOrder(orders_pb2.GetOrderRequest(order_id="o-1"), metadata=metadata)
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.GetOrder(orders_pb2.GetOrderRequest(order_id="missing"))
    finally:
        await server.stop()
    calls = [line for line in json_logs() if line["logger"] == "isthmus.access"]
    assert [(c["grpc_method"], c["grpc_code"]) for c in calls] == [
        (f"/{ORDERS}/GetOrder", "OK"),
        (f"/{ORDERS}/GetOrder", "NOT_FOUND"),
    ]
    assert calls[0]["correlation_id"] == "cid-1"
    assert all(
        isinstance(c["duration_ms"], float) and str(c["peer"]).startswith("ipv4:127.0.0.1:") for c in calls
    )


async def test_no_access_log_unless_asked(tmp_path, json_logs) -> None:
    server = await _serve(tmp_path)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            await orders_pb2_grpc.OrderServiceStub(channel).GetOrder(
                orders_pb2.GetOrderRequest(order_id="o-1")
            )
    finally:
        await server.stop()
    assert not [line for line in json_logs() if line["logger"] == "isthmus.access"]


@pytest.mark.parametrize(
    ("environ", "exporters"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "console"}, ["console"]),
        ({"OTEL_TRACES_EXPORTER": "otlp,console"}, ["otlp", "console"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, []),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, []),
    ],
)
def test_tracing_is_off_unless_the_standard_variables_ask(
    environ: dict[str, str], exporters: list[str]
) -> None:
    assert tracing.exporters_from(environ) == exporters


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
    ],
)
def test_tracing_settings_we_cannot_honour_stop_the_process(environ: dict[str, str], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        tracing.exporters_from(environ)


def test_a_bad_pushgateway_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="ISTHMUS_METRICS_PUSHGATEWAY"):
        load({"ISTHMUS_METRICS_PUSHGATEWAY": "pushgateway:9091"})


def test_new_traces_are_sampled_at_the_configured_ratio_and_every_call_passes_its_context_on() -> None:
    """At a ratio, the chassis decides a new trace's fate itself (cheaper than the SDK for the many it
    drops): the share kept must still be the ratio, a kept trace must be the id the call passed on, and
    a dropped one must pass on what the SDK's own dropped span would (so the work it causes is dropped)."""
    exporter = InMemorySpanExporter()
    environ = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"}
    assert tracing.configure("isthmus-test", environ, exporter=exporter)
    try:
        spans = tracing.ServerSpans(f"/{ORDERS}/GetOrder")
        passed_on: list[str] = []
        for _ in range(2000):
            started, token = spans.start(())
            passed_on.append(tracing.headers()["traceparent"])
            tracing.ServerSpans.end(started, token, grpc.StatusCode.OK)
        sdk_dropped = next(
            s
            for s in (tracing.tracer().start_span("x") for _ in range(100))
            if not s.get_span_context().trace_flags.sampled
        )
    finally:
        tracing.shutdown()
    kept = {format(s.context.trace_id, "032x") for s in exporter.get_finished_spans()}
    assert 850 < len(kept) < 1150  # 1,000 expected; at a ratio applied twice, 500
    sampled = {p.split("-")[1] for p in passed_on if p.endswith("-01") or p.endswith("-03")}
    assert sampled == kept
    dropped = [p for p in passed_on if p.split("-")[1] not in kept]
    assert len(dropped) == 2000 - len(kept)
    assert {p.split("-")[3] for p in dropped} == {f"{sdk_dropped.get_span_context().trace_flags:02x}"}


@pytest.mark.parametrize("arg", ["10%", "1.5", "-0.1"])
def test_a_sampling_ratio_that_is_no_ratio_stops_the_process(arg: str) -> None:
    environ = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": arg,
    }
    with pytest.raises(ConfigError, match="OTEL_TRACES_SAMPLER_ARG"):
        tracing.exporters_from(environ)
