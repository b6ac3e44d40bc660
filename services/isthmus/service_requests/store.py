"""Repository and unit of work over the service_requests schema."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.kernel.errors import Conflict
from isthmus.platform import requests
from isthmus.platform.sql import any_of, insert_new, update_many
from isthmus.service_requests.domain import (
    Direction,
    Interaction,
    Kind,
    Priority,
    ServiceRequest,
    Shipment,
    State,
)
from isthmus.service_requests.rows import case, case_row, interaction, interaction_row
from isthmus.service_requests.tables import (
    campaign_calls,
    contact_suppressions,
    customer_moves,
    customer_tiers,
    interactions,
    order_customers,
    script_runs,
    service_requests,
)

# Records an event in the same transaction as the change (the platform's transactional outbox).
EventSink = Callable[[AsyncSession, Message, str], Awaitable[None]]

SR = service_requests.c
IX = interactions.c
CS = contact_suppressions.c
RN = script_runs.c
CL = campaign_calls.c

# The statements every write runs are built once: a statement built per call (``.values(row)``, a
# fresh ``where``) costs SQLAlchemy a new cache key and coercions each time, more CPU than the round
# trip itself. Executed with a parameter dict, an UPDATE's SET clause is the dict's column keys.
_GET_CASE = select(service_requests).where(SR.id == bindparam("id"))
_INSERT_CASE = insert(service_requests)
_UPDATE_CASE = update(service_requests).where(
    SR.id == bindparam("w_id"), SR.version == bindparam("w_version")
)
_INSERT_INTERACTION = insert(interactions)
_GET_INTERACTION = select(interactions).where(IX.id == bindparam("id"))
_GET_CASES = select(service_requests).where(any_of(SR.id, "ids"))
_OPEN_COMPLAINTS = (
    select(SR.customer_id, SR.id)
    .where(
        any_of(SR.customer_id, "customer_ids"),
        SR.kind == Kind.COMPLAINT.value,
        SR.state.in_([State.NEW.value, State.OPEN.value, State.PENDING_CUSTOMER.value]),
    )
    .order_by(SR.customer_id, SR.opened_at, SR.id)
)
_GET_SUPPRESSION = select(contact_suppressions).where(CS.customer_id == bindparam("customer_id"))
# Locked in customer id order, so two transactions locking overlapping sets cannot deadlock.
_LOCK_SUPPRESSIONS = (
    select(contact_suppressions)
    .where(any_of(CS.customer_id, "customer_ids"))
    .order_by(CS.customer_id)
    .with_for_update()
)
_TIERS_OF = select(customer_tiers).where(any_of(customer_tiers.c.customer_id, "customer_ids"))
_INSERT_SUPPRESSION = insert(contact_suppressions)
_UPDATE_SUPPRESSION = update(contact_suppressions).where(CS.customer_id == bindparam("w_customer_id"))


@dataclass(frozen=True)
class CaseFilter:
    customer_id: str = ""
    agent_id: str = ""
    queue: str = ""
    states: tuple[State, ...] = ()
    kind: Kind | None = None
    priority: Priority | None = None
    # When set: only cases whose running SLA is due within this much of now (breached, or about to be).
    overdue_within: timedelta | None = None


@dataclass(frozen=True)
class Suppression:
    customer_id: str
    suppressed: bool
    reason: str
    service_request_ids: tuple[str, ...]
    since: datetime | None


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- orders (learnt from the order service's events) -----------------------------------------

    async def order_owners(self, order_ids: Sequence[str]) -> dict[str, str]:
        """The customer of each of these orders the order service announced (unknown ones absent)."""
        c = order_customers.c
        rows = await self._rows_for(
            select(c.order_id, c.customer_id).where(any_of(c.order_id, "ids")), "ids", order_ids
        )
        return {row.order_id: row.customer_id for row in rows}

    async def orders_placed(self, placed: Sequence[tuple[str, str]]) -> None:
        """Remembers whose each of these orders is, (order id, customer id), with one statement; an
        order known already keeps its customer (a redelivery, or an order moved along a merge), and of
        one order named twice the first counts."""
        rows = [{"order_id": o, "customer_id": c, "placed_for": c} for o, c in placed]
        await insert_new(self.session, order_customers, rows, "order_id")

    async def order_shipped(self, order_id: str, customer_id: str, shipment: Shipment) -> None:
        """Remembers how the order left (the order known too, if its OrderPlaced was not seen)."""
        await self.orders_placed([(order_id, customer_id)])
        c = order_customers.c
        await self.session.execute(
            update(order_customers).where(c.order_id == order_id).values(shipment=shipment.json())
        )

    async def shipments(self, order_ids: Sequence[str]) -> dict[str, Shipment]:
        """How each of these orders left, for those the order service reported shipped."""
        c = order_customers.c
        query = select(c.order_id, c.shipment).where(any_of(c.order_id, "ids"), c.shipment.is_not(None))
        rows = await self._rows_for(query, "ids", order_ids)
        return {row.order_id: Shipment(**row.shipment) for row in rows}

    async def move_orders(self, from_ids: Sequence[str], to_id: str) -> None:
        c = order_customers.c
        await self.session.execute(
            update(order_customers).where(c.customer_id.in_(list(from_ids))).values(customer_id=to_id)
        )

    async def restore_orders(self, from_id: str, restored_ids: Sequence[str]) -> None:
        c = order_customers.c
        await self.session.execute(
            update(order_customers)
            .where(c.customer_id == from_id, c.placed_for.in_(list(restored_ids)))
            .values(customer_id=c.placed_for)
        )

    # -- cases ------------------------------------------------------------------------------------

    async def get(self, case_id: str) -> ServiceRequest | None:
        row = (await self.session.execute(_GET_CASE, {"id": case_id})).first()
        return None if row is None else case(row)

    async def _rows_for(self, statement: Any, name: str, ids: Sequence[str]) -> list[Any]:
        """Rows of ``statement`` for every id in ``ids`` (bound as the expanding ``name``), in chunks."""
        rows: list[Any] = []
        for chunk in _chunks(sorted(set(ids))):
            rows.extend(await self.session.execute(statement, {name: list(chunk)}))
        return rows

    async def get_many(self, case_ids: Sequence[str]) -> dict[str, ServiceRequest]:
        return {row.id: case(row) for row in await self._rows_for(_GET_CASES, "ids", case_ids)}

    async def get_by_source(self, source_system: str, external_id: str) -> ServiceRequest | None:
        query = select(service_requests).where(
            SR.source_system == source_system, SR.external_id == external_id
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else case(row)

    async def add(self, *cases: ServiceRequest) -> None:
        if cases:
            await self.session.execute(_INSERT_CASE, [case_row(sr) for sr in cases])

    async def save(self, sr: ServiceRequest) -> None:
        """Writes a changed case if nobody else changed it since it was read; bumps its version."""
        read_version = sr.version
        sr.version = read_version + 1
        values = case_row(sr)
        del values["id"]
        values.update(w_id=sr.id, w_version=read_version)
        result = await self.session.execute(_UPDATE_CASE, values)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            sr.version = read_version
            raise Conflict(f"service request {sr.id} was changed concurrently: read it again and retry")

    async def save_many(self, cases: Sequence[ServiceRequest]) -> None:
        """``save`` for each of these cases, with one statement: Conflict when any of them was changed
        since it was read (the caller's transaction then writes none)."""
        if not cases:
            return
        changes = []
        for sr in cases:
            values = case_row(sr)
            del values["id"]
            values["version"] = sr.version + 1
            changes.append(({"id": sr.id, "version": sr.version}, values))
        if await update_many(self.session, service_requests, changes) != len(changes):
            raise Conflict("a service request was changed concurrently: read it again and retry")
        for sr in cases:
            sr.version += 1

    async def find(
        self, flt: CaseFilter, now: datetime, limit: int, after: tuple[datetime, str] | None
    ) -> list[ServiceRequest]:
        """Newest first, or soonest due first for overdue listings; keyset paging after ``after``."""
        query = select(service_requests)
        conditions = []
        if flt.customer_id:
            conditions.append(SR.customer_id == flt.customer_id)
        if flt.agent_id:
            conditions.append(SR.assignee_agent_id == flt.agent_id)
        if flt.queue:
            conditions.append(SR.assignee_queue == flt.queue)
        if flt.states:
            conditions.append(SR.state.in_([s.value for s in flt.states]))
        if flt.kind is not None:
            conditions.append(SR.kind == flt.kind.value)
        if flt.priority is not None:
            conditions.append(SR.priority == flt.priority.value)
        if flt.overdue_within is not None:
            conditions.append(SR.next_due_at <= now + flt.overdue_within)
            if after is not None:
                conditions.append(
                    or_(SR.next_due_at > after[0], and_(SR.next_due_at == after[0], SR.id > after[1]))
                )
            query = query.order_by(SR.next_due_at, SR.id)
        else:
            if after is not None:
                conditions.append(
                    or_(SR.opened_at < after[0], and_(SR.opened_at == after[0], SR.id < after[1]))
                )
            query = query.order_by(SR.opened_at.desc(), SR.id.desc())
        rows = await self.session.execute(query.where(*conditions).limit(limit))
        return [case(r) for r in rows]

    async def breach_check_due(self, now: datetime, limit: int) -> list[str]:
        query = select(SR.id).where(SR.breach_check_at <= now).order_by(SR.breach_check_at).limit(limit)
        return list((await self.session.execute(query)).scalars())

    async def open_complaint_ids(self, customer_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Each customer's complaints not yet resolved, oldest first (customers without any left out)."""
        found: dict[str, list[str]] = {}
        for customer_id, case_id in await self._rows_for(_OPEN_COMPLAINTS, "customer_ids", customer_ids):
            found.setdefault(customer_id, []).append(case_id)
        return {customer_id: tuple(ids) for customer_id, ids in found.items()}

    async def cases_of(self, customer_id: str) -> list[ServiceRequest]:
        query = select(service_requests).where(SR.customer_id == customer_id)
        return [case(r) for r in await self.session.execute(query)]

    # -- interactions -----------------------------------------------------------------------------

    async def add_interactions(self, *entries: Interaction) -> None:
        if entries:
            await self.session.execute(_INSERT_INTERACTION, [interaction_row(i) for i in entries])

    async def get_interaction(self, interaction_id: str) -> Interaction | None:
        row = (await self.session.execute(_GET_INTERACTION, {"id": interaction_id})).first()
        return None if row is None else interaction(row)

    async def get_interaction_by_source(self, source_system: str, external_id: str) -> Interaction | None:
        query = select(interactions).where(IX.source_system == source_system, IX.external_id == external_id)
        row = (await self.session.execute(query)).first()
        return None if row is None else interaction(row)

    async def list_interactions(
        self,
        *,
        case_id: str = "",
        customer_id: str = "",
        orphaned: bool = False,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[Interaction]:
        if case_id:
            condition = IX.service_request_id == case_id
        elif customer_id:
            condition = IX.customer_id == customer_id
        else:
            condition = IX.orphaned.is_(orphaned)
        query = select(interactions).where(condition)
        if after is not None:
            query = query.where(
                or_(IX.occurred_at > after[0], and_(IX.occurred_at == after[0], IX.id > after[1]))
            )
        rows = await self.session.execute(query.order_by(IX.occurred_at, IX.id).limit(limit))
        return [interaction(r) for r in rows]

    async def erase_interactions(self, customer_id: str, marker: str) -> int:
        """Blanks what was said; the entries stay (who, when, which channel) as an anonymised record."""
        result = await self.session.execute(
            update(interactions).where(IX.customer_id == customer_id).values(subject=marker, body=marker)
        )
        # Inbound entries were authored by the customer: their name goes too. Agents' names stay.
        await self.session.execute(
            update(interactions)
            .where(IX.customer_id == customer_id, IX.direction == Direction.INBOUND.value)
            .values(author={"kind": "USER", "id": "", "display_name": ""})
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    # -- merges -----------------------------------------------------------------------------------

    async def move_customer(self, merge_id: str, from_id: str, to_id: str, now: datetime) -> list[str]:
        """Re-points one merged customer's cases, interactions and script runs; returns the moved case
        ids."""
        moved_cases = list(
            (await self.session.execute(select(SR.id).where(SR.customer_id == from_id))).scalars()
        )
        moved_interactions = list(
            (await self.session.execute(select(IX.id).where(IX.customer_id == from_id))).scalars()
        )
        moved_runs = list(
            (await self.session.execute(select(RN.run_id).where(RN.customer_id == from_id))).scalars()
        )
        moved_calls = list(
            (await self.session.execute(select(CL.call_id).where(CL.customer_id == from_id))).scalars()
        )
        rows = [
            {
                "merge_id": merge_id,
                "item": item,
                "item_id": item_id,
                "from_customer_id": from_id,
                "to_customer_id": to_id,
                "moved_at": now,
            }
            for item, ids in (
                ("case", moved_cases),
                ("interaction", moved_interactions),
                ("run", moved_runs),
                ("call", moved_calls),
            )
            for item_id in ids
        ]
        if rows:
            await self.session.execute(insert(customer_moves), rows)
        await self.session.execute(
            update(service_requests)
            .where(SR.customer_id == from_id)
            .values(customer_id=to_id, version=SR.version + 1, update_time=now)
        )
        await self.session.execute(
            update(interactions).where(IX.customer_id == from_id).values(customer_id=to_id)
        )
        await self.session.execute(
            update(script_runs).where(RN.customer_id == from_id).values(customer_id=to_id)
        )
        await self.session.execute(
            update(campaign_calls).where(CL.customer_id == from_id).values(customer_id=to_id)
        )
        return moved_cases

    async def moves_of(self, merge_id: str, restored_id: str, current_id: str) -> dict[str, list[str]]:
        # Without a merge id (an older producer), every move between the two customers is undone.
        query = select(customer_moves.c.item, customer_moves.c.item_id).where(
            customer_moves.c.from_customer_id == restored_id, customer_moves.c.to_customer_id == current_id
        )
        if merge_id:
            query = query.where(customer_moves.c.merge_id == merge_id)
        found: dict[str, list[str]] = {"case": [], "interaction": [], "run": [], "call": []}
        for item, item_id in await self.session.execute(query):
            found[item].append(item_id)
        return found

    async def move_back(self, moves: dict[str, list[str]], from_id: str, to_id: str, now: datetime) -> None:
        # Only items still with the customer they moved to: a later merge may have taken them on.
        for chunk in _chunks(moves["case"]):
            await self.session.execute(
                update(service_requests)
                .where(SR.id.in_(chunk), SR.customer_id == from_id)
                .values(customer_id=to_id, version=SR.version + 1, update_time=now)
            )
        for chunk in _chunks(moves["interaction"]):
            await self.session.execute(
                update(interactions)
                .where(IX.id.in_(chunk), IX.customer_id == from_id)
                .values(customer_id=to_id)
            )
        for chunk in _chunks(moves["run"]):
            await self.session.execute(
                update(script_runs)
                .where(RN.run_id.in_(chunk), RN.customer_id == from_id)
                .values(customer_id=to_id)
            )
        for chunk in _chunks(moves["call"]):
            await self.session.execute(
                update(campaign_calls)
                .where(CL.call_id.in_(chunk), CL.customer_id == from_id)
                .values(customer_id=to_id)
            )

    async def forget_moves(self, merge_id: str, restored_id: str) -> None:
        condition = customer_moves.c.from_customer_id == restored_id
        if merge_id:
            condition = and_(condition, customer_moves.c.merge_id == merge_id)
        await self.session.execute(delete(customer_moves).where(condition))

    # -- suppression --------------------------------------------------------------------------------

    async def get_suppression(self, customer_id: str) -> Suppression | None:
        row = (await self.session.execute(_GET_SUPPRESSION, {"customer_id": customer_id})).first()
        return None if row is None else _suppression(row)

    async def lock_suppressions(self, customer_ids: Sequence[str]) -> dict[str, Suppression]:
        """The customers' suppressions, locked until the transaction ends (PostgreSQL; SQLite has one
        writer at a time anyway). Customers without one yet are left out."""
        rows = await self._rows_for(_LOCK_SUPPRESSIONS, "customer_ids", customer_ids)
        return {row.customer_id: _suppression(row) for row in rows}

    async def put_suppressions(
        self, changed: Sequence[Suppression], new: Sequence[Suppression], now: datetime
    ) -> None:
        """Writes ``changed`` suppressions over existing ones and inserts ``new`` ones."""

        def values(s: Suppression) -> dict[str, Any]:
            return {
                "suppressed": s.suppressed,
                "reason": s.reason,
                "service_request_ids": list(s.service_request_ids),
                "since": s.since,
                "changed_at": now,
            }

        if changed:
            rows = [{"w_customer_id": s.customer_id, **values(s)} for s in changed]
            await self.session.execute(_UPDATE_SUPPRESSION, rows)
        if new:
            try:
                await self.session.execute(
                    _INSERT_SUPPRESSION, [{"customer_id": s.customer_id, **values(s)} for s in new]
                )
            except IntegrityError as exc:  # another transaction wrote a customer's first one
                raise Conflict("a customer's contact suppression changed concurrently: retry") from exc

    # -- value tiers --------------------------------------------------------------------------------

    async def tiers_of(self, customer_ids: Sequence[str]) -> dict[str, str]:
        rows = await self._rows_for(_TIERS_OF, "customer_ids", customer_ids)
        return {row.customer_id: row.tier for row in rows}

    async def put_tier(self, customer_id: str, tier: str, as_of: datetime) -> None:
        """The customer's tier, unless a newer tier event was applied already."""
        t = customer_tiers
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(t).values(customer_id=customer_id, tier=tier, as_of=as_of)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.customer_id],
            set_={"tier": stmt.excluded.tier, "as_of": stmt.excluded.as_of},
            where=t.c.as_of <= stmt.excluded.as_of,
        )
        await self.session.execute(stmt)

    async def forget_tier(self, customer_id: str) -> None:
        await self.session.execute(delete(customer_tiers).where(customer_tiers.c.customer_id == customer_id))


def _suppression(row: Any) -> Suppression:
    m = row._mapping
    ids = tuple(m["service_request_ids"] or ())
    return Suppression(m["customer_id"], m["suppressed"], m["reason"], ids, m["since"])


def _chunks(ids: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@dataclass
class UnitOfWork:
    """One transaction: the repository, plus the events to record in it when it commits."""

    session: AsyncSession
    sink: EventSink
    events: list[tuple[Message, str]] = field(default_factory=list)
    # The request being served when it carries a request_id: ``commit(answer)`` remembers the answer
    # with it, in this transaction (isthmus.platform.requests).
    request: Message | None = None

    @property
    def repo(self) -> Repository:
        return Repository(self.session)

    def emit(self, message: Message, aggregate_id: str) -> None:
        self.events.append((message, aggregate_id))

    async def record_events(self) -> None:
        """Hands the collected events to the outbox in this transaction (the bus commits consumers')."""
        events, self.events = self.events, []
        for message, aggregate_id in events:
            await self.sink(self.session, message, aggregate_id)

    async def commit(self, answer: Message | None = None) -> None:
        await self.record_events()
        if self.request is not None and answer is not None:
            await requests.remember(self.session, self.request, answer)
        try:
            await self.session.commit()
        except IntegrityError as exc:
            # Two writers raced on a unique key (request id, source id): the loser retries and
            # then finds the winner's result.
            raise Conflict("a concurrent request with the same key won: retry") from exc


class UnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], sink: EventSink) -> None:
        self.sessions = sessions
        self.sink = sink

    def __call__(self) -> _UowContext:
        return _UowContext(self)


class _UowContext:
    def __init__(self, factory: UnitOfWorkFactory) -> None:
        self.factory = factory
        self.session: AsyncSession | None = None

    async def __aenter__(self) -> UnitOfWork:
        self.session = self.factory.sessions()
        return UnitOfWork(self.session, self.factory.sink)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.session is not None
        try:
            await self.session.rollback()
        finally:
            await self.session.close()
