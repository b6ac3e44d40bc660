"""Orders taken at an estimate (weighed or measured goods) get their final price from the source: the
order sent again with the line no longer ``price_pending`` sets it (SetFinalPrices) before the source's
payment is recorded, and is the same order, not a changed one refused as another."""

from __future__ import annotations

import pytest

from isthmus.connectors.hub import GrpcHub
from isthmus.platform import hub
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

from .test_refusals_and_replay import hub_settings

pytestmark = pytest.mark.postgres


def _order(price: str, pending: bool, **more: object) -> dict[str, object]:
    return {
        "external_order_id": "INV-W-1",
        "customer_source_id": "C-1",
        "channel": "erp",
        "currency_code": "EUR",
        "placed_at": "2024-05-02T09:00:00+00:00",
        "lines": [
            {
                "line_id": "cheese",
                "sku": "CHEESE-KG",
                "quantity": 1,
                "unit_price": price,
                "price_pending": pending,
            },
            {"line_id": "bread", "sku": "BREAD", "quantity": 2, "unit_price": "3.50"},
        ],
        **more,
    }


async def test_a_final_price_sent_again_is_set_before_the_payment(pg_database: str) -> None:
    settings = hub_settings(pg_database)
    async with hub.running(settings, ["customers", "orders"]) as h, h.channel() as channel:
        sink = GrpcHub(channel)
        orders = orders_pb2_grpc.OrderServiceStub(channel)
        customer = {"source_id": "C-1", "name": {"given_name": "Wanda", "family_name": "Waage"}}
        [person] = await sink.deliver("erp-1", "erp", "customers", [customer])
        assert person.accepted, person.reason

        async def in_hub() -> order_pb2.Order:
            request = orders_pb2.GetOrderByExternalIdRequest(source_system="erp", external_order_id="INV-W-1")
            return (await orders.GetOrderByExternalId(request)).order

        [taken] = await sink.deliver("erp-1", "erp", "orders", [_order("12.00", True)])
        assert (taken.accepted, taken.outcome) == (True, "created"), taken.reason
        estimated = await in_hub()
        assert estimated.lines[0].price_pending and estimated.total.amount == "19.00"

        # A new estimate, still pending: the same order.
        [again] = await sink.deliver("erp-1", "erp", "orders", [_order("12.40", True)])
        assert (again.accepted, again.outcome) == (True, "unchanged"), again.reason

        # Weighed: the final price, and paid at it.
        paid = _order("13.25", False, paid_at="2024-05-03T10:00:00+00:00")
        [priced] = await sink.deliver("erp-1", "erp", "orders", [paid])
        assert (priced.accepted, priced.outcome) == (True, "changed"), priced.reason
        final = await in_hub()
        assert not final.lines[0].price_pending and final.lines[0].unit_price.amount == "13.25"
        assert (final.state, final.total.amount) == (order_pb2.ORDER_STATE_PAID, "20.25")

        # Sent again as it is: nothing more.
        [same] = await sink.deliver("erp-1", "erp", "orders", [paid])
        assert (same.accepted, same.outcome) == (True, "unchanged"), same.reason
        assert (await in_hub()).version == final.version

        # A line that had its price from the start is still compared: another price is another order.
        changed = _order("13.25", False)
        changed["lines"][1]["unit_price"] = "4.00"  # type: ignore[index]
        [refused] = await sink.deliver("erp-1", "erp", "orders", [changed])
        assert not refused.accepted and "lines[1].unit_price" in refused.reason
