"""What each event the customer 360 follows says on its timeline: whose entry it is, of what kind,
when, in one line, on which channel, and the ids it refers to. Pure; the projection (view360.py)
keeps one row per entry, keyed by the event's id."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeGuard

from google.protobuf.timestamp_pb2 import Timestamp

from isthmus.kernel.enums import label
from isthmus.platform.events import Event
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customer360_pb2 as c360
from isthmus_client.api.customers.v1 import records_pb2 as rpb
from isthmus_client.api.events.v1 import customers_pb2 as cev
from isthmus_client.api.events.v1 import loyalty_pb2 as lev
from isthmus_client.api.events.v1 import orders_pb2 as oev
from isthmus_client.api.events.v1 import service_requests_pb2 as sev
from isthmus_client.api.events.v1 import value_pb2 as vev
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp
from isthmus_client.api.value.v1 import campaigns_pb2 as cpb


class OrderEvent(Protocol):
    """What every order event carries: the order after its change."""

    order: order_pb2.Order


def is_order_event(payload: object) -> TypeGuard[OrderEvent]:
    """Whether ``payload`` is one of the order service's events: the 360 projects every one of them,
    those added later too, by the order each carries."""
    descriptor = getattr(payload, "DESCRIPTOR", None)
    return (
        descriptor is not None
        and descriptor.file.name == oev.DESCRIPTOR.name
        and "order" in descriptor.fields_by_name
    )


def _words(name: str) -> str:
    """ "BackorderReleased" -> "backorder released"."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


@dataclass(frozen=True)
class Entry:
    customer_id: str
    kind: int  # TimelineEntryKind
    at: datetime
    summary: str
    channel: str = ""
    refs: Mapping[str, str] = field(default_factory=dict)


def at_or(ts: Timestamp, fallback: datetime) -> datetime:
    """The time ``ts`` says, or ``fallback`` (the event's) when it is unset."""
    return ts.ToDatetime(tzinfo=fallback.tzinfo) if ts.seconds or ts.nanos else fallback


def _money(m: Any) -> str:
    return f"{m.amount} {m.currency_code}".strip()


def entry(event: Event) -> Entry | None:
    """``event``'s entry on the timeline; None for an event that has none (a customer's new value)."""
    p, at = event.payload, event.occurred_at
    name = event.type.split(".", 1)[1]  # OrderPlaced, ServiceRequestOpened, PointsEarned, ...
    if is_order_event(p):
        o = p.order
        what = _words(name.removeprefix("Order"))
        summary = f"Order {o.external_order_id or o.order_id} {what}: {_money(o.total)}"
        channel = label(order_pb2.OrderChannel, o.channel)
        return Entry(
            o.customer_id, c360.TIMELINE_ENTRY_KIND_ORDER, at, summary, channel, {"order_id": o.order_id}
        )
    if isinstance(p, sev.ContactSuppressionChanged):
        what = f"Contact suppressed: {p.reason}" if p.suppressed else "Contact suppression lifted"
        return Entry(p.customer_id, c360.TIMELINE_ENTRY_KIND_CUSTOMER, at_or(p.change_time, at), what)
    if isinstance(p, sev.InteractionLogged):
        i = p.interaction
        channel = label(srp.Channel, i.channel)
        summary = f"{label(srp.Direction, i.direction).title()} {channel.lower()}: {i.subject}".strip()
        refs = {"interaction_id": i.interaction_id, "service_request_id": i.service_request_id}
        kind = c360.TIMELINE_ENTRY_KIND_INTERACTION
        return Entry(i.customer_id, kind, at_or(i.occur_time, at), summary, channel, refs)
    if isinstance(p, sev.CustomerTraitsCaptured):
        told = ", ".join(f"{t.name} {t.value}" for t in p.traits)
        refs = {"run_id": p.run_id, "script_id": p.script_id}
        kind = c360.TIMELINE_ENTRY_KIND_CUSTOMER
        return Entry(p.customer_id, kind, at_or(p.capture_time, at), f"Told an agent: {told}", refs=refs)
    if hasattr(p, "service_request"):
        sr = p.service_request
        summary = f"Service request {_words(name.removeprefix('ServiceRequest'))}: {sr.subject}"
        kind, refs = c360.TIMELINE_ENTRY_KIND_SERVICE_REQUEST, {"service_request_id": sr.service_request_id}
        return Entry(sr.customer_id, kind, at, summary, label(srp.Channel, sr.channel), refs)
    if isinstance(p, cev.CustomersMerged):
        merged = ", ".join(p.merged_ids)
        summary = f"Merged with {merged}: {p.reason}" if p.reason else f"Merged with {merged}"
        return Entry(
            p.surviving_id, c360.TIMELINE_ENTRY_KIND_CUSTOMER, at, summary, refs={"merge_id": p.merge_id}
        )
    if isinstance(p, cev.CustomerUnmerged):
        summary = f"Unmerged: {', '.join(p.restored_ids)} restored" + (f" ({p.reason})" if p.reason else "")
        refs = {"merge_id": p.merge_id, "unmerge_id": p.unmerge_id}
        return Entry(p.from_id, c360.TIMELINE_ENTRY_KIND_CUSTOMER, at, summary, refs=refs)
    if isinstance(p, cev.ConsentChanged):
        c = p.consent
        channel = label(rpb.ConsentChannel, c.channel)
        source = f" ({c.source})" if c.source else ""
        summary = f"{channel.title()} marketing consent {label(rpb.ConsentStatus, c.status).lower()}{source}"
        return Entry(
            p.customer_id, c360.TIMELINE_ENTRY_KIND_CONSENT, at_or(c.give_time, at), summary, channel
        )
    if isinstance(p, lev.TierChanged):
        summary = f"Loyalty tier changed to {p.to_tier.name or p.to_tier.tier_id}"
        kind = c360.TIMELINE_ENTRY_KIND_LOYALTY
        return Entry(p.customer_id, kind, at, summary, refs={"account_id": p.account_id})
    if isinstance(p, vev.CampaignMessageRequested):
        trigger = label(cpb.CampaignTrigger, p.trigger).replace("_", " ").lower()
        channel = label(rpb.ConsentChannel, p.channel)
        what = (
            f"{label(cpb.CampaignPurpose, p.purpose).lower().title()} message requested ({channel.lower()})"
        )
        summary = f"{what}: {trigger}, template {p.template_id}"
        refs = {"campaign_id": p.campaign_id, "message_id": p.message_id}
        return Entry(p.customer_id, c360.TIMELINE_ENTRY_KIND_CAMPAIGN, at, summary, channel, refs)
    if isinstance(p, vev.CampaignMessageWithdrawn):
        summary = f"Campaign message withdrawn before it was due: {p.reason}"
        refs = {"campaign_id": p.campaign_id, "message_id": p.message_id}
        kind = c360.TIMELINE_ENTRY_KIND_CAMPAIGN
        return Entry(p.customer_id, kind, at_or(p.withdraw_time, at), summary, refs=refs)
    if isinstance(p, vev.CustomerTierChanged):
        tier = label(common_pb2.ValueTier, p.to_tier)
        summary = f"Value tier changed to {tier} (lifetime value {_money(p.lifetime_value)})"
        return Entry(p.customer_id, c360.TIMELINE_ENTRY_KIND_VALUE, at, summary)
    if hasattr(p, "entry"):  # the loyalty ledger's events: PointsEarned, ..., PointsMoved, DebtSettled
        e = p.entry
        what = "Debt settled" if name == "DebtSettled" else f"Points {name.removeprefix('Points').lower()}"
        summary = f"{what}: {e.points} (balance {e.balance_after})"
        refs = {"account_id": e.account_id, "entry_id": e.entry_id}
        kind = c360.TIMELINE_ENTRY_KIND_LOYALTY
        return Entry(e.customer_id, kind, at_or(e.occur_time, at), summary, refs=refs)
    return None
