"""The customer 360 read model: built from other services' events, never from their databases.

Every orders.*, service_requests.*, loyalty.* and value.* event carries a snapshot of its aggregate;
the projection keeps the latest snapshot per order, case, loyalty account and value, plus one timeline
entry per event (keyed by event id, so a redelivery adds nothing; what each says: timeline360.py);
the campaign messages requested for the customer (or withdrawn) and the customer master's own consent
changes, merges and unmerges are timeline entries too.
Reads gather the customer's own rows and those of customers merged into it, so merges and unmerges
need no rewrite of the model.

Several consumers (replicas, and batches within one) apply events at once and in any order, so each
row keeps only what is newer than what it holds, decided by the database in the write itself: an
insert that, on conflict, updates only where the incoming event is newer. Newer means a higher
version for orders and cases (their aggregates count every change), a later time for a loyalty
balance, a loyalty tier (each on its own) and a contact suppression. A read-then-write would let the
last commit win whatever its age (docs/decisions/0035-read-models-apply-only-newer-events.md).

A batch of events (the subscription's prepare step) keeps the rows its events write and writes them
after the last one, a statement per table (two for the loyalty row's parts, one more for breached
cases): of the rows of one key only the one its events applied one by one would leave, since one
statement may not update a row twice, and the database decides against the stored row as above.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.message import Message
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
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.customers import timeline360
from isthmus.customers.timeline360 import at_or
from isthmus.kernel.enums import label
from isthmus.kernel.money import MINOR_UNITS
from isthmus.platform.events import Event
from isthmus.platform.sql import any_of, upsert_many
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as rpb
from isthmus_client.api.events.v1 import loyalty_pb2 as lev
from isthmus_client.api.events.v1 import service_requests_pb2 as sev
from isthmus_client.api.events.v1 import value_pb2 as vev
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp

_TS = DateTime(timezone=True)
# An order in these states still gets the units it waits for on backorder (docs/inventory.md).
_WAITS_FOR_STOCK = (order_pb2.ORDER_STATE_PLACED, order_pb2.ORDER_STATE_PAID, order_pb2.ORDER_STATE_SHIPPED)
# An order on its way: the 360 says when it is expected.
_UNDELIVERED = (order_pb2.ORDER_STATE_PLACED, order_pb2.ORDER_STATE_PAID, order_pb2.ORDER_STATE_SHIPPED)
CLOSED = ("RESOLVED", "CLOSED")  # a case's states that put it among the 360's recent, not its open
ROUTING_KEYS = (
    "customers.ConsentChanged",
    "customers.CustomersMerged",
    "customers.CustomerUnmerged",
    "orders.*",
    "service_requests.*",
    "loyalty.*",
    "value.CustomerValueChanged",
    "value.CustomerTierChanged",
    "value.CampaignMessageRequested",
    "value.CampaignMessageWithdrawn",
)


def tables(metadata: MetaData) -> dict[str, Table]:
    return {
        "orders": Table(
            "c360_orders",
            metadata,
            Column("order_id", String(64), primary_key=True),
            Column("customer_id", String(64), nullable=False),
            Column("snapshot", JSON, nullable=False),
            Column("as_of", _TS, nullable=False),
            # The order's version in the snapshot: a snapshot replaces only an older one.
            Column("version", BigInteger, nullable=False, server_default="0"),
            # From the snapshot, for the summary the database adds up (queries360): when it was
            # placed (as the snapshot writes it), its currency, and what it brought in (the total less
            # refunds, in minor units) once paid and unless cancelled, else NULL.
            Column("placed_at", String(40), nullable=False, server_default=""),
            Column("currency", String(3), nullable=False, server_default=""),
            Column("revenue_minor", BigInteger, nullable=True),
            # What the order still owes (its balance_due), in minor units; NULL when nothing.
            Column("owed_minor", BigInteger, nullable=True),
            # Units the order waits for on backorder while it can still get them; NULL when none.
            Column("backordered", BigInteger, nullable=True),
            # A customer's orders, the last placed first.
            Index("ix_c360_orders_customer_placed", "customer_id", "placed_at", "order_id"),
        ),
        "cases": Table(
            "c360_cases",
            metadata,
            Column("service_request_id", String(64), primary_key=True),
            Column("customer_id", String(64), nullable=False),
            Column("snapshot", JSON, nullable=False),
            Column("sla_breached", Boolean, nullable=False),
            Column("as_of", _TS, nullable=False),
            Column("version", BigInteger, nullable=False, server_default="0"),
            # From the snapshot, for the summary: whether the case is resolved or closed, and when it
            # was opened (as the snapshot writes it).
            Column("closed", Boolean, nullable=False, server_default=false()),
            Column("opened_at", String(40), nullable=False, server_default=""),
            # A customer's open cases, and its closed ones the newest first.
            Index("ix_c360_cases_customer_closed", "customer_id", "closed", "opened_at"),
            # When the latest event about a customer's cases happened: the summary's as-of time.
            Index("ix_c360_cases_customer_as_of", "customer_id", "as_of"),
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


_BATCH = "isthmus.customers.view360"  # the rows of the batch open on a session, in its info


@dataclass(frozen=True, eq=False)
class _Way:
    """How rows of ``table`` are written: inserted; where the key is taken, ``columns`` taken from the
    incoming row and ``later`` columns set to the later of the two times, only where ``newer(excluded)``
    holds against the stored row. The database decides under the row's lock, so concurrent consumers
    cannot let an older event overwrite a newer one. Without ``columns`` or ``later`` a stored row
    stays as it is. ``is_newer(kept, row)`` is ``newer`` between two rows of one key in Python."""

    table: Table
    columns: tuple[str, ...] = ()
    later: tuple[str, ...] = ()
    newer: Callable[[Any], ColumnElement[bool]] | None = None
    is_newer: Callable[[dict[str, Any], dict[str, Any]], bool] | None = None

    def set_(self, new: Any) -> dict[str, Any]:
        t = self.table
        return {
            **{c: getattr(new, c) for c in self.columns},
            **{c: _later(t.c[c], new[c]) for c in self.later},
        }

    def merge(self, kept: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
        """What writing ``kept`` and then ``row`` (of the same key) leaves in the table."""
        if self.is_newer is None or not self.is_newer(kept, row):
            return kept
        return {**kept, **{c: row[c] for c in self.columns}, **{c: max(kept[c], row[c]) for c in self.later}}


def _by_version(t: Table, columns: tuple[str, ...]) -> _Way:
    """A snapshot with a higher version; at an equal version (a producer that counts none), a later one."""
    return _Way(
        t,
        columns,
        newer=lambda new: or_(
            t.c.version < new.version, and_(t.c.version == new.version, t.c.as_of <= new.as_of)
        ),
        is_newer=lambda kept, row: (kept["version"], kept["as_of"]) <= (row["version"], row["as_of"]),
    )


def _by_time(t: Table, columns: tuple[str, ...], stamp: str, later: tuple[str, ...] = ()) -> _Way:
    """A row, or a part of one, as new as its own time ``stamp``; where the column may hold none (the
    row made by another part), any time is newer. Each row's ``later`` columns hold its ``stamp``, so
    the newest row's are also the latest of those its events one by one would have set."""
    unset = bool(t.c[stamp].nullable)
    return _Way(
        t,
        columns,
        later,
        newer=lambda new: (
            or_(t.c[stamp].is_(None), t.c[stamp] <= new[stamp]) if unset else t.c[stamp] <= new[stamp]
        ),
        is_newer=lambda kept, row: (unset and kept[stamp] is None) or bool(kept[stamp] <= row[stamp]),
    )


def _later(stored: ColumnElement[Any], incoming: ColumnElement[Any]) -> ColumnElement[Any]:
    """The later of two times, kept when a row's parts change at different times."""
    return case((stored > incoming, stored), else_=incoming)


class _Rows:
    """The rows some events write, by the way each is written, one per key: the row that writing them
    one by one, in their order, would leave. Each way's rows are then one statement (PostgreSQL's
    ON CONFLICT DO UPDATE may not touch a row twice in one statement), whose conditions decide
    against the stored rows as they decided for each event."""

    def __init__(self, ways: Sequence[_Way]) -> None:
        self.rows: dict[_Way, dict[tuple[Any, ...], dict[str, Any]]] = {way: {} for way in ways}
        self.breached: set[str] = set()  # cases an event says are breached

    def add(self, way: _Way, row: dict[str, Any]) -> None:
        key = tuple(row[c.name] for c in way.table.primary_key.columns)
        rows = self.rows[way]
        kept = rows.get(key)
        rows[key] = row if kept is None else way.merge(kept, row)


def review_worth(reviews: Table, value: Table) -> ColumnElement[float]:
    """A match review's worth: the lifetime value of the worthier of its two customers, as the 360's
    value rows hold it (0 for a customer without one)."""

    def of(customer_id: ColumnElement[str]) -> ColumnElement[float]:
        amount = select(value.c.lifetime_amount).where(value.c.customer_id == customer_id)
        return func.coalesce(amount.scalar_subquery(), 0.0)

    a, b = of(reviews.c.candidate_customer_id), of(reviews.c.existing_customer_id)
    return case((a >= b, a), else_=b)


class Projection:
    """Applies events to the read model. Alone, an event's rows are written when :meth:`handle`
    returns; in a batch (:meth:`prepare`), after the batch's last event, one statement per table.

    Given the master's ``reviews`` table, a change of customers' value is carried to the worth of
    their open match reviews (``review_worth``), by which the steward's queue is ordered."""

    def __init__(self, t: dict[str, Table], reviews: Table | None = None) -> None:
        self.t = t
        self.reviews = reviews
        loyalty = t["loyalty"]
        # In the order a batch writes them (the same for every batch, so concurrent ones lock alike).
        self._orders = _by_version(
            t["orders"],
            (
                "customer_id",
                "snapshot",
                "as_of",
                "version",
                "placed_at",
                "currency",
                "revenue_minor",
                "owed_minor",
                "backordered",
            ),
        )
        # A case's breach is not taken from a snapshot: it is only ever set (see _write).
        self._cases = _by_version(
            t["cases"], ("customer_id", "snapshot", "as_of", "version", "closed", "opened_at")
        )
        # Balance and tier change through different events: each is as new as its own event.
        self._balance = _by_time(loyalty, ("balance", "debt", "balance_as_of"), "balance_as_of", ("as_of",))
        self._tier = _by_time(loyalty, ("tier_id", "tier_name", "tier_as_of"), "tier_as_of", ("as_of",))
        self._value = _by_version(t["value"], ("snapshot", "as_of", "version", "lifetime_amount"))
        self._suppression = _by_time(
            t["suppression"], ("suppressed", "reason", "service_request_ids", "since"), "since"
        )
        self._timeline = _Way(t["timeline"])  # keyed by event id: a redelivery adds nothing
        self._ways = (
            self._orders,
            self._cases,
            self._balance,
            self._tier,
            self._value,
            self._suppression,
            self._timeline,
        )

    async def prepare(self, session: AsyncSession, events: Sequence[Event]) -> Callable[[], Awaitable[None]]:
        """Opens a batch on ``session``: :meth:`handle` keeps the rows of its events, and the step this
        returns (after the last handler) writes them."""
        rows = session.sync_session.info[_BATCH] = _Rows(self._ways)

        async def finish() -> None:
            session.sync_session.info.pop(_BATCH, None)
            await self._write(session, rows)

        return finish

    async def handle(self, session: AsyncSession, event: Event) -> None:
        """Applies ``event``: to the rows of the batch open on ``session``, or, with none, straight to
        the tables."""
        batch: _Rows | None = session.sync_session.info.get(_BATCH)
        rows = batch if batch is not None else _Rows(self._ways)
        self._apply(rows, event)
        if batch is None:
            await self._write(session, rows)

    async def _write(self, session: AsyncSession, rows: _Rows) -> None:
        for way, by_key in rows.rows.items():
            found = [by_key[key] for key in sorted(by_key)]
            set_ = way.set_ if way.columns or way.later else None
            await upsert_many(session, way.table, found, set_, way.newer)
        valued = rows.rows[self._value]
        if valued and self.reviews is not None:
            r = self.reviews.c
            await session.execute(
                update(self.reviews)
                .where(
                    r.state == rpb.MATCH_REVIEW_STATE_OPEN,
                    or_(any_of(r.candidate_customer_id, "ids"), any_of(r.existing_customer_id, "ids")),
                )
                .values(worth=review_worth(self.reviews, self.t["value"])),
                {"ids": sorted(key[0] for key in valued)},
            )
        if rows.breached:
            # A breach stays on the case whatever order its events arrive in.
            t = self.t["cases"]
            await session.execute(
                update(t)
                .where(any_of(t.c.service_request_id, "ids"), t.c.sla_breached.is_(False))
                .values(sla_breached=True),
                {"ids": sorted(rows.breached)},
            )

    def _apply(self, rows: _Rows, event: Event) -> None:
        p, at = event.payload, event.occurred_at
        if timeline360.is_order_event(p):
            self._order(rows, p, at)
        elif isinstance(p, sev.ContactSuppressionChanged):
            self._suppression_row(rows, p, at)
        elif hasattr(p, "service_request"):
            self._case(rows, p, at)
        elif isinstance(p, lev.TierChanged):
            self._loyalty(rows, p.customer_id, at, tier=(p.to_tier.tier_id, p.to_tier.name))
        elif isinstance(p, vev.CustomerValueChanged):
            self._value_row(rows, p, at)
        elif hasattr(p, "entry"):  # the loyalty ledger's events
            e = p.entry
            self._loyalty(rows, e.customer_id, at, balance=(e.balance_after, e.debt_after))
        found = timeline360.entry(event)
        if found is not None and found.customer_id:
            rows.add(
                self._timeline,
                {
                    "event_id": event.event_id,
                    "customer_id": found.customer_id,
                    "event_type": event.type,
                    "kind": found.kind,
                    "occurred_at": found.at,
                    "summary": found.summary[:500],
                    "channel": found.channel,
                    "refs": {k: v for k, v in found.refs.items() if v},
                },
            )

    def _order(self, rows: _Rows, p: timeline360.OrderEvent, at: datetime) -> None:
        o = p.order
        snapshot: dict[str, Any] = {
            "order_id": o.order_id,
            "source_system": o.source_system,
            "external_order_id": o.external_order_id,
            "channel": label(order_pb2.OrderChannel, o.channel),
            "state": label(order_pb2.OrderState, o.state),
            "total": [o.total.amount, o.total.currency_code or o.currency_code],
            "refunded": [o.refunded_total.amount, o.refunded_total.currency_code or o.currency_code],
            "paid": bool(o.pay_time.seconds),
            "placed_at": o.place_time.ToJsonString() if o.place_time.seconds else "",
            **_delivery_and_plan(o),
        }
        currency = snapshot["total"][1]
        counted = snapshot["paid"] and snapshot["state"] != "CANCELLED"
        revenue = _minor(o.total.amount, currency) - _minor(o.refunded_total.amount, currency)
        if o.HasField("balance_due"):
            owed = _minor(o.balance_due.amount, currency)
        else:  # an event from before the order service said what is owed
            owed = (
                0
                if snapshot["paid"] or snapshot["state"] == "CANCELLED"
                else _minor(o.total.amount, currency)
            )
        waiting = sum(x.backordered_quantity for x in o.lines) if o.state in _WAITS_FOR_STOCK else 0
        row = {"order_id": o.order_id, "customer_id": o.customer_id, "snapshot": snapshot, "as_of": at,
               "version": o.version, "placed_at": snapshot["placed_at"], "currency": currency[:3],
               "revenue_minor": revenue if counted else None, "owed_minor": owed or None,
               "backordered": waiting or None}  # fmt: skip
        rows.add(self._orders, row)

    def _case(self, rows: _Rows, p: Message, at: datetime) -> None:
        sr = p.service_request  # type: ignore[attr-defined]
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
            "closed": snapshot["state"] in CLOSED,
            "opened_at": snapshot["opened_at"],
        }
        rows.add(self._cases, row)
        if breached:
            rows.breached.add(sr.service_request_id)

    def _loyalty(
        self,
        rows: _Rows,
        customer_id: str,
        at: datetime,
        balance: tuple[int, int] | None = None,
        tier: tuple[str, str] | None = None,
    ) -> None:
        row: dict[str, Any] = {"customer_id": customer_id, "balance": 0, "debt": 0, "tier_id": "",
                               "tier_name": "", "as_of": at}  # fmt: skip
        if balance is not None:
            rows.add(self._balance, row | {"balance": balance[0], "debt": balance[1], "balance_as_of": at})
        elif tier is not None:
            rows.add(self._tier, row | {"tier_id": tier[0], "tier_name": tier[1], "tier_as_of": at})

    def _value_row(self, rows: _Rows, p: vev.CustomerValueChanged, at: datetime) -> None:
        v = p.value
        rfm = f"{v.rfm.recency}{v.rfm.frequency}{v.rfm.monetary}" if v.rfm.recency else ""
        snapshot = {
            "lifetime": [v.lifetime_value.amount, v.lifetime_value.currency_code],
            "historical": [v.historical_value.amount, v.historical_value.currency_code],
            "predicted": [v.predicted_value.amount, v.predicted_value.currency_code],
            "tier": label(common_pb2.ValueTier, v.tier),
            "churn_risk": v.churn_risk,
            "alive_probability": v.alive_probability,
            "rfm": rfm,
            "credit_rank": label(common_pb2.CreditRank, v.credit.rank),
            "credit_reasons": list(v.credit.reasons),
        }
        rows.add(self._value, {"customer_id": v.customer_id, "snapshot": snapshot,
                               "as_of": at_or(v.update_time, at), "version": v.version,
                               "lifetime_amount": float(_amount(v.lifetime_value.amount))})  # fmt: skip

    def _suppression_row(self, rows: _Rows, p: sev.ContactSuppressionChanged, at: datetime) -> None:
        row = {
            "customer_id": p.customer_id,
            "suppressed": p.suppressed,
            "reason": p.reason,
            "service_request_ids": list(p.service_request_ids),
            "since": at_or(p.change_time, at),
        }
        rows.add(self._suppression, row)

    async def erase(self, session: AsyncSession, customer_id: str) -> None:
        for table in self.t.values():
            await session.execute(delete(table).where(table.c.customer_id == customer_id))


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal(0)


def minor_exponent(currency: str) -> int:
    """The decimals of ``currency``'s minor unit as the projection counts amounts in it (two for a code
    ISO 4217 gives none)."""
    return MINOR_UNITS.get(currency, 2)


def _minor(text: str, currency: str) -> int:
    """An amount in its currency's minor units; a malformed one is none."""
    return int(_amount(text).scaleb(minor_exponent(currency)).to_integral_value())


def _iso(date: common_pb2.Date) -> str:
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}" if date.year else ""


def _delivery_and_plan(o: order_pb2.Order) -> dict[str, Any]:
    """What a caller asks of their last order beyond its state: when it comes (each line's latest
    estimate, else its promise; the latest line's), whether that moved from the promise, and the
    flex-pay plan's next instalment."""
    out: dict[str, Any] = {}
    if o.state in _UNDELIVERED:
        dates = [_iso(x.estimated_delivery_date) or _iso(x.expected_delivery_date) for x in o.lines]
        if any(dates):
            out["delivery"] = max(d for d in dates if d)
    moved = any(
        _iso(x.estimated_delivery_date) and _iso(x.estimated_delivery_date) != _iso(x.expected_delivery_date)
        for x in o.lines
    )
    if moved:
        out["delivery_moved"] = True
    due = [i for i in o.instalments if not i.HasField("pay_time")]
    if due and o.state != order_pb2.ORDER_STATE_CANCELLED:
        first = min(due, key=lambda i: i.number)
        out["next_instalment"] = {
            "number": first.number,
            "due": _iso(first.due_date),
            "amount": [first.amount.amount, first.amount.currency_code or o.currency_code],
        }
    return out
