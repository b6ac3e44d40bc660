"""An order's life in the shop after it was synced reaches the hub: a cancellation with its reason,
a shipment, a delivery and returns with their reasons, each once.

The shop's order object carries ``cancelled_at`` and ``cancel_reason`` once cancelled (and a new
``updated_at``, so the next incremental read sees it); the e-commerce connector maps them to the
canonical order's cancellation, and the runtime cancels the hub's order. Without it an order cancelled
in the shop stayed paid in the hub: its points stayed earned and its revenue counted in the value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from isthmus_connector_ecommerce.simulator import ShopSimulator

from isthmus.connectors.runtime import Instance
from isthmus.platform import hub
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

from .test_refusals_and_replay import hub_settings, local_runtime

pytestmark = pytest.mark.postgres


async def test_an_order_cancelled_in_the_shop_is_cancelled_in_the_hub(
    pg_database: str, tmp_path: Path
) -> None:
    shop = ShopSimulator(tmp_path, seed=0, rate_limit_every=0)
    mara = shop.add_customer("Mara", "Lind", "mara@lind.example")
    placed = shop.add_order(mara["id"], [("TENT-1", "Tent", 1, "199.00")])
    settings = hub_settings(pg_database)
    inst = Instance(
        "shop", "ecommerce", {**shop.config(), "source_system": "webshop"}, 3600, ("customers", "orders")
    )
    try:
        async with hub.running(settings, ["customers", "orders"]) as h, h.channel() as channel:
            connectors = local_runtime(settings, channel, [inst])
            master = customers_pb2_grpc.CustomerMasterServiceStub(channel)
            orders = orders_pb2_grpc.OrderServiceStub(channel)

            async def in_hub() -> order_pb2.Order:
                request = orders_pb2.GetOrderByExternalIdRequest(
                    source_system="webshop", external_order_id=str(placed["id"])
                )
                return (await orders.GetOrderByExternalId(request)).order

            try:
                await connectors.sync("shop", progress=False)
                assert (await in_hub()).state == order_pb2.ORDER_STATE_PAID
                customer = await master.GetCustomerBySourceId(
                    customers_pb2.GetCustomerBySourceIdRequest(
                        source_system="webshop", source_id=str(mara["id"])
                    )
                )
                assert (await in_hub()).customer_id == customer.customer.customer_id

                shop.cancel_order(placed["id"], "customer", "2024-04-21T08:00:00+00:00")
                [_, synced] = await connectors.sync("shop", progress=False)
                assert (synced.read, synced.accepted, synced.rejected) == (1, 1, 0)
                cancelled = await in_hub()
                assert cancelled.state == order_pb2.ORDER_STATE_CANCELLED
                history = await orders.ListOrderHistoryEntries(
                    orders_pb2.ListOrderHistoryEntriesRequest(
                        order_id=cancelled.order_id, kinds=[order_pb2.ORDER_HISTORY_KIND_CANCELLED]
                    )
                )
                [entry] = history.order_history_entries
                assert entry.cancellation_reason == order_pb2.CANCELLATION_REASON_CUSTOMER_REQUEST
                assert entry.occur_time.ToJsonString() == "2024-04-21T08:00:00Z"

                # The cancelled order read again (another change in the shop) changes nothing more.
                shop.cancel_order(placed["id"], "customer", "2024-04-21T08:00:00+00:00")
                [_, again] = await connectors.sync("shop", progress=False)
                assert (again.accepted, again.rejected) == (1, 0)
                assert (await in_hub()).version == cancelled.version
            finally:
                connectors.close()
    finally:
        shop.close()


async def test_an_order_shipped_delivered_and_partly_returned_in_the_shop_is_so_in_the_hub(
    pg_database: str, tmp_path: Path
) -> None:
    shop = ShopSimulator(tmp_path, seed=0, rate_limit_every=0)
    mara = shop.add_customer("Mara", "Lind", "mara@lind.example")
    placed = shop.add_order(mara["id"], [("TENT-1", "Tent", 1, "199.00"), ("PEG-10", "Pegs", 4, "2.50")])
    settings = hub_settings(pg_database)
    inst = Instance(
        "shop", "ecommerce", {**shop.config(), "source_system": "webshop"}, 3600, ("customers", "orders")
    )
    try:
        async with hub.running(settings, ["customers", "orders"]) as h, h.channel() as channel:
            orders = orders_pb2_grpc.OrderServiceStub(channel)

            async def in_hub() -> order_pb2.Order:
                request = orders_pb2.GetOrderByExternalIdRequest(
                    source_system="webshop", external_order_id=str(placed["id"])
                )
                return (await orders.GetOrderByExternalId(request)).order

            connectors = local_runtime(settings, channel, [inst])
            try:
                await connectors.sync("shop", progress=False)
                shop.fulfil_order(placed["id"], "2024-04-21T10:00:00+00:00", tracking="00340434")
                await connectors.sync("shop", progress=False)
                shipped = await in_hub()
                assert (shipped.state, shipped.carrier, shipped.tracking_number) == (
                    order_pb2.ORDER_STATE_SHIPPED,
                    "DHL",
                    "00340434",
                )
                shop.fulfil_order(
                    placed["id"], "2024-04-21T10:00:00+00:00", tracking="00340434",
                    delivered_at="2024-04-23T12:00:00+00:00",
                )  # fmt: skip
                shop.refund_order(placed["id"], 901, "2024-04-25T09:00:00+00:00", [(2, 3, "damaged")])
                await connectors.sync("shop", progress=False)
                returned = await in_hub()
                assert returned.state == order_pb2.ORDER_STATE_DELIVERED
                [back] = returned.returns
                assert [(x.line_id, x.quantity, x.reason_code) for x in back.lines] == [
                    ("2", 3, order_pb2.RETURN_REASON_DAMAGED)
                ]
            finally:
                connectors.close()
            # Months later, another process (its id map read from the database), the order read again.
            shop.refund_order(placed["id"], 902, "2024-07-01T09:00:00+00:00", [(1, 1, "unwanted")])
            later = local_runtime(settings, channel, [inst])
            try:
                await later.sync("shop", progress=False)
            finally:
                later.close()
            final = await in_hub()
            assert [[(x.line_id, x.quantity, x.reason_code) for x in r.lines] for r in final.returns] == [
                [("2", 3, order_pb2.RETURN_REASON_DAMAGED)],
                [("1", 1, order_pb2.RETURN_REASON_CHANGED_MIND)],
            ], "each of the shop's refunds once"
    finally:
        shop.close()
