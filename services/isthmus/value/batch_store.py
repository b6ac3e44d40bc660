"""The value tables as a batch of events sees them: read together, changed in memory, written together.

Alone (an API call, an event without its batch's prepare step) the use cases run the statements of
:class:`~isthmus.value.store.ValueRepository` one by one. For a batch the consumer's prepare step
puts a :class:`BatchRepository` in the session (:func:`repository` finds it there) and reads what the
batch's events name with :meth:`BatchRepository.prefetch`: their orders (locked, in id order), their
case ids, their customers (locked, in id order, then the customers those were merged into, a level
per statement), and every order and case of those customers. The handlers then read and change these
rows in memory, each event seeing the earlier ones' changes, and :meth:`BatchRepository.flush` writes
what they changed after the last one: a statement per table and kind of change.

Whatever is not in memory is read as :class:`~isthmus.value.store.ValueRepository` reads it, after
the owed writes went out, and kept; so is a customer's facts when not all of them are known. A
statement that changes rows by a condition (facts moved or deleted for customers not all of whose
facts are known, the customers merged into one) also goes out after the owed writes, and what it
changed is changed in memory too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.platform.sql import any_of, insert_many, update_many
from isthmus.value import domain
from isthmus.value.store import CASES_OF, ORDERS_OF, OrderRow, ValueRepository, order_columns
from isthmus.value.tables import cases, customers, orders

# Locked in key order, so that two transactions reading overlapping sets wait instead of deadlocking.
_ORDERS = select(orders).where(any_of(orders.c.order_id, "ids")).order_by(orders.c.order_id).with_for_update()
_CUSTOMERS = (
    select(customers)
    .where(any_of(customers.c.customer_id, "ids"))
    .order_by(customers.c.customer_id)
    .with_for_update()
)
_CASE_IDS = select(cases.c.service_request_id).where(any_of(cases.c.service_request_id, "ids"))
_DELETE_ORDERS = delete(orders).where(any_of(orders.c.order_id, "ids"))
_DELETE_CASES = delete(cases).where(any_of(cases.c.service_request_id, "ids"))

_INFO_KEY = "isthmus.value.batch"


def repository(session: AsyncSession) -> ValueRepository:
    """The batch's repository when the session handles a batch of events, else one of its own."""
    batch: BatchRepository | None = session.sync_session.info.get(_INFO_KEY)
    return batch if batch is not None else ValueRepository(session)


class BatchRepository(ValueRepository):
    """The identity map of one batch's transaction (see the module's docstring)."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._customers: dict[str, dict[str, Any] | None] = {}  # None: no row
        self._stored_customers: set[str] = set()  # rows in the table (the others are inserted)
        self._orders: dict[str, OrderRow | None] = {}  # None: no row
        self._locked: set[str] = set()  # order ids read FOR UPDATE (or made here): order() answers them
        self._cases: dict[str, dict[str, Any]] = {}
        self._case_exists: dict[str, bool] = {}
        self._stored_cases: set[str] = set()
        # The customers all of whose orders and cases are in memory: their ids, in the order read.
        self._facts_of: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
        self._owed_customers: dict[str, dict[str, Any]] = {}
        self._owed_orders: dict[str, OrderRow] = {}  # every column
        self._moved_orders: dict[str, OrderRow] = {}  # the customer only
        self._owed_cases: dict[str, dict[str, Any]] = {}  # new ones: every column; stored: the customer
        self._gone_orders: set[str] = set()
        self._gone_cases: set[str] = set()

    @classmethod
    def begin(cls, session: AsyncSession) -> BatchRepository:
        """A new batch's repository, which the session's handlers then share."""
        repo = session.sync_session.info[_INFO_KEY] = cls(session)
        return repo

    # --- what a batch reads before its handlers ------------------------------------------------------

    async def prefetch(
        self, order_ids: Iterable[str], customer_ids: Iterable[str], case_ids: Iterable[str]
    ) -> None:
        """Reads the orders and cases named, the customers named and those of the orders (following
        merges), and all these customers' orders and cases."""
        wanted = sorted(set(order_ids) - self._locked)
        if wanted:
            for row in (await self.session.execute(_ORDERS, {"ids": wanted})).mappings():
                self._orders[row["order_id"]] = OrderRow(**dict(row), stored=True)
            for order_id in wanted:
                self._orders.setdefault(order_id, None)
            self._locked.update(wanted)
        asked = sorted(set(case_ids) - set(self._case_exists))
        if asked:
            found = set((await self.session.execute(_CASE_IDS, {"ids": asked})).scalars())
            self._case_exists.update((c, c in found) for c in asked)
        of_orders = [r.customer_id for r in self._orders.values() if r is not None]
        read = await self._load_customers([*customer_ids, *of_orders])
        await self._load_facts(read)

    async def _load_customers(self, customer_ids: Iterable[str]) -> list[str]:
        """Reads the customers not known yet, then those they were merged into, a level per
        statement; returns the ids read (those without a row too)."""
        read: list[str] = []
        wanted = sorted(set(customer_ids) - set(self._customers))
        while wanted:
            found = [dict(r) for r in (await self.session.execute(_CUSTOMERS, {"ids": wanted})).mappings()]
            for row in found:
                self._customers[row["customer_id"]] = row
                self._stored_customers.add(row["customer_id"])
            for customer_id in wanted:
                self._customers.setdefault(customer_id, None)
            read += wanted
            wanted = sorted({r["merged_into"] for r in found if r["merged_into"]} - set(self._customers))
        return read

    async def _load_facts(self, customer_ids: Sequence[str]) -> None:
        """Reads every order and case of these customers. An order this transaction locked is kept as
        it is in memory (the same, as nothing is owed when this runs); any other row as read."""
        wanted = [c for c in dict.fromkeys(customer_ids) if c not in self._facts_of]
        if not wanted:
            return
        index: dict[str, tuple[dict[str, None], dict[str, None]]] = {c: ({}, {}) for c in wanted}
        for found in (await self.session.execute(ORDERS_OF, {"ids": wanted})).mappings():
            order_id = found["order_id"]
            if order_id not in self._locked or self._orders.get(order_id) is None:
                self._forget_order_index(order_id)
                self._orders[order_id] = OrderRow(**dict(found), stored=True)
                self._locked.discard(order_id)  # read without a lock: order() reads it again
            index[found["customer_id"]][0][order_id] = None
        for found in (await self.session.execute(CASES_OF, {"ids": wanted})).mappings():
            case_id = found["service_request_id"]
            self._forget_case_index(case_id)
            self._cases[case_id] = dict(found)
            self._stored_cases.add(case_id)
            self._case_exists[case_id] = True
            index[found["customer_id"]][1][case_id] = None
        self._facts_of.update(index)

    def _forget_order_index(self, order_id: str) -> None:
        row = self._orders.get(order_id)
        if row is not None and (known := self._facts_of.get(row.customer_id)) is not None:
            known[0].pop(order_id, None)

    def _forget_case_index(self, case_id: str) -> None:
        case = self._cases.get(case_id)
        if case is not None and (known := self._facts_of.get(case["customer_id"])) is not None:
            known[1].pop(case_id, None)

    # --- facts -----------------------------------------------------------------------------------

    async def order(self, order_id: str) -> OrderRow | None:
        if order_id not in self._locked:
            await self.flush()
            self._orders[order_id] = await super().order(order_id)
            self._locked.add(order_id)
        return self._orders[order_id]

    async def save_order(self, row: OrderRow) -> None:
        self._orders[row.order_id] = row
        self._locked.add(row.order_id)
        self._owed_orders[row.order_id] = row
        self._moved_orders.pop(row.order_id, None)
        known = self._facts_of.get(row.customer_id)
        if known is not None:
            known[0][row.order_id] = None

    async def has_case(self, service_request_id: str) -> bool:
        if service_request_id not in self._case_exists:
            self._case_exists[service_request_id] = await super().has_case(service_request_id)
        return self._case_exists[service_request_id]

    async def add_case(self, values: dict[str, Any]) -> None:
        case_id = values["service_request_id"]
        case = self._cases[case_id] = dict(values)
        self._case_exists[case_id] = True
        self._stored_cases.discard(case_id)  # a stored one was deleted before: inserted again
        self._owed_cases[case_id] = case
        known = self._facts_of.get(case["customer_id"])
        if known is not None:
            known[1][case_id] = None

    async def facts(self, customer_id: str) -> tuple[list[domain.OrderFact], list[domain.CaseFact]]:
        if customer_id not in self._facts_of:
            await self.flush()
            await self._load_facts([customer_id])
        order_ids, case_ids = self._facts_of[customer_id]
        found = [row.fact() for o in order_ids if (row := self._orders[o]) is not None]
        known = [self._cases[c] for c in case_ids]
        return found, [domain.CaseFact(c["opened_at"], c["cost_minor"]) for c in known]

    async def move_facts(self, from_ids: Sequence[str], to_id: str, *, origin: str | None = None) -> None:
        sources = [c for c in dict.fromkeys(from_ids) if c != to_id]
        if any(c not in self._facts_of for c in sources):
            # Not every row to move is known: the statements move them, and memory follows.
            await self.flush()
            await super().move_facts(from_ids, to_id, origin=origin)
            self._facts_of.pop(to_id, None)
            moved = set(sources)
            for row in self._orders.values():
                if row is not None and row.customer_id in moved and origin in (None, row.origin_customer_id):
                    self._move_order(row, to_id, owed=False)
            for case in self._cases.values():
                if case["customer_id"] in moved and origin in (None, case["origin_customer_id"]):
                    self._move_case(case, to_id, owed=False)
            return
        for source in sources:
            order_ids, case_ids = self._facts_of[source]
            for order_id in list(order_ids):
                row = self._orders[order_id]
                if row is not None and (origin is None or row.origin_customer_id == origin):
                    self._move_order(row, to_id, owed=True)
            for case_id in list(case_ids):
                case = self._cases[case_id]
                if origin is None or case["origin_customer_id"] == origin:
                    self._move_case(case, to_id, owed=True)

    def _move_order(self, row: OrderRow, to_id: str, *, owed: bool) -> None:
        source = self._facts_of.get(row.customer_id)
        if source is not None:
            source[0].pop(row.order_id, None)
        row.customer_id = to_id
        target = self._facts_of.get(to_id)
        if target is not None:
            target[0][row.order_id] = None
        if owed and row.order_id not in self._owed_orders:
            self._moved_orders[row.order_id] = row

    def _move_case(self, case: dict[str, Any], to_id: str, *, owed: bool) -> None:
        case_id = case["service_request_id"]
        source = self._facts_of.get(case["customer_id"])
        if source is not None:
            source[1].pop(case_id, None)
        case["customer_id"] = to_id
        target = self._facts_of.get(to_id)
        if target is not None:
            target[1][case_id] = None
        if owed:
            self._owed_cases[case_id] = case

    async def forget_facts(self, customer_id: str) -> None:
        known = self._facts_of.get(customer_id)
        if known is None:
            # Not every row is known: the statements delete them, and memory follows.
            await self.flush()
            await super().forget_facts(customer_id)
            order_ids = [o for o, r in self._orders.items() if r is not None and r.customer_id == customer_id]
            case_ids = [c for c, case in self._cases.items() if case["customer_id"] == customer_id]
        else:
            order_ids, case_ids = list(known[0]), list(known[1])
        for order_id in order_ids:
            row = self._orders[order_id]
            if known is not None and row is not None and row.stored:
                self._gone_orders.add(order_id)
            self._orders[order_id] = None
            self._locked.add(order_id)
            self._owed_orders.pop(order_id, None)
            self._moved_orders.pop(order_id, None)
        for case_id in case_ids:
            if known is not None and case_id in self._stored_cases:
                self._gone_cases.add(case_id)
            self._stored_cases.discard(case_id)
            del self._cases[case_id]
            self._case_exists[case_id] = False
            self._owed_cases.pop(case_id, None)
        self._facts_of[customer_id] = ({}, {})

    # --- customers -------------------------------------------------------------------------------

    async def customer(self, customer_id: str) -> dict[str, Any] | None:
        if customer_id not in self._customers:
            row = await super().customer(customer_id)
            self._customers[customer_id] = row
            if row is not None:
                self._stored_customers.add(customer_id)
        return self._customers[customer_id]

    async def save_customer(self, values: dict[str, Any], *, new: bool) -> None:
        # A new dict: the row a handler read stays as it read it (the value events compare the two).
        customer_id = values["customer_id"]
        self._customers[customer_id] = self._owed_customers[customer_id] = dict(values)

    async def mark_merged(self, customer_ids: Sequence[str], into: str | None) -> None:
        for customer_id in dict.fromkeys(customer_ids):
            row = await self.customer(customer_id)
            if row is not None:
                changed = {**row, "merged_into": into}
                self._customers[customer_id] = self._owed_customers[customer_id] = changed

    async def merged_into(self, customer_id: str) -> list[str]:
        await self.flush()
        return await super().merged_into(customer_id)

    # --- the writes owed -------------------------------------------------------------------------

    async def flush(self) -> None:
        """Makes every write owed so far: one statement per table and kind of change, deletions first
        (an order or case deleted and made again with the same id is deleted, then inserted)."""
        if not (
            self._owed_customers
            or self._owed_orders
            or self._moved_orders
            or self._owed_cases
            or self._gone_orders
            or self._gone_cases
        ):
            return
        session = self.session
        gone_orders, self._gone_orders = sorted(self._gone_orders), set()
        gone_cases, self._gone_cases = sorted(self._gone_cases), set()
        if gone_orders:
            await session.execute(_DELETE_ORDERS, {"ids": gone_orders})
        if gone_cases:
            await session.execute(_DELETE_CASES, {"ids": gone_cases})
        owed_orders, self._owed_orders = self._owed_orders, {}
        moved_orders, self._moved_orders = self._moved_orders, {}
        new_orders: list[dict[str, Any]] = []
        changed: list[tuple[dict[str, Any], dict[str, Any]]] = []
        moved: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for row in (*owed_orders.values(), *moved_orders.values()):
            values = order_columns(row)
            if not row.stored:
                new_orders.append(values)
                row.stored = True
            elif row.order_id in owed_orders:
                changed.append(({"order_id": values.pop("order_id")}, values))
            else:  # moved only: its other columns may have changed since it was read (not locked)
                moved.append(({"order_id": row.order_id}, {"customer_id": row.customer_id}))
        await insert_many(session, orders, new_orders)
        await update_many(session, orders, changed)
        await update_many(session, orders, moved)
        owed_cases, self._owed_cases = self._owed_cases, {}
        new_cases = [case for i, case in owed_cases.items() if i not in self._stored_cases]
        moved_cases = [
            ({"service_request_id": i}, {"customer_id": case["customer_id"]})
            for i, case in owed_cases.items()
            if i in self._stored_cases
        ]
        await insert_many(session, cases, new_cases)
        await update_many(session, cases, moved_cases)
        self._stored_cases.update(owed_cases)
        owed_customers, self._owed_customers = self._owed_customers, {}
        new_customers = [v for c, v in owed_customers.items() if c not in self._stored_customers]
        updated = [
            ({"customer_id": c}, {k: v for k, v in values.items() if k != "customer_id"})
            for c, values in owed_customers.items()
            if c in self._stored_customers
        ]
        await insert_many(session, customers, new_customers)
        await update_many(session, customers, updated)
        self._stored_customers.update(owed_customers)
