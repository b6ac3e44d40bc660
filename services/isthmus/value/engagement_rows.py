"""Engagement profile rows as one transaction sees them: read, made and changed.

Alone (an API call, one event) every read and write goes straight to the table. For a batch of
events (``batched=True``) the rows are an identity map: read once (the whole batch's in one
statement, :meth:`ProfileRows.prefetch`), changed in memory, and written together by :meth:`flush`:
one INSERT for the profiles the batch made, one UPDATE per set of changed columns. Whatever reads
the table itself (``profiles``, segment re-evaluation) flushes first, and a direct write
(:meth:`write`, merges and erasures) flushes and forgets the row, so no statement misses the
transaction's own changes.

Only the columns a change touched are written: another subscription may change other columns of the
same profile meanwhile (the orders' columns while the customer's address changes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.platform.sql import any_of, insert_many, update_many
from isthmus.value.engagement_tables import engagement_profiles

_BY_ID = select(engagement_profiles).where(engagement_profiles.c.customer_id == bindparam("customer_id"))
_BY_IDS = select(engagement_profiles).where(any_of(engagement_profiles.c.customer_id, "ids"))


def fresh_profile(customer_id: str, now: datetime) -> dict[str, Any]:
    """A profile before any event said anything of the customer."""
    return {
        "customer_id": customer_id,
        "consents": "[]",
        "suppressed": False,
        "open_complaints": "[]",
        "channels": "[]",
        "categories": "[]",
        "order_dates": "[]",
        "orders": 0,
        "country": "",
        "region": "",
        "city": "",
        "postal_code": "",
        "birth_date": None,
        "loyalty_tier": "",
        "value_tier": "",
        "traits": "{}",
        "merged_into": None,
        "erased": False,
        "update_time": now,
    }


class ProfileRows:
    def __init__(self, session: AsyncSession, clock: Callable[[], datetime], *, batched: bool) -> None:
        self.session = session
        self.clock = clock
        self.batched = batched
        self._rows: dict[str, dict[str, Any] | None] = {}  # batched: None for "no profile"
        self._owed_new: dict[str, dict[str, Any]] = {}
        self._owed_columns: dict[str, set[str]] = {}  # stored profiles: the columns changed

    async def prefetch(self, customer_ids: Sequence[str]) -> None:
        """Batched: read the profiles of these customers (those not read yet) in one statement."""
        wanted = [c for c in dict.fromkeys(customer_ids) if c not in self._rows]
        if not self.batched or not wanted:
            return
        for row in (await self.session.execute(_BY_IDS, {"ids": wanted})).mappings():
            self._rows[row["customer_id"]] = dict(row)
        for customer_id in wanted:
            self._rows.setdefault(customer_id, None)

    async def get(self, customer_id: str, *, create: bool) -> tuple[dict[str, Any] | None, bool]:
        """The customer's profile row (made when ``create`` and there is none), and whether it was
        made now."""
        if self.batched:
            if customer_id not in self._rows:
                await self.prefetch([customer_id])
            row = self._rows[customer_id]
            if row is not None or not create:
                return row, False
            row = self._rows[customer_id] = self._owed_new[customer_id] = fresh_profile(
                customer_id, self.clock()
            )
            return row, True
        found = (await self.session.execute(_BY_ID, {"customer_id": customer_id})).first()
        if found is not None:
            return dict(found._mapping), False
        if not create:
            return None, False
        row = fresh_profile(customer_id, self.clock())
        await insert_many(self.session, engagement_profiles, [row])
        return row, True

    async def get_many(self, customer_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored profile rows of these customers (those with none left out), with one statement
        (none for rows a batch has read already)."""
        if self.batched:
            await self.prefetch(customer_ids)
            rows = (self._rows.get(c) for c in customer_ids)
            return {r["customer_id"]: r for r in rows if r is not None}
        found = await self.session.execute(_BY_IDS, {"ids": list(dict.fromkeys(customer_ids))})
        return {r["customer_id"]: dict(r) for r in found.mappings()}

    async def change(self, row: dict[str, Any], values: Mapping[str, Any]) -> None:
        """Set ``values`` (column -> stored value) on the profile ``row`` that :meth:`get` gave."""
        customer_id = row["customer_id"]
        values = {**values, "update_time": self.clock()}
        if not self.batched:
            await self.session.execute(
                update(engagement_profiles)
                .where(engagement_profiles.c.customer_id == customer_id)
                .values(**values)
            )
            row.update(values)
            return
        row.update(values)
        if customer_id not in self._owed_new:
            self._owed_columns.setdefault(customer_id, set()).update(values)

    async def write(self, customer_id: str, values: Mapping[str, Any]) -> None:
        """Write columns of the stored profile straight away (merges, erasures)."""
        await self.flush()
        self._rows.pop(customer_id, None)  # read again when asked for
        await self.session.execute(
            update(engagement_profiles)
            .where(engagement_profiles.c.customer_id == customer_id)
            .values(**values)
        )

    async def flush(self) -> None:
        """Write what the batch owes: new profiles in one statement, changes one per set of columns."""
        if not (self._owed_new or self._owed_columns):
            return
        new, self._owed_new = list(self._owed_new.values()), {}
        owed, self._owed_columns = self._owed_columns, {}
        await insert_many(self.session, engagement_profiles, new)
        by_columns: dict[tuple[str, ...], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        for customer_id, columns in owed.items():
            row = self._rows[customer_id]
            assert row is not None
            names = tuple(sorted(columns))
            by_columns.setdefault(names, []).append(
                ({"customer_id": customer_id}, {n: row[n] for n in names})
            )
        for changes in by_columns.values():
            await update_many(self.session, engagement_profiles, changes)
