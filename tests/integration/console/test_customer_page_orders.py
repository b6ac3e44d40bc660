"""The customer page tells an agent when the last order comes and what the customer owes next, from
the order events the 360 keeps (published here as the order service publishes them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from isthmus.platform import config, hub
from isthmus.platform.events.testing import publish
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import orders_pb2 as oev
from isthmus_client.api.orders.v1 import order_pb2

from .browser_kit import console, text


def _date(month: int, day: int) -> common_pb2.Date:
    return common_pb2.Date(year=2026, month=month, day=day)


async def test_the_last_order_shows_its_expected_delivery_and_the_next_instalment(tmp_path: Path) -> None:
    settings = config.load(
        {
            "ISTHMUS_DATA_DIR": str(tmp_path),
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    async with hub.running(settings, ["customers"]) as h, h.channel() as channel:
        customers = customers_pb2_grpc.CustomerMasterServiceStub(channel)
        record = pb.SourceRecord(
            source_system="erp", source_id="D1", name=pb.PersonName(given_name="Dora", family_name="Datum")
        )
        record.emails.add(address="dora.datum@example.org")
        customer_id = (
            await customers.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=record))
        ).result.customer_id
        order = order_pb2.Order(
            order_id=str(uuid.uuid4()),
            external_order_id="W-77",
            customer_id=customer_id,
            state=order_pb2.ORDER_STATE_PAID,
            currency_code="EUR",
            total=common_pb2.Money(amount="90.00", currency_code="EUR"),
        )
        order.place_time.FromDatetime(datetime(2026, 5, 1, tzinfo=UTC))
        line = order.lines.add(line_id="l1", sku="MOWER")
        line.expected_delivery_date.CopyFrom(_date(5, 10))
        line.estimated_delivery_date.CopyFrom(_date(5, 14))
        for number, month in ((2, 6), (3, 7)):
            due = order.instalments.add(
                number=number, amount=common_pb2.Money(amount="30.00", currency_code="EUR")
            )
            due.due_date.CopyFrom(_date(month, 1))
        await publish(h.runtime.bus, oev.OrderPaid(order=order), order.order_id, datetime.now(UTC))
        await h.runtime.bus.drain()

        async with console(h.port) as browser:
            page = await browser.sign_in(["customers:read"]).get(f"/customers/{customer_id}")
    assert page.status_code == 200, page.text[-500:]
    shown = text(page)
    assert "expected 2026-05-14 (moved from the promised date)" in shown, shown
    assert "instalment 2 of 30.00 EUR due 2026-06-01" in shown, shown
