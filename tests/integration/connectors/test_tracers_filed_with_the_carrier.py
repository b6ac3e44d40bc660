"""A tracer reaches the carrier: the service requests context issues it (TracerIssued, through
RabbitMQ), the connectors component hands it to the carrier connector of the parcel's carrier, the
carrier files a claim, and the claim's reference is noted on the case. A redelivered event files and
notes nothing twice; a parcel of another carrier is not filed."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from free_ports import free_port
from isthmus_connector_carrier.simulator import CarrierSimulator
from prometheus_client import REGISTRY

from isthmus.platform import config, hub
from isthmus.platform.events import create_bus
from isthmus.platform.events.testing import FAST, publish
from isthmus_client.api.events.v1 import service_requests_pb2 as sev
from isthmus_client.api.orders.v1 import orders_pb2, orders_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc
from isthmus_client.api.service_requests.v1 import service_requests_pb2_grpc

from ..orders.conftest import new_order

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]


async def test_a_tracer_is_filed_with_the_parcels_carrier_and_its_claim_noted_on_the_case(
    pg_database: str, amqp_vhost: str, tmp_path: Path
) -> None:
    carrier = CarrierSimulator(tmp_path, carriers=("DHL",))
    instances = tmp_path / "connectors.json"
    instances.write_text(
        json.dumps(
            {
                "instances": [
                    {
                        "name": "dhl",
                        "connector": "carrier",
                        "config": carrier.config(),
                        "schedule_seconds": 3600,
                    }
                ]
            }
        )
    )
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_database,
            "ISTHMUS_AMQP_URL": amqp_vhost,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": str(free_port()),  # the connectors call the hub in this process
            "ISTHMUS_METRICS_PORT": "0",
            "ISTHMUS_CONNECTORS_FILE": str(instances),
        }
    )
    filed = {"connector_instance": "dhl", "outcome": "filed"}
    before = REGISTRY.get_sample_value("isthmus_connector_tracers_total", filed) or 0.0
    anna = str(uuid.uuid4())
    components = ["orders", "service-requests", "connectors"]
    await asyncio.to_thread(hub.migrate, settings, components)
    async with (
        hub.running(settings, components, bus=create_bus(settings, FAST)) as h,
        h.channel() as channel,
    ):
        orders = orders_pb2_grpc.OrderServiceStub(channel)
        cases = service_requests_pb2_grpc.ServiceRequestServiceStub(channel)

        async def shipped(with_carrier: str) -> str:
            order = (await orders.CreateOrder(new_order(anna))).order
            await orders.PayOrder(
                orders_pb2.PayOrderRequest(order_id=order.order_id, amount=order.total, payment_reference="p")
            )
            await orders.ShipOrder(
                orders_pb2.ShipOrderRequest(
                    order_id=order.order_id, carrier=with_carrier, tracking_number=f"T-{with_carrier}"
                )
            )
            await h.runtime.bus.drain(timeout=20)
            return str(order.order_id)

        async def tracer(order_id: str) -> str:
            opened = await cases.OpenServiceRequest(
                rpc.OpenServiceRequestRequest(
                    customer_id=anna,
                    channel=pb.CHANNEL_PHONE,
                    kind=pb.SERVICE_REQUEST_KIND_TRACER,
                    subject="The parcel never arrived",
                    order_id=order_id,
                )
            )
            await h.runtime.bus.drain(timeout=20)
            return str(opened.service_request.service_request_id)

        async def thread(case_id: str) -> list[pb.Interaction]:
            listed = await cases.ListInteractions(rpc.ListInteractionsRequest(service_request_id=case_id))
            return list(listed.interactions)

        by_dhl = await tracer(await shipped("DHL"))
        by_ups = await tracer(await shipped("UPS"))

        [claim] = carrier.claims()
        assert (claim["reference"], claim["case"], claim["tracking_number"]) == ("CLM-00001", by_dhl, "T-DHL")
        [note] = await thread(by_dhl)
        assert note.subject == "Tracer filed with DHL: claim CLM-00001"
        assert note.direction == pb.DIRECTION_INTERNAL and note.author.id == "dhl"
        assert await thread(by_ups) == []  # not this carrier's parcel
        assert (REGISTRY.get_sample_value("isthmus_connector_tracers_total", filed) or 0.0) - before == 1

        # The event delivered again (a replay from the dead letters): the carrier answers with the claim
        # it has, and the case's note is not written twice.
        case = (
            await cases.GetServiceRequest(rpc.GetServiceRequestRequest(service_request_id=by_dhl))
        ).service_request
        issued = sev.TracerIssued(service_request=case, order_id=case.order_id, shipment=case.shipment)
        await publish(h.runtime.bus, issued, by_dhl, datetime.now(UTC))
        await h.runtime.bus.drain(timeout=20)
        assert [c["reference"] for c in carrier.claims()] == ["CLM-00001"]
        assert [n.interaction_id for n in await thread(by_dhl)] == [note.interaction_id]
