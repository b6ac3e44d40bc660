"""Events in: the customer master's merges, unmerges and erasures; the order service's new orders
(which customer each order belongs to) and shipments (what a tracer traces); the value service's
tier changes.

Each handler runs in the transaction the bus gives it (the bus commits and acks); events this
context records in reply go into the same transaction's outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.timestamps import from_ts
from isthmus.platform.events import Event, record_event
from isthmus.service_requests.calls import Call, CallState
from isthmus.service_requests.domain import ERASED, Shipment
from isthmus.service_requests.handlers import refresh_suppressions
from isthmus.service_requests.script_store import ScriptRepository
from isthmus.service_requests.settings import VALUE_TIERS
from isthmus.service_requests.store import Repository, UnitOfWork
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2
from isthmus_client.api.events.v1 import customers_pb2, orders_pb2, value_pb2

ROUTING_KEYS = ("customers.CustomersMerged", "customers.CustomerUnmerged", "customers.CustomerErased")
ORDER_KEYS = ("orders.OrderPlaced", "orders.OrderShipped")
TIER_KEYS = ("value.CustomerTierChanged",)
CALL_KEYS = ("value.CampaignMessageRequested", "value.CampaignMessageWithdrawn")


async def customers_merged(uow: UnitOfWork, event: customers_pb2.CustomersMerged, now: datetime) -> None:
    merged = [m for m in event.merged_ids if m != event.surviving_id]
    for merged_id in merged:
        await uow.repo.move_customer(event.merge_id, merged_id, event.surviving_id, now)
    await uow.repo.move_orders(merged, event.surviving_id)
    await refresh_suppressions(uow, [*merged, event.surviving_id], now)
    await uow.record_events()


async def customer_unmerged(uow: UnitOfWork, event: customers_pb2.CustomerUnmerged, now: datetime) -> None:
    for restored_id in event.restored_ids:
        moves = await uow.repo.moves_of(event.merge_id, restored_id, event.from_id)
        await uow.repo.move_back(moves, event.from_id, restored_id, now)
        await uow.repo.forget_moves(event.merge_id, restored_id)
    await uow.repo.restore_orders(event.from_id, list(event.restored_ids))
    await refresh_suppressions(uow, [*event.restored_ids, event.from_id], now)
    await uow.record_events()


async def customer_erased(uow: UnitOfWork, event: customers_pb2.CustomerErased, now: datetime) -> None:
    """Blanks what the customer told us; the cases, log entries and script runs stay as anonymised
    records."""
    erased = [sr for sr in await uow.repo.cases_of(event.customer_id) if not sr.erased]
    for sr in erased:
        sr.erase_personal_data(now)
    await uow.repo.save_many(erased)
    await uow.repo.erase_interactions(event.customer_id, ERASED)
    scripts = ScriptRepository(uow.session)
    await scripts.erase_runs(event.customer_id, ERASED)
    for call in await scripts.calls_of(event.customer_id):
        if call.withdraw("customer erased"):
            await scripts.save_call(call, CallState.WAITING)
    await uow.repo.forget_tier(event.customer_id)
    await uow.record_events()


# The orders a batch of OrderPlaced remembered together (``prepare_orders``), on its session.
_PLACED = "isthmus.service_requests.orders_placed"


async def order_placed(uow: UnitOfWork, event: orders_pb2.OrderPlaced, now: datetime) -> None:
    if event.order.order_id not in uow.session.info.get(_PLACED, ()):
        await uow.repo.orders_placed([(event.order.order_id, event.order.customer_id)])


async def order_shipped(uow: UnitOfWork, event: orders_pb2.OrderShipped, now: datetime) -> None:
    """Remembers how the order left: a tracer opened for it gives the carrier that."""
    o = event.order
    shipped = event.ship_time.ToJsonString() if event.HasField("ship_time") else ""
    shipment = Shipment(event.carrier, event.tracking_number, shipped, o.warehouse, o.manifest_number)
    await uow.repo.order_shipped(o.order_id, o.customer_id, shipment)


async def prepare_orders(session: AsyncSession, events: Sequence[Event]) -> None:
    """Before a batch of the orders subscription's handlers: every order it places remembered with
    one statement (the handlers then have nothing left to do), not a statement or two an order."""
    placed = [e.payload.order for e in events if isinstance(e.payload, orders_pb2.OrderPlaced)]
    await Repository(session).orders_placed([(o.order_id, o.customer_id) for o in placed])
    session.info[_PLACED] = {o.order_id for o in placed}


async def tier_changed(uow: UnitOfWork, event: value_pb2.CustomerTierChanged, at: datetime) -> None:
    """Remembers the tier: the customer's next cases get that tier's SLA targets (cases already open
    keep theirs)."""
    tier = common_pb2.ValueTier.Name(event.to_tier).removeprefix("VALUE_TIER_")
    if tier in VALUE_TIERS:
        await uow.repo.put_tier(event.customer_id, tier, at)


async def call_requested(uow: UnitOfWork, event: value_pb2.CampaignMessageRequested, now: datetime) -> None:
    """A campaign asks the call center to call a customer (the PHONE channel; the template names the
    script): the call joins the outbound list. Other channels are other delivery systems'."""
    if event.channel != records_pb2.CONSENT_CHANNEL_PHONE:
        return
    due = from_ts(event.send_after_time) if event.HasField("send_after_time") else now
    call = Call(
        event.message_id,
        event.campaign_id,
        event.customer_id,
        event.template_id,
        due_at=due,
        requested_at=now,
        reference=event.reference,
    )
    await ScriptRepository(uow.session).add_call(call)


async def call_withdrawn(uow: UnitOfWork, event: value_pb2.CampaignMessageWithdrawn, now: datetime) -> None:
    """The campaign takes its request back (a complaint opened meanwhile): a call not yet made is not
    to be made."""
    scripts = ScriptRepository(uow.session)
    call = await scripts.call(event.message_id, lock=True)
    if call is not None and call.withdraw(event.reason or "withdrawn by the campaign"):
        await scripts.save_call(call, CallState.WAITING)


_HANDLERS: dict[str, Callable[[UnitOfWork, Any, datetime], Any]] = {
    "value.CampaignMessageRequested": call_requested,
    "value.CampaignMessageWithdrawn": call_withdrawn,
    "orders.OrderPlaced": order_placed,
    "orders.OrderShipped": order_shipped,
    "customers.CustomersMerged": customers_merged,
    "customers.CustomerUnmerged": customer_unmerged,
    "customers.CustomerErased": customer_erased,
}


def handler(clock: Callable[[], datetime]) -> Callable[[AsyncSession, Event], Any]:
    """The bus handler ``(session, event)``: dispatches on the event's type."""

    async def handle(session: AsyncSession, event: Event) -> None:
        async def record(session: AsyncSession, message: Message, aggregate_id: str) -> None:
            await record_event(session, message, aggregate_id=aggregate_id, causation_id=event.event_id)

        if event.type == "value.CustomerTierChanged":
            # Ordered by when the tier changed, not when it arrived.
            payload: Any = event.payload
            await tier_changed(UnitOfWork(session, record), payload, event.occurred_at)
            return
        await _HANDLERS[event.type](UnitOfWork(session, record), event.payload, clock())

    return handle
