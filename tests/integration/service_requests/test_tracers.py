"""A tracer: a customer's parcel did not arrive, and the carrier is to trace it.

The service learns how each order left from the order service's OrderShipped events (never from its
tables), here through RabbitMQ; a tracer carries that shipment, and its opening is told as
TracerIssued for whatever files it with the carrier.
"""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.platform import config, hub
from isthmus.platform.db import async_engine
from isthmus.platform.events import Event, Subscription, create_bus
from isthmus.platform.events.testing import FAST
from isthmus_client.api.events.v1 import service_requests_pb2 as sev
from isthmus_client.api.orders.v1 import orders_pb2, orders_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc
from isthmus_client.api.service_requests.v1 import service_requests_pb2_grpc
from isthmus_client.errors import ORDER_NOT_SHIPPED, error_info, field_violations

from ..orders.conftest import new_order

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]


def tracer(
    customer_id: str, order_id: str = "", subject: str = "The parcel never arrived"
) -> rpc.OpenServiceRequestRequest:
    return rpc.OpenServiceRequestRequest(
        customer_id=customer_id,
        channel=pb.CHANNEL_PHONE,
        kind=pb.SERVICE_REQUEST_KIND_TRACER,
        subject=subject,
        order_id=order_id,
    )


async def test_a_tracer_carries_the_shipment_and_is_told(pg_database: str, amqp_vhost: str) -> None:
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_database,
            "ISTHMUS_AMQP_URL": amqp_vhost,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    anna = str(uuid.uuid4())
    bus = create_bus(settings, FAST)
    told: list[Event] = []

    async def probe(session: AsyncSession, event: Event) -> None:
        told.append(event)

    await asyncio.to_thread(hub.migrate, settings, ["service-requests"])
    probe_engine = async_engine(settings, "service_requests")
    bus.subscribe("probe", probe_engine, Subscription("tracers", ["service_requests.TracerIssued"], probe))
    try:
        async with (
            hub.running(settings, ["orders", "service-requests"], bus=bus) as h,
            h.channel() as channel,
        ):
            orders = orders_pb2_grpc.OrderServiceStub(channel)
            cases = service_requests_pb2_grpc.ServiceRequestServiceStub(channel)
            order = (await orders.CreateOrder(new_order(anna))).order
            await h.runtime.bus.drain(timeout=20)

            # Not shipped yet: nothing to trace.
            with pytest.raises(grpc.aio.AioRpcError) as early:
                await cases.OpenServiceRequest(tracer(anna, order.order_id))
            assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert error_info(early.value) == (ORDER_NOT_SHIPPED, {"field": "order_id"})
            # A tracer names its order.
            with pytest.raises(grpc.aio.AioRpcError) as orderless:
                await cases.OpenServiceRequest(tracer(anna))
            assert orderless.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert [f for f, _ in field_violations(orderless.value)] == ["order_id"]

            await orders.PayOrder(
                orders_pb2.PayOrderRequest(order_id=order.order_id, amount=order.total, payment_reference="p")
            )
            await orders.ShipOrder(
                orders_pb2.ShipOrderRequest(
                    order_id=order.order_id,
                    carrier="DHL",
                    tracking_number="003404341234",
                    warehouse="DC-Hamburg",
                    manifest_number="M-07",
                )
            )
            await h.runtime.bus.drain(timeout=20)
            opened = (await cases.OpenServiceRequest(tracer(anna, order.order_id))).service_request
            s = opened.shipment
            assert (s.carrier, s.tracking_number, s.warehouse, s.manifest_number) == (
                "DHL",
                "003404341234",
                "DC-Hamburg",
                "M-07",
            )
            assert s.HasField("ship_time")
            got = (
                await cases.GetServiceRequest(
                    rpc.GetServiceRequestRequest(service_request_id=opened.service_request_id)
                )
            ).service_request
            assert got.shipment == s
            # Two tracers opened together (the batched path) find their shipment too.
            both = await asyncio.gather(
                *(
                    cases.OpenServiceRequest(tracer(anna, order.order_id, subject=f"again {i}"))
                    for i in range(2)
                )
            )
            assert [b.service_request.shipment.tracking_number for b in both] == ["003404341234"] * 2
            # And one a source system opened under its own case id (the path of source-keyed cases).
            keyed = tracer(anna, order.order_id)
            keyed.source_system, keyed.external_id = "callcenter", "T-1"
            sourced = (await cases.OpenServiceRequest(keyed)).service_request
            assert sourced.shipment.manifest_number == "M-07"
            await h.runtime.bus.drain(timeout=20)
        issued = [e.payload for e in told if isinstance(e.payload, sev.TracerIssued)]
        assert len(issued) == 4
        assert issued[0].order_id == order.order_id and issued[0].shipment.carrier == "DHL"
        assert issued[0].service_request.service_request_id == opened.service_request_id
    finally:
        await probe_engine.dispose()
