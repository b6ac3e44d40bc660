"""The console's way to the APIs: one channel per address, the signed-in user's token on each call.

The console is a client like any other: it holds no database connection and reads no table. With
token sign-in every call carries the user's own token, so the APIs check their scopes exactly as
for any client; with OpenID Connect it carries the console's token and the console checks the
user's scopes first (``Caller.require``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc

from isthmus.console.settings import ConsoleSettings
from isthmus.platform.auth import scope_allows
from isthmus_client import TLS, aio_connect
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.connectors.v1.connectors_pb2_grpc import ConnectorServiceStub
from isthmus_client.api.customers.v1.customers_pb2_grpc import CustomerMasterServiceStub
from isthmus_client.api.loyalty.v1.loyalty_pb2_grpc import LoyaltyServiceStub
from isthmus_client.api.operations.v1.operations_pb2_grpc import OperationsServiceStub
from isthmus_client.api.orders.v1.orders_pb2_grpc import OrderServiceStub
from isthmus_client.api.service_requests.v1.scripts_pb2_grpc import ScriptServiceStub
from isthmus_client.api.service_requests.v1.service_requests_pb2_grpc import ServiceRequestServiceStub

TIMEOUT = 10.0  # seconds: a page waits no longer than this for any one call
_OPTIONS = [("grpc.max_receive_message_length", 16 * 1024 * 1024)]


class Forbidden(Exception):
    """The signed-in user lacks the scope an action needs (checked before calling the API)."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"you need the scope {scope!r} to do this")
        self.scope = scope


class Backend:
    """Channels to every component's API; the token travels per call, so users share channels."""

    def __init__(self, settings: ConsoleSettings) -> None:
        tls = (
            TLS.from_files(settings.ca_file, settings.cert_file, settings.key_file) if settings.tls else None
        )
        self.targets = dict(settings.targets)
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._tls = tls

    def channel(self, component: str) -> grpc.aio.Channel:
        target = self.targets[component]
        found = self._channels.get(target)
        if found is None:
            found = self._channels[target] = aio_connect(target, tls=self._tls, options=_OPTIONS)
        return found

    def components_by_target(self) -> dict[str, list[str]]:
        """Which components answer at each address (each process serves its own operations)."""
        out: dict[str, list[str]] = {}
        for component, target in self.targets.items():
            out.setdefault(target, []).append(component)
        return out

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()


@dataclass
class Caller:
    """The signed-in user, for one request: what they may do and how their calls are made."""

    backend: Backend
    token: str
    subject: str
    display_name: str
    scopes: frozenset[str]

    def can(self, scope: str) -> bool:
        return scope_allows(self.scopes, scope)

    def require(self, scope: str) -> None:
        if not self.can(scope):
            raise Forbidden(scope)

    @property
    def actor(self) -> common_pb2.Actor:
        return common_pb2.Actor(
            kind=common_pb2.ACTOR_KIND_USER, id=self.subject, display_name=self.display_name
        )

    def call_options(self) -> dict[str, Any]:
        metadata = (("authorization", f"Bearer {self.token}"),) if self.token else ()
        return {"metadata": metadata, "timeout": TIMEOUT}

    @property
    def customers(self) -> CustomerMasterServiceStub:
        return CustomerMasterServiceStub(self.backend.channel("customers"))

    @property
    def orders(self) -> OrderServiceStub:
        return OrderServiceStub(self.backend.channel("orders"))

    @property
    def service_requests(self) -> ServiceRequestServiceStub:
        return ServiceRequestServiceStub(self.backend.channel("service-requests"))

    @property
    def scripts(self) -> ScriptServiceStub:
        return ScriptServiceStub(self.backend.channel("service-requests"))

    @property
    def loyalty(self) -> LoyaltyServiceStub:
        return LoyaltyServiceStub(self.backend.channel("loyalty"))

    @property
    def connectors(self) -> ConnectorServiceStub:
        return ConnectorServiceStub(self.backend.channel("connectors"))

    def operations(self, component: str) -> OperationsServiceStub:
        return OperationsServiceStub(self.backend.channel(component))
