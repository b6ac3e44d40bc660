"""The embedded shape: the customer master on SQLite resolves, merges and erases."""

from __future__ import annotations

from pathlib import Path

from isthmus.platform import config, hub
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb

from .helpers import person, upsert


async def test_customer_master_works_on_sqlite(tmp_path: Path) -> None:
    settings = config.load(
        {
            "ISTHMUS_DATA_DIR": str(tmp_path),
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    async with hub.running(settings, ["customers"]) as h, h.channel() as channel:
        master = customers_pb2_grpc.CustomerMasterServiceStub(channel)
        a = await upsert(master, person("erp", "1", "Mia", "Wolf", email="mia@example.com"))
        b = await upsert(master, person("webshop", "w1", "Mia", "Wolf", email="MIA@example.com"))
        c = await upsert(master, person("callcenter", "c1", "Max", "Fuchs", phone="+49 30 1234567"))
        assert b.customer_id == a.customer_id
        merged = await master.MergeCustomers(
            api.MergeCustomersRequest(surviving_id=a.customer_id, merged_ids=[c.customer_id], reason="test")
        )
        assert len(merged.customer.sources) == 3
        found = await master.SearchCustomers(api.SearchCustomersRequest(query="mia wolf"))
        assert [x.customer_id for x in found.customers] == [a.customer_id]
        await master.EraseCustomer(api.EraseCustomerRequest(customer_id=a.customer_id, reason="request"))
        gone = (await master.GetCustomer(api.GetCustomerRequest(customer_id=a.customer_id))).customer
        assert gone.state == pb.CUSTOMER_STATE_ERASED
