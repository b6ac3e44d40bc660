"""Smoke test of the embedded shape: SQLite files and the in-process bus, orders to points."""

from __future__ import annotations

from isthmus.platform import config, hub
from isthmus.platform.events import create_bus
from isthmus.platform.events.testing import FAST
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.loyalty.v1 import loyalty_pb2, loyalty_pb2_grpc
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

CUSTOMER = "00000000-0000-4000-8000-00000000c001"


async def test_an_order_paid_on_sqlite_earns_points_through_the_in_process_bus(tmp_path):
    settings = config.load(
        {
            "ISTHMUS_DATA_DIR": str(tmp_path),
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    async with (
        hub.running(settings, ["orders", "loyalty"], bus=create_bus(settings, FAST)) as h,
        h.channel() as channel,
    ):
        orders = orders_pb2_grpc.OrderServiceStub(channel)
        loyalty = loyalty_pb2_grpc.LoyaltyServiceStub(channel)
        created = await orders.CreateOrder(
            orders_pb2.CreateOrderRequest(
                source_system="erp",
                external_order_id="E-1",
                customer_id=CUSTOMER,
                channel=order_pb2.ORDER_CHANNEL_ERP,
                currency_code="JPY",
                lines=[order_pb2.OrderLine(sku="A", quantity=3, unit_price=common_pb2.Money(amount="1200"))],
            )
        )
        assert created.order.total.amount == "3600"
        await orders.PayOrder(
            orders_pb2.PayOrderRequest(
                order_id=created.order.order_id,
                expected_version=1,
                amount=created.order.total,
                payment_reference="pay-1",
            )
        )
        await h.runtime.bus.drain(timeout=10)
        # The built-in programme has no JPY rule: the customer is enrolled with nothing earned.
        got = (await loyalty.GetAccount(loyalty_pb2.GetAccountRequest(customer_id=CUSTOMER))).account
        assert got.balance == 0 and got.tier.tier_id == "member"
        adjusted = await loyalty.AdjustPoints(
            loyalty_pb2.AdjustPointsRequest(
                customer_id=CUSTOMER, points=7, reason="welcome", request_id="welcome"
            )
        )
        assert adjusted.account.balance == 7
