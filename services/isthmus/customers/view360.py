"""The customer 360 read model: built from other services' events, never from their databases.

Every orders.*, service_requests.*, loyalty.* and value.* event carries a snapshot of its aggregate;
the projection keeps the latest snapshot per order, case, loyalty account and value, plus one timeline
entry per
event (keyed by event id, so a redelivery adds nothing). Reads gather the customer's own rows and
those of customers merged into it, so merges and unmerges need no rewrite of the model.

Several consumers (replicas, and batches within one) apply events at once and in any order, so each
row keeps only what is newer than what it holds, decided by the database in the write itself: an
insert that, on conflict, updates only where the incoming event is newer. Newer means a higher
version for orders and cases (their aggregates count every change), a later time for a loyalty
balance, a loyalty tier (each on its own) and a contact suppression. A read-then-write would let the
last commit win whatever its age (docs/decisions/0035-read-models-apply-only-newer-events.md).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    or_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.enums import label, unlabel
from isthmus.kernel.timestamps import aware
from isthmus.platform.events import Event
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customer360_pb2 as c360
from isthmus_client.api.events.v1 import loyalty_pb2 as lev
from isthmus_client.api.events.v1 import orders_pb2 as oev
from isthmus_client.api.events.v1 import service_requests_pb2 as sev
from isthmus_client.api.events.v1 import value_pb2 as vev
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp

_TS = DateTime(timezone=True)
ROUTING_KEYS = (
    "orders.*",
    "service_requests.*",
    "loyalty.*",
    "value.CustomerValueChanged",
    "value.CustomerTierChanged",
)


def tables(metadata: MetaData) -> dict[str, Table]:
    return {
        "orders": Table(
            "c360_orders",
            metadata,
            Column("order_id", String(64), primary_key=True),
            Column("customer_id", String(64), nullable=False, index=True),
            Column("snapshot", JSON, nullable=False),
            Column("as_of", _TS, nullable=False),
            # The order's version in the snapshot: a snapshot replaces only an older one.
            Column("version", BigInteger, nullable=False, server_default="0"),
        ),
        "cases": Table(
            "c360_cases",
            metadata,
            Column("service_request_id", String(64), primary_key=True),
            Column("customer_id", String(64), nullable=False, index=True),
            Column("snapshot", JSON, nullable=False),
            Column("sla_breached", Boolean, nullable=False),
            Column("as_of", _TS, nullable=False),
            Column("version", BigInteger, nullable=False, server_default="0"),
        ),
        "loyalty": Table(
            "c360_loyalty",
            metadata,
            Column("customer_id", String(64), primary_key=True),
            Column("balance", Integer, nullable=False),
            Column("debt", Integer, nullable=False),
            Column("tier_id", String(64), nullable=False),
            Column("tier_name", String(200), nullable=False),
            Column("as_of", _TS, nullable=False),
            # Balance and tier change through different events: each is as new as its own event.
            Column("balance_as_of", _TS, nullable=True),
            Column("tier_as_of", _TS, nullable=True),
        ),
        "value": Table(
            "c360_value",
            metadata,
            Column("customer_id", String(64), primary_key=True),
            # The CustomerValue message as JSON-able fields; the value's version decides what is newer.
            Column("snapshot", JSON, nullable=False),
            Column("as_of", _TS, nullable=False),
            Column("version", BigInteger, nullable=False),
            # The lifetime value's amount, to rank by worth (the value service reports in one currency).
            Column("lifetime_amount", Float, nullable=False, server_default="0"),
        ),
        "suppression": Table(
            "c360_suppression",
            metadata,
            Column("customer_id", String(64), primary_key=True),
            Column("suppressed", Boolean, nullable=False),
            Column("reason", Text, nullable=False),
            Column("service_request_ids", JSON, nullable=False),
            Column("since", _TS, nullable=False),
        ),
        "timeline": Table(
            "c360_timeline",
            metadata,
            Column("event_id", String(36), primary_key=True),
            Column("customer_id", String(64), nullable=False),
            Column("event_type", String(200), nullable=False),
            Column("kind", SmallInteger, nullable=False),
            Column("occurred_at", _TS, nullable=False),
            Column("summary", Text, nullable=False),
            Column("channel", String(40), nullable=False),
            Column("refs", JSON, nullable=False),
            Index("ix_c360_timeline_customer", "customer_id", "occurred_at"),
        ),
    }


def _dt(ts: Timestamp, fallback: datetime) -> datetime:
    return ts.ToDatetime(tzinfo=fallback.tzinfo) if ts.seconds or ts.nanos else fallback


def _money(m: Any) -> str:
    return f"{m.amount} {m.currency_code}".strip()


def _insert(session: AsyncSession, table: Table) -> Any:
    """INSERT with ON CONFLICT for the session's database (PostgreSQL or SQLite)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def _upsert_newer(
    session: AsyncSession,
    table: Table,
    row: dict[str, Any],
    update: list[str],
    newer: Any,
) -> None:
    """Insert ``row``; if its key is taken, set the ``update`` columns only where ``newer(excluded)``
    holds against the stored row. The database decides under the row's lock, so concurrent consumers
    cannot let an older event overwrite a newer one."""
    stmt = _insert(session, table).values(**row)
    key = [c for c in table.primary_key.columns]
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=key,
        set_={name: getattr(excluded, name) for name in update},
        where=newer(excluded),
    )
    await session.execute(stmt)


def _newer_version(t: Table) -> Any:
    """A snapshot with a higher version; at an equal version (a producer that counts none), a later one."""
    return lambda new: or_(
        t.c.version < new.version, and_(t.c.version == new.version, t.c.as_of <= new.as_of)
    )


def _later(stored: ColumnElement[Any], incoming: ColumnElement[Any]) -> ColumnElement[Any]:
    """The later of two times, kept when a row's parts change at different times."""
    return case((stored > incoming, stored), else_=incoming)


class Projection:
    def __init__(self, t: dict[str, Table]) -> None:
        self.t = t

    async def handle(self, session: AsyncSession, event: Event) -> None:
        p = event.payload
        at = event.occurred_at
        if isinstance(
            p,
            oev.OrderPlaced
            | oev.OrderPaid
            | oev.OrderCancelled
            | oev.OrderShipped
            | oev.OrderDelivered
            | oev.OrderCompleted
            | oev.OrderReturned
            | oev.OrderBackordered
            | oev.OrderBackorderReleased,
        ):
            await self._order(session, event, p, at)
        elif isinstance(p, sev.ContactSuppressionChanged):
            await self._suppression(session, p, at)
            what = f"Contact suppressed: {p.reason}" if p.suppressed else "Contact suppression lifted"
            await self._timeline(
                session,
                event,
                p.customer_id,
                c360.TIMELINE_ENTRY_KIND_CUSTOMER,
                _dt(p.change_time, at),
                what,
                "",
                {},
            )
        elif isinstance(p, sev.InteractionLogged):
            i = p.interaction
            await self._timeline(
                session,
                event,
                i.customer_id,
                c360.TIMELINE_ENTRY_KIND_INTERACTION,
                _dt(i.occur_time, at),
                f"{label(srp.Direction, i.direction).title()} "
                f"{label(srp.Channel, i.channel).lower()}: {i.subject}".strip(),
                label(srp.Channel, i.channel),
                {"interaction_id": i.interaction_id, "service_request_id": i.service_request_id},
            )
        elif hasattr(p, "service_request"):
            await self._case(session, event, p, at)
        elif isinstance(p, lev.TierChanged):
            await self._loyalty(session, p.customer_id, at, tier=(p.to_tier.tier_id, p.to_tier.name))
            await self._timeline(
                session,
                event,
                p.customer_id,
                c360.TIMELINE_ENTRY_KIND_LOYALTY,
                at,
                f"Loyalty tier changed to {p.to_tier.name or p.to_tier.tier_id}",
                "",
                {"account_id": p.account_id},
            )
        elif isinstance(p, vev.CustomerValueChanged):
            await self._value(session, p, at)
        elif isinstance(p, vev.CustomerTierChanged):
            tier = label(common_pb2.ValueTier, p.to_tier)
            await self._timeline(
                session,
                event,
                p.customer_id,
                c360.TIMELINE_ENTRY_KIND_VALUE,
                at,
                f"Value tier changed to {tier} (lifetime value {_money(p.lifetime_value)})",
                "",
                {},
            )
        elif hasattr(p, "entry"):
            e = p.entry
            await self._loyalty(session, e.customer_id, at, balance=(e.balance_after, e.debt_after))
            verb = event.type.split(".", 1)[1].removeprefix("Points").lower()
            await self._timeline(
                session,
                event,
                e.customer_id,
                c360.TIMELINE_ENTRY_KIND_LOYALTY,
                _dt(e.occur_time, at),
                f"Points {verb}: {e.points} (balance {e.balance_after})",
                "",
                {"account_id": e.account_id, "entry_id": e.entry_id},
            )

    async def _order(self, session: AsyncSession, event: Event, p: Message, at: datetime) -> None:
        o = p.order  # type: ignore[attr-defined]
        t = self.t["orders"]
        snapshot = {
            "order_id": o.order_id,
            "source_system": o.source_system,
            "external_order_id": o.external_order_id,
            "channel": label(order_pb2.OrderChannel, o.channel),
            "state": label(order_pb2.OrderState, o.state),
            "total": [o.total.amount, o.total.currency_code or o.currency_code],
            "refunded": [o.refunded_total.amount, o.refunded_total.currency_code or o.currency_code],
            "paid": bool(o.pay_time.seconds),
            "placed_at": o.place_time.ToJsonString() if o.place_time.seconds else "",
        }
        row = {"order_id": o.order_id, "customer_id": o.customer_id, "snapshot": snapshot, "as_of": at,
               "version": o.version}  # fmt: skip
        await _upsert_newer(
            session,
            t,
            row,
            ["customer_id", "snapshot", "as_of", "version"],
            _newer_version(t),
        )
        what = event.type.split(".", 1)[1].removeprefix("Order").lower()
        number = o.external_order_id or o.order_id
        await self._timeline(
            session,
            event,
            o.customer_id,
            c360.TIMELINE_ENTRY_KIND_ORDER,
            at,
            f"Order {number} {what}: {_money(o.total)}",
            snapshot["channel"],
            {"order_id": o.order_id},
        )

    async def _case(self, session: AsyncSession, event: Event, p: Message, at: datetime) -> None:
        sr = p.service_request  # type: ignore[attr-defined]
        t = self.t["cases"]
        breached = isinstance(p, sev.SlaBreached) or sr.sla.resolution_breached or sr.sla.response_breached
        snapshot = {
            "service_request_id": sr.service_request_id,
            "subject": sr.subject,
            "kind": label(srp.ServiceRequestKind, sr.kind),
            "state": label(srp.ServiceRequestState, sr.state),
            "priority": label(srp.Priority, sr.priority),
            "opened_at": sr.open_time.ToJsonString() if sr.open_time.seconds else "",
            "resolution_due": sr.sla.resolution_due_time.ToJsonString()
            if sr.sla.resolution_due_time.seconds
            else "",
        }
        row = {
            "service_request_id": sr.service_request_id,
            "customer_id": sr.customer_id,
            "snapshot": snapshot,
            "sla_breached": breached,
            "as_of": at,
            "version": sr.version,
        }
        await _upsert_newer(
            session,
            t,
            row,
            ["customer_id", "snapshot", "as_of", "version"],
            _newer_version(t),
        )
        if breached:
            # A breach stays on the case whatever order its events arrive in.
            await session.execute(
                update(t)
                .where(t.c.service_request_id == sr.service_request_id, t.c.sla_breached.is_(False))
                .values(sla_breached=True)
            )
        what = event.type.split(".", 1)[1].removeprefix("ServiceRequest")
        await self._timeline(
            session,
            event,
            sr.customer_id,
            c360.TIMELINE_ENTRY_KIND_SERVICE_REQUEST,
            at,
            f"Service request {what[:1].lower() + what[1:]}: {sr.subject}",
            label(srp.Channel, sr.channel),
            {"service_request_id": sr.service_request_id},
        )

    async def _loyalty(
        self,
        session: AsyncSession,
        customer_id: str,
        at: datetime,
        balance: tuple[int, int] | None = None,
        tier: tuple[str, str] | None = None,
    ) -> None:
        t = self.t["loyalty"]
        row: dict[str, Any] = {"customer_id": customer_id, "balance": 0, "debt": 0, "tier_id": "",
                               "tier_name": "", "as_of": at}  # fmt: skip
        if balance is not None:
            row |= {"balance": balance[0], "debt": balance[1], "balance_as_of": at}
            columns, stamp = ["balance", "debt", "balance_as_of"], t.c.balance_as_of
        elif tier is not None:
            row |= {"tier_id": tier[0], "tier_name": tier[1], "tier_as_of": at}
            columns, stamp = ["tier_id", "tier_name", "tier_as_of"], t.c.tier_as_of
        else:
            return
        stmt = _insert(session, t).values(**row)
        new = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.customer_id],
            set_={**{c: getattr(new, c) for c in columns}, "as_of": _later(t.c.as_of, new.as_of)},
            where=or_(stamp.is_(None), stamp <= getattr(new, stamp.name)),
        )
        await session.execute(stmt)

    async def _value(self, session: AsyncSession, p: vev.CustomerValueChanged, at: datetime) -> None:
        v = p.value
        t = self.t["value"]
        rfm = f"{v.rfm.recency}{v.rfm.frequency}{v.rfm.monetary}" if v.rfm.recency else ""
        snapshot = {
            "lifetime": [v.lifetime_value.amount, v.lifetime_value.currency_code],
            "historical": [v.historical_value.amount, v.historical_value.currency_code],
            "predicted": [v.predicted_value.amount, v.predicted_value.currency_code],
            "tier": label(common_pb2.ValueTier, v.tier),
            "churn_risk": v.churn_risk,
            "alive_probability": v.alive_probability,
            "rfm": rfm,
        }
        row = {"customer_id": v.customer_id, "snapshot": snapshot, "as_of": _dt(v.update_time, at),
               "version": v.version, "lifetime_amount": float(_amount(v.lifetime_value.amount))}  # fmt: skip
        columns = ["snapshot", "as_of", "version", "lifetime_amount"]
        await _upsert_newer(session, t, row, columns, _newer_version(t))

    async def _suppression(
        self, session: AsyncSession, p: sev.ContactSuppressionChanged, at: datetime
    ) -> None:
        t = self.t["suppression"]
        row = {
            "customer_id": p.customer_id,
            "suppressed": p.suppressed,
            "reason": p.reason,
            "service_request_ids": list(p.service_request_ids),
            "since": _dt(p.change_time, at),
        }
        await _upsert_newer(
            session,
            t,
            row,
            ["suppressed", "reason", "service_request_ids", "since"],
            lambda new: t.c.since <= new.since,
        )

    async def _timeline(
        self,
        session: AsyncSession,
        event: Event,
        customer_id: str,
        kind: int,
        at: datetime,
        summary: str,
        channel: str,
        refs: dict[str, str],
    ) -> None:
        if not customer_id:
            return
        t = self.t["timeline"]
        stmt = _insert(session, t).values(
            event_id=event.event_id,
            customer_id=customer_id,
            event_type=event.type,
            kind=kind,
            occurred_at=at,
            summary=summary[:500],
            channel=channel,
            refs={k: v for k, v in refs.items() if v},
        )
        await session.execute(stmt.on_conflict_do_nothing(index_elements=[t.c.event_id]))

    async def erase(self, session: AsyncSession, customer_id: str) -> None:
        for table in self.t.values():
            await session.execute(delete(table).where(table.c.customer_id == customer_id))


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal(0)


def order_summary(rows: list[Any]) -> c360.OrderSummary:
    summary = c360.OrderSummary(order_count=len(rows))
    revenue: dict[str, Decimal] = {}
    for r in rows:
        s = r.snapshot
        if s["paid"] and s["state"] != "CANCELLED":
            currency = s["total"][1]
            revenue[currency] = (
                revenue.get(currency, Decimal(0)) + _amount(s["total"][0]) - _amount(s["refunded"][0])
            )
    summary.revenue.extend(
        common_pb2.Money(amount=str(v), currency_code=c) for c, v in sorted(revenue.items())
    )
    if rows:
        last = max(rows, key=lambda r: (r.snapshot["placed_at"], r.order_id))
        s = last.snapshot
        lo = c360.OrderSummary.LastOrder(
            order_id=s["order_id"],
            source_system=s["source_system"],
            external_order_id=s["external_order_id"],
            channel=unlabel(order_pb2.OrderChannel, s["channel"]),
            state=unlabel(order_pb2.OrderState, s["state"]),
            total=common_pb2.Money(amount=s["total"][0], currency_code=s["total"][1]),
        )
        if s["placed_at"]:
            lo.place_time.FromJsonString(s["placed_at"])
        summary.last_order.CopyFrom(lo)
        summary.as_of_time.FromDatetime(max(aware(r.as_of) for r in rows))
    return summary
