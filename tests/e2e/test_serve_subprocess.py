"""``isthmus migrate`` and ``isthmus serve`` as real processes against PostgreSQL, called over gRPC."""

from __future__ import annotations

import json

import grpc
import pytest
from free_ports import free_port
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from isthmus_client.api.orders.v1 import orders_pb2, orders_pb2_grpc

from .conftest import isthmus, running

READ_ONLY = "read-only-token-0123456789"
WRITER = "orders-writer-token-0123456789"
TOKENS = json.dumps(
    {
        "dashboard": {"token": READ_ONLY, "scopes": ["orders:read"]},
        "shop": {"token": WRITER, "scopes": ["orders:read", "orders:write"]},
    }
)


@pytest.fixture(scope="module")
def served_orders(pg_url, amqp_url, tmp_path_factory):
    port = free_port()
    env = {
        "ISTHMUS_DATABASE_URL": pg_url,
        "ISTHMUS_AMQP_URL": amqp_url,
        "ISTHMUS_AUTH_TOKENS": TOKENS,
        "ISTHMUS_GRPC_PORT": str(port),
        "ISTHMUS_METRICS_PORT": str(free_port()),
        "ISTHMUS_DATA_DIR": str(tmp_path_factory.mktemp("data")),
    }
    migrated = isthmus("migrate", "orders", env=env)
    assert migrated.returncode == 0, migrated.stderr
    with running("serve", "orders", env=env, port=port) as process:
        yield port, env, process


def test_health_reports_serving_for_the_service(served_orders):
    port, _, _ = served_orders
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "isthmus.orders.v1.OrderService"):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_only_this_components_service(served_orders):
    port, _, _ = served_orders
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (response,) = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    names = {s.name for s in response.list_services_response.service}
    assert "isthmus.orders.v1.OrderService" in names
    assert "isthmus.customers.v1.CustomerMasterService" not in names


def _get_order(port: int, token: str | None) -> grpc.RpcError | None:
    metadata = [("authorization", f"Bearer {token}")] if token else None
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = orders_pb2_grpc.OrderServiceStub(channel)
        try:
            stub.GetOrder(orders_pb2.GetOrderRequest(order_id="no-such-order"), metadata=metadata, timeout=10)
        except grpc.RpcError as error:
            return error
    return None


def test_rpc_with_a_token_reaches_the_service(served_orders):
    port, _, _ = served_orders
    error = _get_order(port, READ_ONLY)
    # The order does not exist: the service itself answered (NOT_FOUND once orders are built,
    # UNIMPLEMENTED before), which proves the call got through authentication and scopes.
    assert error is not None
    assert error.code() in {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNIMPLEMENTED}


def test_call_without_token_is_refused_unauthenticated(served_orders):
    port, _, _ = served_orders
    error = _get_order(port, None)
    assert error is not None and error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_call_without_the_scope_is_refused_permission_denied(served_orders):
    port, _, _ = served_orders
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = orders_pb2_grpc.OrderServiceStub(channel)
        with pytest.raises(grpc.RpcError) as error:
            stub.PayOrder(
                orders_pb2.PayOrderRequest(order_id="x"),
                metadata=[("authorization", f"Bearer {READ_ONLY}")],
                timeout=10,
            )
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "orders:write" in error.value.details()


def test_metrics_endpoint_counts_rpcs(served_orders):
    import urllib.request

    port, env, _ = served_orders
    _get_order(port, READ_ONLY)
    with urllib.request.urlopen(f"http://127.0.0.1:{env['ISTHMUS_METRICS_PORT']}/metrics", timeout=5) as r:
        body = r.read().decode()
    counted = [
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("grpc_server_handled_total{") and 'grpc_method="GetOrder"' in line
    ]
    assert sum(counted) >= 1


def test_sigterm_stops_the_process_cleanly(pg_url, amqp_url, tmp_path):
    port = free_port()
    env = {
        "ISTHMUS_DATABASE_URL": pg_url,
        "ISTHMUS_AMQP_URL": amqp_url,
        "ISTHMUS_AUTH_DISABLED": "true",
        "ISTHMUS_GRPC_PORT": str(port),
        "ISTHMUS_METRICS_PORT": "0",
        "ISTHMUS_DATA_DIR": str(tmp_path),
        "ISTHMUS_ORDERS_SOURCE_SYSTEM": "erp",  # a typo the process names, and otherwise ignores
    }
    with running("serve", "orders", env=env, port=port) as process:
        process.terminate()
        assert process.wait(timeout=30) == 0
        logged = process.stderr.read()
        assert "shutting down" in logged
        assert "ISTHMUS_ORDERS_SOURCE_SYSTEM is set but nothing reads it: did you mean" in logged


def test_bad_configuration_stops_with_one_line_naming_the_variable(tmp_path):
    result = isthmus("serve", "orders", env={"ISTHMUS_GRPC_PORT": "not-a-port"}, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "ISTHMUS_GRPC_PORT" in result.stderr


def test_serve_refuses_to_start_without_a_broker(pg_url, tmp_path):
    env = {"ISTHMUS_DATABASE_URL": pg_url, "ISTHMUS_AUTH_DISABLED": "true", "ISTHMUS_DATA_DIR": str(tmp_path)}
    result = isthmus("serve", "orders", env=env, timeout=60)
    assert result.returncode == 2
    assert "ISTHMUS_AMQP_URL" in result.stderr


def test_health_command_reports_serving(served_orders):
    port, env, _ = served_orders
    result = isthmus("health", f"127.0.0.1:{port}", "--service", "isthmus.orders.v1.OrderService", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"127.0.0.1:{port} SERVING"


def test_health_command_fails_for_a_dead_port():
    result = isthmus("health", f"127.0.0.1:{free_port()}", "--timeout", "1", env={})
    assert result.returncode == 1
    assert "UNAVAILABLE" in result.stdout
