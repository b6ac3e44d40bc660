"""A service request may name only an order of its own customer.

The service learns which customer each order belongs to from the order service's OrderPlaced events
(never from its tables), here through RabbitMQ, and follows the customer master's merges.
"""

from __future__ import annotations

import uuid

import grpc
import pytest

from isthmus.platform import config, hub
from isthmus.platform.events import create_bus
from isthmus.platform.events.testing import FAST
from isthmus_client.api.orders.v1 import orders_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc
from isthmus_client.api.service_requests.v1 import service_requests_pb2_grpc
from isthmus_client.errors import ORDER_OF_ANOTHER_CUSTOMER, error_info, field_violations

from ..orders.conftest import new_order

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]


def case(customer_id: str, order_id: str) -> rpc.OpenServiceRequestRequest:
    return rpc.OpenServiceRequestRequest(
        customer_id=customer_id,
        channel=pb.CHANNEL_EMAIL,
        kind=pb.SERVICE_REQUEST_KIND_COMPLAINT,
        subject="The television arrived broken",
        order_id=order_id,
    )


async def test_a_case_for_another_customers_order_is_refused(pg_database: str, amqp_vhost: str) -> None:
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_database,
            "ISTHMUS_AMQP_URL": amqp_vhost,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    anna, bert = str(uuid.uuid4()), str(uuid.uuid4())
    names = ["orders", "service-requests"]
    async with hub.running(settings, names, bus=create_bus(settings, FAST)) as h, h.channel() as channel:
        orders = orders_pb2_grpc.OrderServiceStub(channel)
        cases = service_requests_pb2_grpc.ServiceRequestServiceStub(channel)
        annas = (await orders.CreateOrder(new_order(anna))).order
        await h.runtime.bus.drain(timeout=20)  # OrderPlaced has reached the service requests

        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await cases.OpenServiceRequest(case(bert, annas.order_id))
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert annas.order_id in (refused.value.details() or "")
        assert error_info(refused.value) == (ORDER_OF_ANOTHER_CUSTOMER, {"field": "order_id"})

        opened = (await cases.OpenServiceRequest(case(anna, annas.order_id))).service_request
        assert opened.order_id == annas.order_id

        with pytest.raises(grpc.aio.AioRpcError) as malformed:
            await cases.OpenServiceRequest(case(anna, "order-1"))
        assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [f for f, _ in field_violations(malformed.value)] == ["order_id"]

        # An order the service has not heard of yet is taken on trust: its OrderPlaced may be on its way.
        unseen = (await cases.OpenServiceRequest(case(bert, str(uuid.uuid4())))).service_request
        assert unseen.customer_id == bert
