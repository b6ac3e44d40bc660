"""An orders service on the session's PostgreSQL database, with a clock the test moves."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from isthmus.platform import config, hub
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
async def orders(pg_url: str, clock: FakeClock) -> AsyncIterator[orders_pb2_grpc.OrderServiceStub]:
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_url,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    async with hub.running(settings, ["orders"], clock=clock) as h, h.channel() as channel:
        yield orders_pb2_grpc.OrderServiceStub(channel)


def eur(amount: str, currency: str = "EUR") -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency_code=currency)


def new_order(customer_id: str | None = None, **overrides: object) -> orders_pb2.CreateOrderRequest:
    request = orders_pb2.CreateOrderRequest(
        source_system="webshop",
        external_order_id=f"W-{uuid.uuid4().hex[:10]}",
        customer_id=customer_id or str(uuid.uuid4()),
        channel=order_pb2.ORDER_CHANNEL_WEB,
        currency_code="EUR",
        lines=[
            order_pb2.OrderLine(
                sku="TV-1",
                description="Television",
                quantity=1,
                unit_price=eur("400.00"),
                category="electronics",
                shipping_method="express",
            ),
            order_pb2.OrderLine(
                sku="SOCK",
                description="Socks",
                quantity=4,
                unit_price=eur("2.50"),
                category="apparel",
                shipping_method="standard",
            ),
        ],
        adjustments=[
            order_pb2.Adjustment(kind=order_pb2.ADJUSTMENT_KIND_TAX, amount=eur("78.85"), tax_rate="0.19"),
            order_pb2.Adjustment(kind=order_pb2.ADJUSTMENT_KIND_SHIPPING, amount=eur("4.95")),
        ],
    )
    for key, value in overrides.items():
        if isinstance(value, list):
            field = getattr(request, key)
            del field[:]
            field.extend(value)
        elif hasattr(value, "SerializeToString"):
            getattr(request, key).CopyFrom(value)
        else:
            setattr(request, key, value)
    return request


@pytest.fixture
def make_order():  # type: ignore[no-untyped-def]
    """``make_order(customer_id=None, **fields)``: a valid two-line EUR order with tax and shipping."""
    return new_order


@pytest.fixture
def money():  # type: ignore[no-untyped-def]
    return eur
