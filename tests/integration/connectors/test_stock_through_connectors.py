"""The ERP's article stock reaches the hub through the ERP connector's ``stock`` stream, before the
orders of the same sync: an invoice for more than the ERP counted goes on backorder, a later count
fills it, and an oversold article (stock below zero) is a dead letter with its reason while the rest
of the stock arrives."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from isthmus_connector_erp.simulator import ErpSimulator

from isthmus.connectors.runtime import Instance
from isthmus.platform import hub
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

from .test_refusals_and_replay import hub_settings, local_runtime

pytestmark = pytest.mark.postgres


async def test_the_erps_stock_is_kept_by_the_hub_and_its_orders_take_it(
    pg_database: str, tmp_path: Path
) -> None:
    erp = ErpSimulator(tmp_path, seed=0)
    account = erp.add_account("Grün Gartenbau", "Gartenweg 3", "10115", "Berlin", "DE")
    greta = erp.add_contact(account, "Greta", "Grün", email="greta@gruen.example", birth_date="03.03.1973")
    erp.set_stock("MOWER-1", "Lawn mower", 1, next_delivery=date(2024, 6, 3))
    erp.set_stock("OIL-5", "Olive oil 5l", 40)
    erp.set_stock("GHOST-1", "Sold twice", -2)
    erp.add_invoice(
        greta, "INV-1", [("MOWER-1", "Lawn mower", 2, "349.00"), ("OIL-5", "Olive oil", 1, "39.90")]
    )
    settings = hub_settings(pg_database)
    inst = Instance("erp", "erp", erp.config(), 3600, ("customers", "orders", "stock"))
    try:
        async with hub.running(settings, ["customers", "orders"]) as h, h.channel() as channel:
            orders = orders_pb2_grpc.OrderServiceStub(channel)
            connectors = local_runtime(settings, channel, [inst])
            try:
                results = {r.stream: r for r in await connectors.sync("erp", progress=False)}
                assert list(results) == ["customers", "stock", "orders"]  # stock before the orders
                assert (results["stock"].accepted, results["stock"].rejected) == (2, 1)
                stock = await orders.GetStock(
                    orders_pb2.GetStockRequest(skus=["MOWER-1", "OIL-5", "GHOST-1"])
                )
                mower, oil, ghost = stock.stock
                assert (mower.on_hand, mower.allocated, mower.backordered) == (1, 1, 1)
                assert mower.expected_receipt_time.ToJsonString() == "2024-06-03T00:00:00Z"
                assert (oil.on_hand, oil.allocated, oil.description) == (40, 1, "Olive oil 5l")
                assert not ghost.tracked
                trail = await orders.ListStockMovements(orders_pb2.ListStockMovementsRequest(sku="OIL-5"))
                counted = trail.movements[0]
                assert (counted.reason, counted.actor.id) == ("counted in erp", "erp")

                erp.set_stock("MOWER-1", "Lawn mower", 3)  # the delivery came in
                await connectors.sync("erp", progress=False)
                found = await orders.GetOrderByExternalId(
                    orders_pb2.GetOrderByExternalIdRequest(source_system="erp", external_order_id="INV-1")
                )
                line = found.order.lines[0]
                assert (line.allocated_quantity, line.backordered_quantity) == (2, 0)
                kinds = [
                    e.kind
                    for e in (
                        await orders.ListOrderHistoryEntries(
                            orders_pb2.ListOrderHistoryEntriesRequest(order_id=found.order.order_id)
                        )
                    ).order_history_entries
                ]
                assert order_pb2.ORDER_HISTORY_KIND_BACKORDERED in kinds
                assert kinds[-1] == order_pb2.ORDER_HISTORY_KIND_BACKORDER_RELEASED
                mower = (await orders.GetStock(orders_pb2.GetStockRequest(skus=["MOWER-1"]))).stock[0]
                assert (mower.on_hand, mower.allocated, mower.available, mower.backordered) == (3, 2, 1, 0)
                assert not mower.HasField("expected_receipt_time")  # no delivery expected any more
            finally:
                connectors.close()
    finally:
        erp.close()
