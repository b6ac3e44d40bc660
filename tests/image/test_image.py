"""The Dockerfile builds, and its default target runs read-only as its non-root user, serving gRPC.

Built and run with podman (see imagekit.py). Under CI=true a machine that cannot build or run
containers fails these tests with podman's error; elsewhere they are skipped, loudly.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import yaml
from free_ports import free_port
from grpc_health.v1 import health_pb2, health_pb2_grpc

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

from . import imagekit

# The first run on a machine builds the Debian base with debootstrap: minutes, more on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TOKEN = "image-test-token-0123456789"
TOKENS = json.dumps({"image-test": {"token": TOKEN, "scopes": ["orders:*"]}})
# What the chart's securityContext asks of Kubernetes, asked of podman: a read-only root, no
# capabilities, no privilege escalation, and the two emptyDirs the chart mounts.
LOCKED_DOWN = (
    "--network", "host",
    *imagekit.ULIMITS,
    "--read-only", "--read-only-tmpfs=false",
    "--tmpfs", "/tmp:rw,size=64m",
    "--tmpfs", "/var/lib/isthmus:rw,size=256m,U",
    "--cap-drop", "ALL",
    "--security-opt", "no-new-privileges",
)  # fmt: skip


def _unavailable(why: object) -> None:
    message = f"the image cannot be built or run here: {why}"
    if IN_CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(f"SKIPPED, NO PODMAN: {message}")


@pytest.fixture(scope="module")
def image() -> str:
    try:
        base = imagekit.ensure_base_image()
        imagekit.check_podman_runs_containers(base)
    except (imagekit.PodmanUnavailable, OSError, subprocess.SubprocessError) as exc:
        _unavailable(exc)
    tag = imagekit.checkout_tag("isthmus-test")
    imagekit.replace_image(tag, base)
    return tag


def _inspect(image: str) -> dict[str, Any]:
    (found,) = json.loads(imagekit.podman("image", "inspect", image).stdout)
    config: dict[str, Any] = found["Config"]
    return config


def _run(image: str, *args: str, env: dict[str, str] | None = None, entrypoint: str | None = None) -> str:
    flags = [*LOCKED_DOWN, *(f"--env={k}={v}" for k, v in (env or {}).items())]
    if entrypoint:
        flags += ["--entrypoint", entrypoint]
    done = imagekit.podman("run", "--rm", *flags, image, *args, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_default_target_is_the_runtime_image_run_by_the_charts_user(image: str) -> None:
    config = _inspect(image)
    values = yaml.safe_load((imagekit.ROOT / "charts" / "isthmus" / "values.yaml").read_text())
    uid = values["podSecurityContext"]["runAsUser"]
    assert config["User"] == f"{uid}:{uid}"
    assert config["Entrypoint"] == ["isthmus"]
    assert config["Labels"]["org.opencontainers.image.title"] == "isthmus"
    # The dev target's writable sources are not in the default image.
    assert not any(e.startswith("PYTHONPATH=") for e in config["Env"])
    assert _run(image, "-c", "test ! -e /app && id -u", entrypoint="sh").strip() == str(uid)


def test_reference_connectors_are_installed_but_not_the_template(image: str) -> None:
    listing = _run(image, "connectors", "list")
    for name in ("erp", "ecommerce", "callcenter", "files"):
        assert f"\n  {name} " in listing, listing
    assert "template" not in listing
    pip = _run(image, "-m", "pip", "list", "--format", "json", entrypoint="python")
    installed = {p["name"] for p in json.loads(pip)}
    assert "isthmus-connector-template" not in installed
    assert not installed & {"pytest", "mypy", "ruff", "grpcio-tools"}, "the dev extra stays out"


@pytest.fixture
def served_orders(image: str, pg_url: str, amqp_url: str) -> Iterator[int]:
    port = free_port()
    env = {
        "ISTHMUS_DATABASE_URL": pg_url,
        "ISTHMUS_AMQP_URL": amqp_url,
        "ISTHMUS_AUTH_TOKENS": TOKENS,
        "ISTHMUS_GRPC_PORT": str(port),
        "ISTHMUS_METRICS_PORT": "0",
    }
    _run(image, "migrate", "orders", env=env)
    name = f"isthmus-image-test-{uuid.uuid4().hex[:8]}"
    flags = [*LOCKED_DOWN, *(f"--env={k}={v}" for k, v in env.items())]
    imagekit.podman("run", "-d", "--name", name, *flags, image, "serve", "orders")
    try:
        yield port
    finally:
        logs = imagekit.podman("logs", name, check=False).stderr
        imagekit.podman("stop", "--time", "30", name, check=False, timeout=60)
        stopped = imagekit.podman("inspect", "--format", "{{.State.ExitCode}}", name, check=False)
        imagekit.podman("rm", "-f", name, check=False)
        assert stopped.stdout.strip() == "0", f"the container did not stop cleanly:\n{logs[-3000:]}"


def _wait_serving(port: int) -> None:
    deadline = time.monotonic() + 90
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(service="isthmus.orders.v1.OrderService"))
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.3)


def test_image_serves_health_and_an_rpc_read_only_as_its_non_root_user(served_orders: int) -> None:
    _wait_serving(served_orders)
    metadata = [("authorization", f"Bearer {TOKEN}")]
    with grpc.insecure_channel(f"127.0.0.1:{served_orders}") as channel:
        orders = orders_pb2_grpc.OrderServiceStub(channel)
        created = orders.CreateOrder(
            orders_pb2.CreateOrderRequest(
                source_system="erp",
                external_order_id=f"A-{uuid.uuid4().hex[:8]}",
                customer_id="00000000-0000-4000-8000-000000000001",
                channel=order_pb2.ORDER_CHANNEL_WEB,
                currency_code="EUR",
                lines=[
                    order_pb2.OrderLine(
                        sku="SKU-1",
                        description="Olive oil",
                        quantity=2,
                        unit_price=common_pb2.Money(amount="9.95", currency_code="EUR"),
                    )
                ],
            ),
            metadata=metadata,
            timeout=30,
        )
        found = orders.GetOrder(
            orders_pb2.GetOrderRequest(order_id=created.order.order_id), metadata=metadata
        ).order
    assert found.total.amount == "19.90"
