"""A real nameko service, in its own process and virtualenv, receives an Isthmus event via the bridge."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pika
import pytest

from isthmus.platform.events import EXCHANGE
from isthmus.platform.events.envelope import amqp_properties, new_envelope
from isthmus.platform.events.nameko_bridge import NamekoBridge
from isthmus_client.api.events.v1 import orders_pb2

pytestmark = pytest.mark.rabbitmq

ROOT = Path(__file__).resolve().parents[3]
NAMEKO = Path(os.environ.get("ISTHMUS_NAMEKO_BIN", ROOT / ".venv-nameko" / "bin" / "nameko"))
EXAMPLE = ROOT / "examples" / "nameko_subscriber"
NAMEKO_QUEUE = "evt-isthmus_bridge-orders.OrderPaid--loyalty_notifier.on_order_paid"


def _queue_exists(url: str, queue: str) -> bool:
    with pika.BlockingConnection(pika.URLParameters(url)) as conn:
        try:
            conn.channel().queue_declare(queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker:
            return False
    return True


def _publish_like_a_relay(url: str, envelope) -> None:  # type: ignore[no-untyped-def]
    with pika.BlockingConnection(pika.URLParameters(url)) as conn:
        channel = conn.channel()
        channel.confirm_delivery()
        channel.exchange_declare(EXCHANGE, "topic", durable=True)
        props = pika.BasicProperties(**amqp_properties(envelope))
        channel.basic_publish(EXCHANGE, envelope.type, envelope.SerializeToString(), props)


async def _eventually(check, what: str, attempts: int = 600) -> None:  # type: ignore[no-untyped-def]
    for _ in range(attempts):
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def nameko_service(amqp_vhost: str, tmp_path: Path) -> Iterator[Path]:
    """examples/nameko_subscriber run by nameko in its own venv; yields the file it writes events to."""
    if not NAMEKO.exists():
        message = f"SKIPPED, NO NAMEKO: {NAMEKO} is missing; `make .venv-nameko/bin/nameko` builds it"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    received = tmp_path / "received.jsonl"
    service = subprocess.Popen(
        [str(NAMEKO), "run", "service", "--broker", amqp_vhost],
        cwd=EXAMPLE,
        env={**os.environ, "RECEIVED_EVENTS_FILE": str(received), "PYTHONWARNINGS": "ignore"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield received
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            service.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            service.kill()
            service.communicate()


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.slow
async def test_nameko_event_handler_receives_a_bridged_event(amqp_vhost: str, nameko_service: Path) -> None:
    bridge = NamekoBridge(amqp_vhost, ["orders.*"])
    task = asyncio.create_task(bridge.run())
    try:
        await _eventually(lambda: _queue_exists(amqp_vhost, NAMEKO_QUEUE), "the nameko service's queue")
        await _eventually(lambda: _queue_exists(amqp_vhost, "isthmus.nameko-bridge"), "the bridge's queue")
        paid = orders_pb2.OrderPaid(payment_reference="pay-42")
        envelope = new_envelope(
            paid,
            aggregate_id="order-42",
            correlation_id="corr-42",
            causation_id="",
            producer="orders",
            occurred_at=datetime.now(UTC),
        )
        await asyncio.to_thread(_publish_like_a_relay, amqp_vhost, envelope)
        await _eventually(lambda: bool(_lines(nameko_service)), "the nameko handler")
        [event] = [json.loads(line) for line in await asyncio.to_thread(_lines, nameko_service)]
        assert event["event_id"] == envelope.event_id
        assert (event["type"], event["aggregate_id"]) == ("orders.OrderPaid", "order-42")
        assert (event["correlation_id"], event["payload"]["payment_reference"]) == ("corr-42", "pay-42")
        # The bridge counts an event once the broker confirms it, which can come after the handler ran.
        await _eventually(lambda: bridge.bridged >= 1, "the broker's confirm of the bridged event")
        assert bridge.bridged == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    # The bridge is pika only: eventlet's monkey-patching never reached this (grpcio) process.
    assert "nameko" not in sys.modules and "eventlet" not in sys.modules
