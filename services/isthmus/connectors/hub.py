"""Where records go: the hub's gRPC APIs, and nothing else.

``Sink`` is what the sync engine needs; ``GrpcHub`` implements it over the customer master, order and
service request services. Transient failures raise ``TransientError`` (the engine retries the batch;
every hub write is idempotent, so a retry cannot duplicate); a refusal that no retry can fix
(UNIMPLEMENTED, UNAUTHENTICATED, PERMISSION_DENIED, or any call or batch item whose
``google.rpc.ErrorInfo`` reason says the configuration is at fault, such as UNKNOWN_SOURCE_SYSTEM)
raises ``HubRefused``, which stops the sync with the batch undelivered and the position unmoved; a
record the hub rejects for its own data comes back as a rejected ``Delivery`` with the reason, bound
for the dead-letter store.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import grpc
from google.rpc import status_pb2

from isthmus.connectors import mapping
from isthmus.connectors.channels import PREFIX, HubChannels
from isthmus.connectors.idmap import IdMap, MemoryIdMap
from isthmus.connectors.sdk import (
    CARTS,
    CUSTOMERS,
    INTERACTIONS,
    ORDERS,
    SERVICE_REQUESTS,
    STOCK,
    Record,
    Tracer,
    TransientError,
)
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc, records_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_requests_pb2_grpc
from isthmus_client.api.value.v1 import campaigns_pb2_grpc
from isthmus_client.errors import CONFIGURATION_REASONS, code_of, error_info, field_violations

BATCH_LIMIT = 1000  # BatchUpsertSourceRecords takes at most 1,000 records per request

_TRANSIENT = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
_FATAL = {grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


TOKEN_SETTING = PREFIX + "HUB_TOKEN"
_SCOPES = "customers:read, customers:write, orders:write, service_requests:write and value:write"


class HubRefused(Exception):
    """The hub refuses the connector as a whole; retrying will not help until an operator acts.

    ``setting`` names what the operator should look at (e.g. ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS)."""

    def __init__(self, message: str, setting: str = "") -> None:
        super().__init__(message)
        self.setting = setting


def _configuration_refused(what: str, message: str, metadata: dict[str, str]) -> HubRefused:
    setting = metadata.get("setting", "")
    where = f"; check {setting}" if setting and setting not in message else ""
    return HubRefused(f"the hub refuses this connector's configuration ({what}): {message}{where}", setting)


@dataclass(frozen=True)
class Delivery:
    accepted: bool
    hub_id: str = ""
    reason: str = ""
    # The hub's verdict in a word, e.g. "LINKED_DETERMINISTIC", "REVIEW_OPENED", "created".
    outcome: str = ""


class Sink(Protocol):
    async def deliver(
        self, instance: str, system: str, stream: str, records: Sequence[Record]
    ) -> list[Delivery]:
        """One Delivery per record, in order; raises TransientError or HubRefused for the whole batch."""
        ...


class _Rejected(Exception):
    pass


def _raise_for(exc: grpc.aio.AioRpcError, what: str) -> None:
    code = exc.code()
    if code in _TRANSIENT:
        raise TransientError(f"{what}: {code.name}: {exc.details()}") from exc
    reason, metadata = error_info(exc)
    if reason in CONFIGURATION_REASONS:
        raise _configuration_refused(what, f"{code.name}: {exc.details()}", metadata) from exc
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        raise HubRefused(
            f"the hub refuses this connector ({what}): {code.name}: {exc.details()}; check "
            f"{TOKEN_SETTING} (a client with {_SCOPES})",
            TOKEN_SETTING,
        ) from exc
    if code in _FATAL:
        raise HubRefused(f"{what}: {code.name}: {exc.details()}") from exc
    raise _Rejected(f"{code.name}: {exc.details()}") from exc


T = TypeVar("T")


class GrpcHub:
    """A Sink over the hub's public gRPC API: one channel for every API, or one per API."""

    def __init__(
        self,
        channel: grpc.aio.Channel | HubChannels,
        ids: IdMap | None = None,
        *,
        token: str | None = None,
        concurrency: int = 16,
        timeout: float = 60.0,
    ) -> None:
        if isinstance(channel, HubChannels):
            customers, orders, cases = channel.customers, channel.orders, channel.service_requests
            value = channel.value
        else:
            customers = orders = cases = value = channel
        self.customers = customers_pb2_grpc.CustomerMasterServiceStub(customers)
        self.orders = orders_pb2_grpc.OrderServiceStub(orders)
        self.cases = service_requests_pb2_grpc.ServiceRequestServiceStub(cases)
        self.campaigns = campaigns_pb2_grpc.CampaignServiceStub(value)
        self.ids = ids or MemoryIdMap()
        self.metadata = (("authorization", f"Bearer {token}"),) if token else None
        self.timeout = timeout
        self._limit = asyncio.Semaphore(concurrency)
        self._golden: dict[tuple[str, str], str] = {}

    async def _call(self, what: str, rpc: Callable[..., Awaitable[T]], request: object) -> T:
        try:
            return await rpc(request, metadata=self.metadata, timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            _raise_for(exc, what)
            raise  # unreachable: _raise_for always raises

    async def deliver(
        self, instance: str, system: str, stream: str, records: Sequence[Record]
    ) -> list[Delivery]:
        if stream == CUSTOMERS:
            return await self._customers(instance, system, records)
        one = {
            ORDERS: self._order,
            SERVICE_REQUESTS: self._case,
            INTERACTIONS: self._interaction,
            CARTS: self._cart,
            STOCK: self._stock,
        }[stream]

        async def guarded(record: Record) -> Delivery:
            async with self._limit:
                try:
                    return await one(instance, system, record)
                except _Rejected as exc:
                    return Delivery(False, reason=str(exc))

        return list(await asyncio.gather(*(guarded(r) for r in records)))

    async def _customers(self, instance: str, system: str, records: Sequence[Record]) -> list[Delivery]:
        out: list[Delivery] = []
        for start in range(0, len(records), BATCH_LIMIT):
            chunk = records[start : start + BATCH_LIMIT]
            request = customers_pb2.BatchUpsertSourceRecordsRequest(
                records=[mapping.source_record(system, r) for r in chunk]
            )
            try:
                response = await self._call(
                    "BatchUpsertSourceRecords", self.customers.BatchUpsertSourceRecords, request
                )
            except _Rejected as exc:
                # The whole request was refused (e.g. an unknown source system): every record says why.
                out.extend(Delivery(False, reason=str(exc)) for _ in chunk)
                continue
            refused = next(
                (r.error for r in response.results if error_info(r.error)[0] in CONFIGURATION_REASONS), None
            )
            if refused is not None:
                # Not this record's fault: every record of the system would be refused alike.
                raise _configuration_refused(
                    "BatchUpsertSourceRecords",
                    f"{code_of(refused).name}: {refused.message}",
                    error_info(refused)[1],
                )
            delivered: list[Delivery] = []
            for result in response.results:
                outcome = records_pb2.MatchOutcome.Name(result.outcome).removeprefix("MATCH_OUTCOME_")
                if result.outcome == records_pb2.MATCH_OUTCOME_REJECTED:
                    delivered.append(Delivery(False, reason=_item_error(result.error), outcome=outcome))
                else:
                    self._golden[(system, result.source_id)] = result.customer_id
                    delivered.append(Delivery(True, result.customer_id, outcome=outcome))
            out.extend(await self._consents(instance, system, chunk, delivered))
        return out

    async def _consents(
        self, instance: str, system: str, records: Sequence[Record], delivered: list[Delivery]
    ) -> list[Delivery]:
        """Each accepted record's consent statements to its golden customer (SetConsent is idempotent,
        so a repeated sync repeats them harmlessly); a statement refused fails its record."""

        async def state(record: Record, delivery: Delivery) -> Delivery:
            for i, request in enumerate(mapping.consents(system, instance, delivery.hub_id, record)):
                async with self._limit:
                    try:
                        await self._call("SetConsent", self.customers.SetConsent, request)
                    except _Rejected as exc:
                        return Delivery(False, delivery.hub_id, f"consents[{i}]: {exc}", delivery.outcome)
            return delivery

        # A task only for a record that states consents: most records state none.
        stating = [
            n
            for n, (r, d) in enumerate(zip(records, delivered, strict=True))
            if d.accepted and r.get("consents")
        ]
        stated = await asyncio.gather(*(state(records[n], delivered[n]) for n in stating))
        out = list(delivered)
        for n, d in zip(stating, stated, strict=True):
            out[n] = d
        return out

    async def golden_id(self, system: str, source_id: str) -> str:
        key = (system, source_id)
        if key not in self._golden:
            request = customers_pb2.GetCustomerBySourceIdRequest(source_system=system, source_id=source_id)
            try:
                found = await self._call(
                    "GetCustomerBySourceId", self.customers.GetCustomerBySourceId, request
                )
            except _Rejected as exc:
                raise _Rejected(
                    f"customer {system}/{source_id} is not known to the customer master ({exc})"
                ) from None
            self._golden[key] = found.customer_id
        return self._golden[key]

    async def _order(self, instance: str, system: str, record: Record) -> Delivery:
        customer_id = await self.golden_id(system, record["customer_source_id"])
        request = mapping.create_order(system, instance, customer_id, record)
        created = await self._call("CreateOrder", self.orders.CreateOrder, request)
        order = created.order
        await self.ids.put(instance, "order", record["external_order_id"], order.order_id)
        final = mapping.final_prices(system, instance, order, record)
        if final is not None:  # before paying: an order is paid at its final price
            order = (await self._call("SetFinalPrices", self.orders.SetFinalPrices, final)).order
        if record.get("paid_at") and order.state == 1:  # PLACED: the source says it is paid since
            pay = orders_pb2.PayOrderRequest(
                order_id=order.order_id,
                # No expected_version: the order service moves a new order's version on its own when
                # the customer master announces its customer, which made this payment ABORTED and the
                # page read again. Paying is only allowed from PLACED and the request id below makes
                # it once; nothing the version could add.
                # The total, or the first instalment of a flex-pay plan (what checkout took).
                amount=order.due_at_checkout if order.HasField("due_at_checkout") else order.total,
                payment_reference=record.get("payment_reference")
                or f"{system}:{record['external_order_id']}",
                pay_time=mapping._ts(record["paid_at"]),
                actor=common_pb2.Actor(kind=common_pb2.ACTOR_KIND_CONNECTOR, id=instance),
                # The same id on every re-sync of this order: a payment retried is answered, not refused.
                request_id=str(
                    uuid.uuid5(uuid.NAMESPACE_URL, f"isthmus:pay:{system}:{record['external_order_id']}")
                ),
            )
            order = (await self._call("PayOrder", self.orders.PayOrder, pay)).order
        before = order.version
        estimate = mapping.estimate_order(system, instance, order, record)
        if estimate is not None:
            order = (
                await self._call("UpdateDeliveryEstimate", self.orders.UpdateDeliveryEstimate, estimate)
            ).order
        for instalment in mapping.pay_instalments(system, instance, order, record):
            order = (await self._call("PayInstalment", self.orders.PayInstalment, instalment)).order
        cancel = mapping.cancel_order(system, instance, order, record)
        if cancel is not None:
            order = (await self._call("CancelOrder", self.orders.CancelOrder, cancel)).order
        order = await self._fulfilled(instance, system, order, record)
        if created.outcome == common_pb2.WRITE_OUTCOME_APPLIED:
            outcome = "created"
        else:
            outcome = "changed" if order.version != before or final is not None else "unchanged"
        return Delivery(True, order.order_id, outcome=outcome)

    async def _fulfilled(
        self, instance: str, system: str, order: order_pb2.Order, record: Record
    ) -> order_pb2.Order:
        """The shipment, delivery and returns the source reports, each applied once. A return is
        known by the source's return id (kept in the id map: request ids are remembered for days,
        a re-sync can come months later)."""
        ship = mapping.ship_order(system, instance, order, record)
        if ship is not None:
            order = (await self._call("ShipOrder", self.orders.ShipOrder, ship)).order
        deliver = mapping.deliver_order(system, instance, order, record)
        if deliver is not None:
            order = (await self._call("DeliverOrder", self.orders.DeliverOrder, deliver)).order
        for returned in record.get("returns") or ():
            key = f"{record['external_order_id']}/{returned['return_id']}"
            key = key if len(key) <= 200 else hashlib.sha256(key.encode()).hexdigest()  # the id map's width
            if await self.ids.get(instance, "return", key):
                continue
            request = mapping.return_order_lines(system, instance, order, record, returned)
            done = await self._call("ReturnOrderLines", self.orders.ReturnOrderLines, request)
            await self.ids.put(instance, "return", key, done.order_return.return_id)
            order = done.order
        return order

    async def _case(self, instance: str, system: str, record: Record) -> Delivery:
        customer_id = await self.golden_id(system, record["customer_source_id"])
        order_id = ""
        if record.get("order_external_id"):
            order_id = await self.ids.get(instance, "order", record["order_external_id"]) or ""
        request = mapping.open_service_request(system, instance, customer_id, order_id, record)
        opened = await self._call("OpenServiceRequest", self.cases.OpenServiceRequest, request)
        case = opened.service_request
        await self.ids.put(instance, "service_request", record["external_id"], case.service_request_id)
        moves = mapping.change_service_request_states(system, instance, case, record)
        for move in moves:
            case = (
                await self._call("ChangeServiceRequestState", self.cases.ChangeServiceRequestState, move)
            ).service_request
        if opened.outcome == common_pb2.WRITE_OUTCOME_APPLIED:
            outcome = "opened"
        else:
            outcome = "changed" if moves else "unchanged"
        return Delivery(True, case.service_request_id, outcome=outcome)

    async def _interaction(self, instance: str, system: str, record: Record) -> Delivery:
        customer_id = await self.golden_id(system, record["customer_source_id"])
        case_id = ""
        if record.get("service_request_external_id"):
            case_id = (
                await self.ids.get(instance, "service_request", record["service_request_external_id"]) or ""
            )
        request = mapping.log_interaction(system, instance, customer_id, case_id, record)
        logged = (await self._call("LogInteraction", self.cases.LogInteraction, request)).interaction
        return Delivery(True, logged.interaction_id, outcome="logged")

    async def tracer_filed(self, instance: str, system: str, tracer: Tracer, reference: str) -> str:
        """Notes on the tracer's case that the carrier took it, with its claim reference: an internal
        entry (the customer is not told by it), keyed by the reference so a redelivery notes it once."""
        request = mapping.tracer_note(system, instance, tracer, reference)
        try:
            logged = await self._call("LogInteraction", self.cases.LogInteraction, request)
        except _Rejected as exc:
            raise HubRefused(f"the tracer of case {tracer.service_request_id} was not noted: {exc}") from None
        return str(logged.interaction.interaction_id)

    async def _cart(self, instance: str, system: str, record: Record) -> Delivery:
        customer_id = await self.golden_id(system, record["customer_source_id"])
        request = mapping.record_abandoned_cart(system, customer_id, record)
        done = await self._call("RecordAbandonedCart", self.campaigns.RecordAbandonedCart, request)
        return Delivery(
            True,
            record["external_cart_id"],
            outcome="recorded" if done.outcome == common_pb2.WRITE_OUTCOME_APPLIED else "unchanged",
        )

    async def _stock(self, instance: str, system: str, record: Record) -> Delivery:
        request = mapping.set_stock_level(system, instance, record)
        await self._call("SetStockLevel", self.orders.SetStockLevel, request)
        return Delivery(True, record["sku"], outcome="counted")


def _item_error(error: status_pb2.Status) -> str:
    """A refused record's reason, for its dead letter: its code, message and the fields at fault."""
    fields = "; ".join(f"{f}: {d}" for f, d in field_violations(error))
    return f"{code_of(error).name}: {error.message}" + (f" ({fields})" if fields else "")
