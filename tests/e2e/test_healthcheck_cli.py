"""The health check command the chart's `helm test` pod runs, against a real gRPC server."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from isthmus.platform import healthcheck


@pytest.fixture
def health_server() -> Iterator[tuple[str, health.HealthServicer]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", servicer
    finally:
        server.stop(grace=None)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "isthmus.platform.healthcheck", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serving_process_passes_the_check(health_server: tuple[str, health.HealthServicer]) -> None:
    target, servicer = health_server
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)

    result = run("--target", target)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{target} SERVING"


def test_not_serving_process_fails_the_check(health_server: tuple[str, health.HealthServicer]) -> None:
    target, servicer = health_server
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)

    result = run(target)

    assert result.returncode == 1
    assert result.stdout.strip() == f"{target} NOT_SERVING"


def test_unknown_service_and_unreachable_target_both_fail(
    health_server: tuple[str, health.HealthServicer],
) -> None:
    target, servicer = health_server
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)

    result = run(target, "127.0.0.1:1", "--service", "isthmus.orders.v1.OrderService", "--timeout", "2")

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{target} NOT_FOUND"
    assert lines[1] == "127.0.0.1:1 UNAVAILABLE"


def test_no_target_is_a_usage_error() -> None:
    result = run()

    assert result.returncode == 2
    assert "HOST:PORT" in result.stderr


def test_health_registers_as_an_isthmus_sub_command(health_server: tuple[str, health.HealthServicer]) -> None:
    target, servicer = health_server
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    parser = argparse.ArgumentParser(prog="isthmus")
    healthcheck.register(parser.add_subparsers())

    args = parser.parse_args(["health", "--target", target])

    assert args.func(args) == 0
