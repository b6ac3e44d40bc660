"""Write-back end to end: a golden change caused by one system reaches another system's database.

The customer master and the connectors component run together on PostgreSQL and RabbitMQ, in a
database and a vhost of the test's own (events other tests left in the customer master's outbox would
reach this connector first); the ERP connector syncs the ERP's contact in on start. The web shop then
tells the master a new phone number for the same person (same email): the master publishes
CustomerUpdated, the connectors component consumes it and the ERP connector writes the golden phone
into the ERP's contact.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import grpc
import pytest
from free_ports import free_port
from isthmus_connector_erp.simulator import ErpSimulator
from prometheus_client import REGISTRY

from isthmus.platform import config, hub
from isthmus.platform.events import create_bus
from isthmus.platform.events.testing import FAST
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, seconds: float = 20) -> T:
    async with asyncio.timeout(seconds):
        while (found := await probe()) is None:  # noqa: ASYNC110 (polls another system's database)
            await asyncio.sleep(0.05)
    assert found is not None, what
    return found


async def test_a_phone_learnt_from_the_shop_is_written_back_to_the_erp(
    pg_database, amqp_vhost, tmp_path: Path
):
    erp = ErpSimulator(tmp_path, seed=0)
    account = erp.add_account("Grün Gartenbau", "Gartenweg 3", "10115", "Berlin", "DE")
    contact = erp.add_contact(account, "Greta", "Grün", email="greta@gruen.example", birth_date="03.03.1973")
    instances = tmp_path / "connectors.json"
    instances.write_text(
        json.dumps(
            {
                "instances": [
                    {
                        "name": "erp",
                        "connector": "erp",
                        "config": erp.config(),
                        "schedule_seconds": 3600,
                        "streams": ["customers"],
                    }
                ]
            }
        )
    )
    port = free_port()
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_database,
            "ISTHMUS_AMQP_URL": amqp_vhost,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": str(port),
            "ISTHMUS_METRICS_PORT": "0",
            "ISTHMUS_CONNECTORS_FILE": str(instances),
            "ISTHMUS_CUSTOMERS_DEFAULT_REGION": "DE",
        }
    )
    written = {"connector_instance": "erp", "outcome": "written"}
    before = REGISTRY.get_sample_value("isthmus_connector_write_backs_total", written) or 0.0
    try:
        bus = create_bus(settings, FAST)
        async with hub.running(settings, ["customers", "connectors"], bus=bus) as h, h.channel() as channel:
            master = customers_pb2_grpc.CustomerMasterServiceStub(channel)

            async def synced() -> api.GetCustomerBySourceIdResponse | None:
                try:
                    request = api.GetCustomerBySourceIdRequest(source_system="erp", source_id=str(contact))
                    return await master.GetCustomerBySourceId(request)
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.NOT_FOUND
                    return None

            in_master = await eventually(synced, "the ERP contact synced on start")
            assert erp.contact(contact)["phone"] == ""

            shop = pb.SourceRecord(source_system="webshop", source_id="W-77")
            shop.name.given_name, shop.name.family_name = "Greta", "Grün"
            shop.emails.add(address="greta@gruen.example")
            shop.phones.add(number="030 2222222")
            linked = (await master.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=shop))).result
            assert linked.customer_id == in_master.customer_id
            assert linked.outcome == pb.MATCH_OUTCOME_LINKED_DETERMINISTIC

            async def written_back() -> str | None:
                return erp.contact(contact)["phone"] or None

            assert await eventually(written_back, "the golden phone in the ERP") == "+49302222222"
            after = REGISTRY.get_sample_value("isthmus_connector_write_backs_total", written) or 0.0
            assert after > before, "counted as written"
            await h.runtime.bus.drain(timeout=20)
        # The shop's own record is not written back to the shop (it has no write support), and the
        # ERP's name and email were already the golden ones: only the phone changed there.
        row = erp.contact(contact)
        assert (row["first_name"], row["last_name"], row["email"]) == ("Greta", "Grün", "greta@gruen.example")
    finally:
        erp.close()
