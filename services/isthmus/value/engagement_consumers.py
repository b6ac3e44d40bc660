"""Events in for segments, campaigns and affinity: what the other contexts publish, never their tables.

- customers: consent per channel, address, birthday; merges and erasures.
- orders: what was bought (categories, channel, rhythm, co-purchases), first purchases, attribution
  of purchases to campaign decisions; returns and cancellations take articles back.
- service requests: open complaints (no sales pitch while one is open; an escalation for a high-value
  customer) and contact suppression.
- loyalty: the loyalty tier.
- value: abandoned carts (recorded through CampaignService) and delivery systems' responses.

Every handler runs in the transaction the bus opened for a batch of deliveries, with their inbox rows,
so a redelivered event has no second effect. The handlers of a batch share one ``Engagement``: the
customers' profiles are read for the whole batch at once and written after its last handler. So are
the co-purchase counts of its orders (``affinity_store.Counts``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.timestamps import from_ts
from isthmus.platform import jsoncodec
from isthmus.value import affinity_store
from isthmus.value import campaigns as rules
from isthmus.value.engagement import Engagement
from isthmus.value.engagement_events import TIERS, tier_when_opened
from isthmus.value.engagement_segments import Publisher, ValueFacts, no_value_facts
from isthmus_client.api.customers.v1 import records_pb2
from isthmus_client.api.events.v1 import (
    customers_pb2,
    loyalty_pb2,
    orders_pb2,
    service_requests_pb2,
    value_pb2,
)
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2

CUSTOMER_EVENTS = (
    "customers.CustomerCreated",
    "customers.CustomerUpdated",
    "customers.ConsentChanged",
    "customers.CustomersMerged",
    "customers.CustomerUnmerged",
    "customers.CustomerErased",
)
ORDER_EVENTS = (
    "orders.OrderPlaced",
    "orders.OrderCancelled",
    "orders.OrderReturned",
    "orders.OrderBackordered",
)
SERVICE_EVENTS = (
    "service_requests.ServiceRequestOpened",
    "service_requests.ServiceRequestStateChanged",
    "service_requests.ServiceRequestResolved",
    "service_requests.ServiceRequestClosed",
    "service_requests.ContactSuppressionChanged",
    "service_requests.CustomerTraitsCaptured",
)
LOYALTY_EVENTS = ("loyalty.TierChanged",)
VALUE_EVENTS = (
    "value.CustomerValueChanged",
    "value.CustomerTierChanged",
    "value.CartAbandoned",
    "value.CampaignMessageResponded",
)
# What a new value score can change in a profile.
VALUE_FIELDS = (
    "historical_value",
    "predicted_value",
    "alive_probability",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "tier",
    "churn_risk",
    "credit_rank",
)
ATTRIBUTION = rules.DEFAULT_ATTRIBUTION
# A trait name as scripts capture it; anything else in an event is ignored.
_TRAIT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_OPEN = {
    service_request_pb2.SERVICE_REQUEST_STATE_NEW,
    service_request_pb2.SERVICE_REQUEST_STATE_OPEN,
    service_request_pb2.SERVICE_REQUEST_STATE_PENDING_CUSTOMER,
}

Handler = Callable[[AsyncSession, Any], Awaitable[None]]
Finish = Callable[[], Awaitable[None]]
Prepare = Callable[[AsyncSession, Sequence[Any]], Awaitable[Finish]]
_BATCH = "isthmus.value.engagement"  # the batch's Engagement, in its session's info
_COUNTS = "isthmus.value.affinity"  # the batch's co-purchase counts, in its session's info
_ORDER_MESSAGES = (orders_pb2.OrderPlaced, orders_pb2.OrderCancelled, orders_pb2.OrderReturned)


def _counts(session: AsyncSession) -> affinity_store.Counts:
    """The batch's co-purchase counts; outside a batch, counts that read and write the tables at once."""
    shared: affinity_store.Counts | None = session.sync_session.info.get(_COUNTS)
    return shared if shared is not None else affinity_store.Counts(session, batched=False)


def _consents(consents: Any) -> list[str]:
    return sorted(
        records_pb2.ConsentChannel.Name(c.channel).removeprefix("CONSENT_CHANNEL_")
        for c in consents
        if c.status == records_pb2.CONSENT_STATUS_GRANTED and c.channel
    )


def _customer_changes(customer: records_pb2.Customer) -> dict[str, Any]:
    changes: dict[str, Any] = {"consents": _consents(customer.consents)}
    addresses = sorted(customer.addresses, key=lambda a: not a.primary)
    if addresses:
        a = addresses[0].address
        changes |= {
            "country": a.region_code.upper(),
            "region": a.administrative_area,
            "city": a.locality,
            "postal_code": a.postal_code,
        }
    if customer.HasField("birth_date"):
        d = customer.birth_date
        # A bad date of birth is flagged by the customer master; there is no birthday for it here.
        with contextlib.suppress(ValueError):
            changes["birth_date"] = datetime(d.year, d.month, d.day).date()
    return changes


async def on_customer_event(e: Engagement, message: Any) -> None:
    if isinstance(message, (customers_pb2.CustomerCreated, customers_pb2.CustomerUpdated)):
        customer = message.customer
        await e.change_profile(customer.customer_id, _customer_changes(customer))
        # A source system changed the customer's details (not a merge, an unmerge or a household move).
        if isinstance(message, customers_pb2.CustomerUpdated) and message.HasField("source_record"):
            await e.occur(
                rules.Occurrence(
                    rules.Trigger.DETAILS_CHANGED,
                    customer.customer_id,
                    e.clock(),
                    reference=f"customer:{customer.customer_id}:v{customer.version}",
                    variables={
                        "changed": ",".join(message.changed_fields),
                        "source_system": message.source_record.source_system,
                    },
                )
            )
    elif isinstance(message, customers_pb2.ConsentChanged):
        contact = await e.contact(message.customer_id)
        channel = records_pb2.ConsentChannel.Name(message.consent.channel).removeprefix("CONSENT_CHANNEL_")
        granted = set(contact.consents)
        if message.consent.status == records_pb2.CONSENT_STATUS_GRANTED:
            granted.add(channel)
        else:
            granted.discard(channel)
        await e.change_profile(message.customer_id, {"consents": sorted(granted)})
    elif isinstance(message, customers_pb2.CustomersMerged):
        for merged in message.merged_ids:
            await e.leave_all(merged)
            await e.change_profile(merged, {})
            await e.set_profile(merged, {"merged_into": message.surviving_id})
        if message.HasField("customer"):
            await e.change_profile(message.surviving_id, _customer_changes(message.customer))
    elif isinstance(message, customers_pb2.CustomerUnmerged):
        # The restored customers count again on their own; their later events bring them up to date.
        for restored in message.restored_ids:
            await e.set_profile(restored, {"merged_into": None})
            await e.reevaluate(restored, None)
    elif isinstance(message, customers_pb2.CustomerErased):
        await e.leave_all(message.customer_id)
        await _counts(e.session).forget(message.customer_id)
        await e.change_profile(message.customer_id, {})
        await e.set_profile(
            message.customer_id,
            {
                "erased": True,
                "consents": "[]",
                "country": "",
                "region": "",
                "city": "",
                "postal_code": "",
                "birth_date": None,
                "order_dates": "[]",
                "traits": "{}",
            },
        )


def _price(money: Any) -> Decimal | None:
    try:
        return Decimal(money.amount) if money.amount else None
    except InvalidOperation:
        return None


def _lines(order: order_pb2.Order) -> list[affinity_store.Line]:
    return [
        affinity_store.Line(
            x.sku,
            int(x.quantity),
            x.category,
            x.description,
            _price(x.unit_price),
            x.unit_price.currency_code or order.currency_code,
        )
        for x in order.lines
        if x.sku
    ]


async def on_order_event(e: Engagement, message: Any) -> None:
    order = message.order
    customer_id = order.customer_id
    if isinstance(message, orders_pb2.OrderPlaced):
        placed = from_ts(order.place_time) if order.HasField("place_time") else e.clock()
        await e.attribute_order(customer_id, placed, ATTRIBUTION)
        await _counts(e.session).purchased(customer_id, _lines(order))
        # The stored profile (a batch's as its earlier events left it): orders, dates, categories,
        # channels are all the order changes, and none of them is a value fact.
        row = await e._profile_row(customer_id, create=True)
        assert row is not None
        dates = set(jsoncodec.loads(row["order_dates"]))
        dates.add(placed.date().isoformat())
        channel = order_pb2.OrderChannel.Name(order.channel).removeprefix("ORDER_CHANNEL_").lower()
        changes: dict[str, Any] = {
            "orders": int(row["orders"]) + 1,
            "order_dates": sorted(dates),
            "categories": sorted(
                {*jsoncodec.loads(row["categories"]), *(x.category for x in order.lines if x.category)}
            ),
            "channels": sorted({*jsoncodec.loads(row["channels"]), *([channel] if order.channel else [])}),
        }
        await e.change_profile(customer_id, changes)
        if changes["orders"] == 1:
            await e.occur(
                rules.Occurrence(
                    rules.Trigger.FIRST_PURCHASE,
                    customer_id,
                    placed,
                    reference=f"order:{order.order_id}",
                    variables={
                        "order_id": order.order_id,
                        "total": f"{order.total.currency_code} {order.total.amount}",
                    },
                )
            )
    elif isinstance(message, orders_pb2.OrderBackordered):
        expected = from_ts(message.expect_time).isoformat() if message.HasField("expect_time") else ""
        await e.occur(
            rules.Occurrence(
                rules.Trigger.ORDER_BACKORDERED,
                customer_id,
                e.clock(),
                reference=f"backorder:{order.order_id}:{order.version}",  # each backorder of the order
                variables={
                    "order_id": order.order_id,
                    "skus": ",".join(x.sku for x in message.backordered_lines),
                    "expect_time": expected,
                    "reason": message.reason,
                },
            )
        )
    elif isinstance(message, orders_pb2.OrderCancelled):
        open_units = {x.sku: int(x.quantity - x.returned_quantity) for x in order.lines if x.sku}
        await _counts(e.session).released(customer_id, open_units)
    elif isinstance(message, orders_pb2.OrderReturned):
        units: dict[str, int] = {}
        for x in message.returned_lines:
            units[x.sku] = units.get(x.sku, 0) + int(x.quantity)
        await _counts(e.session).released(customer_id, units)


async def on_service_event(
    e: Engagement, message: Any, value_tier: Callable[[Engagement, str, str], Awaitable[str]]
) -> None:
    if isinstance(message, service_requests_pb2.ContactSuppressionChanged):
        await e.change_profile(message.customer_id, {"suppressed": bool(message.suppressed)})
        if message.suppressed:
            await e.withdraw_due_later(message.customer_id, "contact suppressed", e.clock())
        return
    if isinstance(message, service_requests_pb2.CustomerTraitsCaptured):
        row = await e._profile_row(message.customer_id, create=True)
        assert row is not None
        traits = dict(jsoncodec.loads(row["traits"]))
        traits.update((t.name, t.value) for t in message.traits if _TRAIT_NAME.fullmatch(t.name))
        await e.change_profile(message.customer_id, {"traits": jsoncodec.dumps(dict(sorted(traits.items())))})
        return
    case = message.service_request
    if case.kind != service_request_pb2.SERVICE_REQUEST_KIND_COMPLAINT:
        return
    row = await e._profile_row(case.customer_id, create=True)
    assert row is not None
    open_ids = set(jsoncodec.loads(row["open_complaints"]))
    if case.state in _OPEN:
        open_ids.add(case.service_request_id)
        await e.withdraw_due_later(case.customer_id, "open complaint", e.clock())
    else:
        open_ids.discard(case.service_request_id)
    await e.change_profile(case.customer_id, {"open_complaints": sorted(open_ids)})
    if isinstance(message, service_requests_pb2.ServiceRequestOpened):
        opened = from_ts(case.open_time) if case.HasField("open_time") else e.clock()
        await e.occur(
            rules.Occurrence(
                rules.Trigger.HIGH_VALUE_COMPLAINT,
                case.customer_id,
                opened,
                reference=f"case:{case.service_request_id}",
                value_tier=await value_tier(e, case.customer_id, case.service_request_id),
                variables={"service_request_id": case.service_request_id, "subject": case.subject},
            )
        )


async def stored_value_tier(e: Engagement, customer_id: str, service_request_id: str) -> str:
    """The customer's tier as the case came in: the case's own cost (counted by the value consumer of
    the same event, perhaps already) must not take a top customer out of the tier that escalates it.
    The current tier is read first: a case counted between the two reads then shows in the second,
    while the other order could miss it in the first and see its cost in the second."""
    found = await e.profiles([customer_id])
    if (when_opened := await tier_when_opened(e.session, service_request_id)) is not None:
        return when_opened
    return found[0].tier.upper() if found else ""


async def on_loyalty_event(e: Engagement, message: Any) -> None:
    if isinstance(message, loyalty_pb2.TierChanged):
        await e.change_profile(message.customer_id, {"loyalty_tier": message.to_tier.tier_id})


async def on_value_event(e: Engagement, message: Any, event_time: datetime) -> None:
    if isinstance(message, value_pb2.CustomerValueChanged):
        await e.facts_changed(message.value.customer_id, VALUE_FIELDS)
    elif isinstance(message, value_pb2.CustomerTierChanged):
        to_tier = TIERS.get(int(message.to_tier), "")
        from_tier = TIERS.get(int(message.from_tier), "")
        await e.change_profile(message.customer_id, {"value_tier": to_tier})
        await e.reevaluate(message.customer_id, ("tier",))
        if to_tier and rules.tier_went_up(from_tier, to_tier):
            await e.occur(
                rules.Occurrence(
                    rules.Trigger.TIER_UP,
                    message.customer_id,
                    event_time,
                    reference=f"tier:{from_tier or '-'}:{to_tier}:{event_time.isoformat()}",
                    value_tier=to_tier,
                    variables={"from_tier": from_tier, "to_tier": to_tier},
                )
            )
    elif isinstance(message, value_pb2.CartAbandoned):
        at = from_ts(message.abandon_time) if message.HasField("abandon_time") else event_time
        variables = {
            "cart_id": message.external_cart_id,
            "cart_total": f"{message.total.currency_code} {message.total.amount}".strip(),
            "recovery_url": message.recovery_url,
            "items": ", ".join(x.description or x.sku for x in message.lines),
        }
        await e.occur(
            rules.Occurrence(
                rules.Trigger.CART_ABANDONED,
                message.customer_id,
                at,
                reference=f"cart:{message.source_system}:{message.external_cart_id}",
                variables=variables,
            )
        )
    elif isinstance(message, value_pb2.CampaignMessageResponded) and message.response:
        await e.responded(message.message_id, rules.Response(int(message.response)))


def customer_of(message: Any) -> str:
    """The customer whose profile an event changes ("" when it names none or several)."""
    if isinstance(message, (customers_pb2.CustomerCreated, customers_pb2.CustomerUpdated)):
        return str(message.customer.customer_id)
    if isinstance(message, (orders_pb2.OrderPlaced, orders_pb2.OrderCancelled, orders_pb2.OrderReturned)):
        return str(message.order.customer_id)
    if isinstance(message, value_pb2.CustomerValueChanged):
        return str(message.value.customer_id)
    if isinstance(
        message,
        (
            service_requests_pb2.ServiceRequestOpened,
            service_requests_pb2.ServiceRequestStateChanged,
            service_requests_pb2.ServiceRequestResolved,
            service_requests_pb2.ServiceRequestClosed,
        ),
    ):
        return str(message.service_request.customer_id)
    if isinstance(message, (customers_pb2.CustomersMerged, customers_pb2.CustomerUnmerged)):
        return ""  # several, and their rows are written straight
    return str(getattr(message, "customer_id", ""))


def handlers(
    clock: Callable[[], datetime], publisher: Publisher, value_facts: ValueFacts = no_value_facts
) -> dict[str, tuple[Handler, Prepare]]:
    """Bus handlers ``(session, event)`` by subscription purpose, each with the step before a batch:
    the batch's events share one ``Engagement``, which reads their customers' profiles at once and
    writes them after the last handler (engagement_rows.py)."""

    def engagement(session: AsyncSession) -> Engagement:
        shared: Engagement | None = session.sync_session.info.get(_BATCH)
        return shared if shared is not None else Engagement(session, clock, publisher, value_facts)

    async def prepare(session: AsyncSession, batch: Sequence[Any]) -> Finish:
        e = Engagement(session, clock, publisher, value_facts, batched=True)
        counts = affinity_store.Counts(session, batched=True)
        session.sync_session.info[_BATCH] = e
        session.sync_session.info[_COUNTS] = counts
        await e.rows.prefetch([c for c in (customer_of(event.payload) for event in batch) if c])
        await counts.prefetch(
            [event.payload.order.customer_id for event in batch if isinstance(event.payload, _ORDER_MESSAGES)]
        )

        async def finish() -> None:
            await counts.flush()
            await e.finish_batch()

        return finish

    async def customers(session: AsyncSession, event: Any) -> None:
        await on_customer_event(engagement(session), event.payload)

    async def orders(session: AsyncSession, event: Any) -> None:
        await on_order_event(engagement(session), event.payload)

    async def service(session: AsyncSession, event: Any) -> None:
        await on_service_event(engagement(session), event.payload, stored_value_tier)

    async def loyalty(session: AsyncSession, event: Any) -> None:
        await on_loyalty_event(engagement(session), event.payload)

    async def value(session: AsyncSession, event: Any) -> None:
        await on_value_event(engagement(session), event.payload, event.occurred_at or clock())

    return {
        "engagement-customers": (customers, prepare),
        "engagement-orders": (orders, prepare),
        "engagement-service": (service, prepare),
        "engagement-loyalty": (loyalty, prepare),
        "engagement-value": (value, prepare),
    }


SUBSCRIPTIONS = (
    ("engagement-customers", CUSTOMER_EVENTS),
    ("engagement-orders", ORDER_EVENTS),
    ("engagement-service", SERVICE_EVENTS),
    ("engagement-loyalty", LOYALTY_EVENTS),
    ("engagement-value", VALUE_EVENTS),
)

__all__ = ["SUBSCRIPTIONS", "handlers"]
