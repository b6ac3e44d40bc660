"""A new sales channel by configuration: a marketplace's CSV drops, mapped in the instance file alone
(the ``files`` connector), reach the customer master and the orders service as any source's records
do. The order comes in as the marketplace's channel, on the golden customer its buyer resolved to;
a buyer's unreadable birth date is kept raw on the source record; an order whose line does not read
is a dead letter naming the column, and the rest of the file goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from isthmus_connector_files.simulator import BUYER_COLUMNS, ORDER_COLUMNS, MarketplaceDrops

from isthmus.connectors.runtime import Instance
from isthmus.platform import hub
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

from .test_refusals_and_replay import hub_settings, local_runtime

pytestmark = pytest.mark.postgres


async def test_a_marketplace_mapped_by_configuration_delivers_buyers_and_orders(
    pg_database: str, tmp_path: Path
) -> None:
    drops = MarketplaceDrops(tmp_path, seed=0)
    drops.csv("buyers", BUYER_COLUMNS, [drops.buyer("K1", born="31.02.1981"), drops.buyer("K2", given="Ada")])
    # The tent in three instalments, two of them paid (at checkout, and a month later).
    lines = [
        [*drops.order_line("B1", "K1", "TENT-1", "1", "1.199,00"), "08.05.2024", "3", "2"],
        [*drops.order_line("B2", "K2", "MUG-2", "zwei", "4,50"), "", "", ""],
        [*drops.order_line("B1", "K1", "PEG-10", "4", "2,50"), "", "", "2"],
    ]
    drops.csv("orders", [*ORDER_COLUMNS, "Liefertermin", "Raten", "Bezahlt"], lines)
    config = drops.config()
    config["streams"] = {s: config["streams"][s] for s in ("customers", "orders")}
    # The date promised for the line, when the marketplace gives one (the tent's, not the pegs').
    config["streams"]["orders"]["fields"] |= {
        "lines.*.expected_delivery_date": {"column": "Liefertermin", "format": "%d.%m.%Y"},
        "lines.*.shipping_method": {"value": "standard"},
        "lines.*.instalments": "Raten",
        "paid_at": {"column": "Datum", "format": "%d.%m.%Y %H:%M"},
        "instalments_paid": "Bezahlt",
    }
    settings = hub_settings(
        pg_database, ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS="erp,webshop,callcenter,marketplace"
    )
    inst = Instance("marketplace", "files", config, 3600)
    async with hub.running(settings, ["customers", "orders"]) as h, h.channel() as channel:
        connectors = local_runtime(settings, channel, [inst])
        try:
            assert connectors.streams("marketplace") == ["customers", "orders"]
            buyers, orders_synced = await connectors.sync("marketplace", progress=False)
            assert (buyers.read, buyers.accepted, buyers.rejected) == (2, 2, 0)
            assert (orders_synced.read, orders_synced.accepted) == (2, 1)

            master = customers_pb2_grpc.CustomerMasterServiceStub(channel)
            found = await master.GetCustomerBySourceId(
                customers_pb2.GetCustomerBySourceIdRequest(source_system="marketplace", source_id="K1")
            )
            golden = found.customer
            exported = await master.ExportCustomer(
                customers_pb2.ExportCustomerRequest(customer_id=golden.customer_id)
            )
            [record] = exported.source_records
            assert dict(record.attributes) == {"unreadable:date_of_birth": "31.02.1981"}
            assert not record.HasField("birth_date")

            orders = orders_pb2_grpc.OrderServiceStub(channel)
            order = (
                await orders.GetOrderByExternalId(
                    orders_pb2.GetOrderByExternalIdRequest(
                        source_system="marketplace", external_order_id="B1"
                    )
                )
            ).order
            assert order.channel == order_pb2.ORDER_CHANNEL_MARKETPLACE
            assert order.customer_id == golden.customer_id
            assert [(line.sku, line.quantity) for line in order.lines] == [("TENT-1", 1), ("PEG-10", 4)]
            tent, pegs = order.lines
            assert (tent.expected_delivery_date.year, tent.expected_delivery_date.month) == (2024, 5)
            assert tent.expected_delivery_date.day == 8 and tent.shipping_method == "standard"
            assert not pegs.HasField("expected_delivery_date")
            assert (order.subtotal.amount, order.subtotal.currency_code) == ("1209.00", "EUR")
            # Paid at checkout (the first instalment with the pegs) and the second instalment since.
            assert [i.amount.amount for i in order.instalments] == ["409.67", "399.67", "399.66"]
            assert [i.HasField("pay_time") for i in order.instalments] == [True, True, False]
            assert (order.paid_total.amount, order.balance_due.amount) == ("809.34", "399.66")

            [letter] = await connectors.syncer.store.dead_letters("marketplace")
            assert letter.stream == "orders" and letter.record_key == "orders_00002.csv:3"
            assert "lines.*.quantity (column Menge): 'zwei' is not a whole number" in letter.reason

            # The order exported again: nothing is paid twice, and the tent's new delivery date is an
            # estimate beside the date promised.
            moved = [*lines[0][:-3], "10.05.2024", *lines[0][-2:]]
            drops.csv("orders", [*ORDER_COLUMNS, "Liefertermin", "Raten", "Bezahlt"], [moved, lines[2]])
            _, again = await connectors.sync("marketplace", progress=False)
            assert (again.read, again.accepted) == (1, 1)
            request = orders_pb2.GetOrderByExternalIdRequest(
                source_system="marketplace", external_order_id="B1"
            )
            now = (await orders.GetOrderByExternalId(request)).order
            assert now.version == order.version + 1 and now.paid_total == order.paid_total
            tent = now.lines[0]
            assert (tent.expected_delivery_date.day, tent.estimated_delivery_date.day) == (8, 10)
            # Read once more as it is: nothing moves.
            drops.csv("orders", [*ORDER_COLUMNS, "Liefertermin", "Raten", "Bezahlt"], [moved, lines[2]])
            await connectors.sync("marketplace", progress=False)
            assert (await orders.GetOrderByExternalId(request)).order.version == now.version
        finally:
            connectors.close()
