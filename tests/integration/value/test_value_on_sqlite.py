"""Smoke test of the embedded shape: SQLite files and the in-process bus, orders to customer value."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from isthmus.cli import main
from isthmus.platform import config, hub
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.events import create_bus
from isthmus.platform.events.testing import FAST
from isthmus.value import config as value_config
from isthmus.value import credit
from isthmus.value.bootstrap import record
from isthmus.value.handlers import CurrentModel
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc
from isthmus_client.api.value.v1 import value_pb2, value_pb2_grpc


def cid(name: str) -> str:
    """A golden customer id (a UUID) for a readable test name: the same name, the same id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"isthmus-test:{name}"))


async def test_a_paid_order_on_sqlite_becomes_the_customers_value(tmp_path, monkeypatch, capsys):
    settings = config.load(
        {
            "ISTHMUS_DATA_DIR": str(tmp_path),
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    async with (
        hub.running(settings, ["orders", "value"], bus=create_bus(settings, FAST)) as h,
        h.channel() as channel,
    ):
        orders = orders_pb2_grpc.OrderServiceStub(channel)
        value = value_pb2_grpc.ValueServiceStub(channel)
        created = await orders.CreateOrder(
            orders_pb2.CreateOrderRequest(
                source_system="erp",
                external_order_id="E-1",
                customer_id=cid("c-1"),
                channel=order_pb2.ORDER_CHANNEL_ERP,
                currency_code="EUR",
                lines=[order_pb2.OrderLine(sku="A", quantity=2, unit_price=common_pb2.Money(amount="30.00"))],
                adjustments=[
                    order_pb2.Adjustment(
                        kind=order_pb2.ADJUSTMENT_KIND_TAX, amount=common_pb2.Money(amount="11.40")
                    )
                ],
                attributes={"cost_of_goods": "20.00"},
            )
        )
        await orders.PayOrder(
            orders_pb2.PayOrderRequest(
                order_id=created.order.order_id,
                expected_version=1,
                amount=created.order.total,
                payment_reference="pay-1",
            )
        )
        await h.runtime.bus.drain(timeout=10)
        got = (
            await value.GetCustomerValue(value_pb2.GetCustomerValueRequest(customer_id=cid("c-1")))
        ).customer_value
        # Revenue without tax, cost of goods from the order's attribute, no case: margin 40.
        assert (got.revenue.amount, got.cost_of_goods.amount, got.margin.amount) == (
            "60.00",
            "20.00",
            "40.00",
        )
        assert got.historical_value.amount == "40.00" and got.orders == 1
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await value.GetCustomerValue(value_pb2.GetCustomerValueRequest(customer_id=cid("nobody")))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND

        # An order left unpaid: the credit review, a month on, finds it overdue and stores it.
        await orders.CreateOrder(
            orders_pb2.CreateOrderRequest(
                source_system="erp",
                external_order_id="E-2",
                customer_id=cid("c-2"),
                channel=order_pb2.ORDER_CHANNEL_ERP,
                currency_code="EUR",
                lines=[order_pb2.OrderLine(sku="A", quantity=1, unit_price=common_pb2.Money(amount="30.00"))],
            )
        )
        await h.runtime.bus.drain(timeout=10)
        later = datetime.now(UTC) + timedelta(days=30)
        engine = async_engine(settings, "value")
        try:
            sessions = session_factory(engine)
            checked = await credit.recheck_due(
                sessions, value_config.load(settings.extra), lambda: later, record, CurrentModel()
            )
        finally:
            await engine.dispose()
        assert checked == 1
        poor = value_pb2.ListCustomerValuesRequest(credit_rank=common_pb2.CREDIT_RANK_POOR)
        listed = (await value.ListCustomerValues(poor)).customer_values
        assert [(v.customer_id, v.credit.overdue.amount) for v in listed] == [(cid("c-2"), "30.00")]

    # `isthmus value credit-review` runs the same job by hand, at the real time: nothing is due yet.
    for name, value in {"ISTHMUS_DATA_DIR": str(tmp_path), "ISTHMUS_AUTH_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ISTHMUS_DATABASE_URL", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:  # the command configures logging; later tests' threads must not write to this test's stderr
        assert await asyncio.to_thread(main, ["value", "credit-review"]) == 0
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert "0 credit ranks worked out again" in capsys.readouterr().out
