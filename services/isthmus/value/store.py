"""The value repository: the statements the use cases run over ``tables``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.platform.sql import any_of, insert_many
from isthmus.value import domain
from isthmus.value.tables import cases, customers, models, orders
from isthmus_client.api.value.v1 import value_pb2

_ORDER = select(orders).where(orders.c.order_id == bindparam("order_id")).with_for_update()
_CUSTOMER = select(customers).where(customers.c.customer_id == bindparam("customer_id")).with_for_update()
# Any number of customers' orders and cases (batch_store.py reads a batch's with them).
ORDERS_OF = select(orders).where(any_of(orders.c.customer_id, "ids"))
CASES_OF = select(cases).where(any_of(cases.c.customer_id, "ids"))
_LATEST_MODEL = select(models.c.doc).order_by(models.c.seq.desc()).limit(1)


@dataclass
class OrderRow:
    order_id: str
    customer_id: str
    origin_customer_id: str
    placed_at: datetime
    revenue_minor: int = 0
    cost_minor: int = 0
    refunded_minor: int = 0
    cost_returned_minor: int = 0
    cancelled: bool = False
    returns_seen: str = "[]"
    payment: int = domain.Payment.PAID
    owed_minor: int = 0
    due_at: datetime | None = None
    settled_at: datetime | None = None
    late_at: datetime | None = None
    known_at: datetime | None = None
    stored: bool = False

    @property
    def returns(self) -> list[str]:
        found: list[str] = json.loads(self.returns_seen)
        return found

    def fact(self) -> domain.OrderFact:
        return domain.OrderFact(
            self.order_id,
            self.placed_at,
            self.revenue_minor,
            self.cost_minor,
            self.refunded_minor,
            self.cost_returned_minor,
            self.cancelled,
            domain.Payment(self.payment),
            self.owed_minor,
            self.due_at,
            self.settled_at,
            self.late_at,
        )


def order_columns(row: OrderRow) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in orders.columns}


class ValueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- facts -----------------------------------------------------------------------------------

    async def order(self, order_id: str) -> OrderRow | None:
        row = (await self.session.execute(_ORDER, {"order_id": order_id})).mappings().one_or_none()
        return None if row is None else OrderRow(**dict(row), stored=True)

    async def save_order(self, row: OrderRow) -> None:
        values = order_columns(row)
        if row.stored:
            order_id = values.pop("order_id")
            await self.session.execute(update(orders).where(orders.c.order_id == order_id).values(**values))
        else:
            await insert_many(self.session, orders, [values])
            row.stored = True

    async def has_case(self, service_request_id: str) -> bool:
        found = await self.session.execute(
            select(cases.c.service_request_id).where(cases.c.service_request_id == service_request_id)
        )
        return found.first() is not None

    async def add_case(self, values: dict[str, Any]) -> None:
        await insert_many(self.session, cases, [values])

    async def facts(self, customer_id: str) -> tuple[list[domain.OrderFact], list[domain.CaseFact]]:
        ids = {"ids": [customer_id]}
        found = [
            OrderRow(**dict(r), stored=True).fact()
            for r in (await self.session.execute(ORDERS_OF, ids)).mappings()
        ]
        service = [
            domain.CaseFact(r.opened_at, r.cost_minor) for r in await self.session.execute(CASES_OF, ids)
        ]
        return found, service

    async def move_facts(self, from_ids: Sequence[str], to_id: str, *, origin: str | None = None) -> None:
        """Orders and cases follow a merge (or, by origin, go back on an unmerge)."""
        for table in (orders, cases):
            query = update(table).where(table.c.customer_id.in_(list(from_ids)))
            if origin is not None:
                query = query.where(table.c.origin_customer_id == origin)
            await self.session.execute(query.values(customer_id=to_id))

    async def forget_facts(self, customer_id: str) -> None:
        for table in (orders, cases):
            await self.session.execute(delete(table).where(table.c.customer_id == customer_id))

    # --- customers -------------------------------------------------------------------------------

    async def customer(self, customer_id: str) -> dict[str, Any] | None:
        row = (await self.session.execute(_CUSTOMER, {"customer_id": customer_id})).mappings().one_or_none()
        return None if row is None else dict(row)

    async def resolve(self, customer_id: str) -> tuple[str, dict[str, Any] | None]:
        """The customer ``customer_id`` is now (following merges) and its row, if any."""
        seen: set[str] = set()
        row = await self.customer(customer_id)
        while row is not None and row["merged_into"] and row["merged_into"] not in seen:
            seen.add(customer_id)
            customer_id = row["merged_into"]
            row = await self.customer(customer_id)
        return customer_id, row

    async def save_customer(self, values: dict[str, Any], *, new: bool) -> None:
        if new:
            await insert_many(self.session, customers, [values])
        else:
            key = values["customer_id"]
            rest = {k: v for k, v in values.items() if k != "customer_id"}
            await self.session.execute(update(customers).where(customers.c.customer_id == key).values(**rest))

    async def mark_merged(self, customer_ids: Sequence[str], into: str | None) -> None:
        await self.session.execute(
            update(customers).where(customers.c.customer_id.in_(list(customer_ids))).values(merged_into=into)
        )

    async def merged_into(self, customer_id: str) -> list[str]:
        rows = await self.session.execute(
            select(customers.c.customer_id).where(customers.c.merged_into == customer_id)
        )
        return list(rows.scalars())

    async def ranked(
        self,
        column: str,
        tier: int,
        at_risk: bool,
        after: tuple[int, str] | None,
        size: int,
        credit_rank: int = 0,
    ) -> list[dict[str, Any]]:
        key = customers.c[column]
        query = select(customers).where(customers.c.merged_into.is_(None), customers.c.erased.is_(False))
        if tier:
            query = query.where(customers.c.tier == tier)
        if at_risk:
            query = query.where(customers.c.churn_risk.is_(True))
        if credit_rank:
            query = query.where(customers.c.credit_rank == credit_rank)
        if after is not None:
            value, customer_id = after
            query = query.where((key < value) | ((key == value) & (customers.c.customer_id > customer_id)))
        query = query.order_by(key.desc(), customers.c.customer_id).limit(size)
        return [dict(r) for r in (await self.session.execute(query)).mappings()]

    async def credit_due(self, now: datetime, limit: int) -> list[str]:
        """Live customers whose credit rank time alone has changed by ``now``, the longest due first."""
        query = (
            select(customers.c.customer_id)
            .where(
                customers.c.credit_review_at <= now,
                customers.c.merged_into.is_(None),
                customers.c.erased.is_(False),
            )
            .order_by(customers.c.credit_review_at, customers.c.customer_id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def live_customer_ids(self) -> list[str]:
        query = select(customers.c.customer_id).where(
            customers.c.merged_into.is_(None), customers.c.erased.is_(False)
        )
        return list((await self.session.execute(query)).scalars())

    # --- models ----------------------------------------------------------------------------------

    async def latest_model(self) -> value_pb2.ValueModel | None:
        doc = (await self.session.execute(_LATEST_MODEL)).scalar_one_or_none()
        return None if doc is None else value_pb2.ValueModel.FromString(doc)

    async def save_model(self, model: value_pb2.ValueModel, fitted_at: datetime) -> None:
        await insert_many(
            self.session,
            models,
            [{"model_id": model.model_id, "fitted_at": fitted_at, "doc": model.SerializeToString()}],
        )
