"""The hub's services on one channel (``isthmus up``) or each on its own (``isthmus serve <component>``)."""

from __future__ import annotations

from typing import Any

from isthmus_client.api.customers.v1.customers_pb2_grpc import CustomerMasterServiceStub
from isthmus_client.api.loyalty.v1.loyalty_pb2_grpc import LoyaltyServiceStub
from isthmus_client.api.orders.v1.orders_pb2_grpc import OrderServiceStub
from isthmus_client.api.service_requests.v1.service_requests_pb2_grpc import ServiceRequestServiceStub


class Hub:
    """Stubs for every service. Give one channel for all, or a channel per service by keyword.

    ``Hub(channel)`` suits a single process serving everything; on Kubernetes each component has its
    own Service: ``Hub(customers=a, orders=b, service_requests=c, loyalty=d)``. A service without a
    channel raises ``AttributeError`` naming it when used.
    """

    def __init__(
        self,
        channel: Any = None,
        *,
        customers: Any = None,
        orders: Any = None,
        service_requests: Any = None,
        loyalty: Any = None,
    ) -> None:
        self._channels = {
            "customers": customers or channel,
            "orders": orders or channel,
            "service_requests": service_requests or channel,
            "loyalty": loyalty or channel,
        }

    def _channel(self, name: str) -> Any:
        channel = self._channels[name]
        if channel is None:
            raise AttributeError(f"no channel for the {name} service: pass {name}=<channel> to Hub")
        return channel

    @property
    def customers(self) -> CustomerMasterServiceStub:
        return CustomerMasterServiceStub(self._channel("customers"))

    @property
    def orders(self) -> OrderServiceStub:
        return OrderServiceStub(self._channel("orders"))

    @property
    def service_requests(self) -> ServiceRequestServiceStub:
        return ServiceRequestServiceStub(self._channel("service_requests"))

    @property
    def loyalty(self) -> LoyaltyServiceStub:
        return LoyaltyServiceStub(self._channel("loyalty"))
