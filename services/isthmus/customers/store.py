"""The customer master's repository: the reads and writes the use cases need (SQLAlchemy Core, async)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    column,
    delete,
    func,
    select,
    text,
    tuple_,
    update,
    values,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from isthmus.customers import candidate_query
from isthmus.customers.matching import Features
from isthmus.customers.normalise import fold
from isthmus.customers.records import Record
from isthmus.customers.survivorship import Golden
from isthmus.customers.tables import (
    blocking_keys,
    consents,
    customers,
    household_links,
    no_match,
    source_records,
    tombstones,
    xref_history,
)
from isthmus.kernel.errors import Conflict
from isthmus.platform import jsoncodec
from isthmus.platform.sql import any_of, insert_many, update_many


def is_concurrency_error(exc: BaseException) -> bool:
    """A lost race with another transaction: a unique key taken, a row lock held, a deadlock, a busy file."""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, OperationalError | DBAPIError):
        text = str(exc.orig if getattr(exc, "orig", None) else exc).lower()
        return any(
            s in text
            for s in (
                "could not obtain lock",
                "deadlock",
                "database is locked",
                "could not serialize",
                "lock",
            )
        )
    return False


@dataclass
class SourceRow:
    source_system: str
    source_id: str
    customer_id: str
    content_hash: str
    data: dict[str, Any]
    observed_at: datetime
    linked_at: datetime
    link_outcome: int
    score: float
    version: int


@dataclass
class CustomerRow:
    customer_id: str
    state: int
    merged_into_id: str | None
    version: int
    golden_json: str  # decoded on first use: most rows a batch reads are candidates it never changes
    flags: list[int]
    create_time: datetime
    update_time: datetime

    @cached_property
    def golden(self) -> dict[str, Any]:
        return cast(dict[str, Any], jsoncodec.loads(self.golden_json))


@dataclass
class ProfileRow:
    source_system: str
    source_id: str
    customer_id: str
    profile: str | None
    data_json: str | None

    @property
    def ref(self) -> tuple[str, str]:
        return (self.source_system, self.source_id)

    def features(self) -> Features:
        """The record's Features from its stored profile (with the record when it was read too)."""
        record = Record.from_json(jsoncodec.loads(self.data_json)) if self.data_json is not None else None
        found = Features.from_profile(jsoncodec.loads(self.profile), record) if self.profile else None
        if found is not None:
            return found
        assert record is not None, "a record without a current profile is read in full"
        return Features(record)


def _source_row(r: Any) -> SourceRow:
    return SourceRow(
        r.source_system,
        r.source_id,
        r.customer_id,
        r.content_hash,
        r.data,
        r.observed_at,
        r.linked_at,
        r.link_outcome,
        r.score,
        r.version,
    )


def _explained(r: Any) -> tuple[SourceRow, str | None, Any]:
    return _source_row(r), r.match_model, r.match_comparisons


def _customer_row(r: Any) -> CustomerRow:
    return CustomerRow(
        r.customer_id,
        r.state,
        r.merged_into_id,
        r.version,
        r.golden_json,
        list(r.flags),
        r.create_time,
        r.update_time,
    )


_T = TypeVar("_T")

_SOURCE_COLS = [
    c for c in source_records.c if c.name not in ("raw", "profile", "match_model", "match_comparisons")
]
# The golden record as text: psycopg would parse JSON for every candidate row, wanted or not.
_CUSTOMER_COLS = [c.cast(Text).label("golden_json") if c.name == "golden" else c for c in customers.c]
# Built once (GetCustomer and every ingest batch run them): no per-call statement construction.
_SOURCE_ROWS_OF = select(*_SOURCE_COLS).where(any_of(source_records.c.customer_id, "ids"))
_CUSTOMER_ROWS = select(*_CUSTOMER_COLS).where(any_of(customers.c.customer_id, "ids"))
# Customers' records with what linked each (GetCustomer's full view), in one statement.
_EXPLAINED = select(*_SOURCE_COLS, source_records.c.match_model, source_records.c.match_comparisons)
_EXPLAINED_SOURCE_ROWS = _EXPLAINED.where(any_of(source_records.c.customer_id, "ids"))
# One record with what linked it (GetCustomerBySourceId), by its key.
_EXPLAINED_SOURCE_ROW = _EXPLAINED.where(
    source_records.c.source_system == bindparam("source_system"),
    source_records.c.source_id == bindparam("source_id"),
)


_CONSENTS_OF = select(consents).where(any_of(consents.c.customer_id, "ids"))


class Repository:
    """Queries of the customer master over one session (one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.postgres = session.bind.dialect.name == "postgresql" if session.bind else False

    def _refs_in(self, c: Any, refs: Sequence[tuple[str, str]]) -> tuple[ColumnElement[bool], dict[str, Any]]:
        """``(c.source_system, c.source_id)`` is one of ``refs``: a condition and its parameters.

        On PostgreSQL the pairs go as two arrays, zipped by ``unnest`` and looked up in the index one
        by one; a list of a thousand literal pairs instead took 20 ms to plan and run where this takes
        2, and its statement differs with every length. Elsewhere, a plain ``IN`` list.
        """
        ref = tuple_(c.source_system, c.source_id)
        if not self.postgres:
            return ref.in_(refs), {}
        pairs = select(
            func.unnest(bindparam("ref_systems", type_=ARRAY(String))),
            func.unnest(bindparam("ref_ids", type_=ARRAY(String))),
        )
        return ref.in_(pairs), {"ref_systems": [r[0] for r in refs], "ref_ids": [r[1] for r in refs]}

    async def source_rows(
        self, refs: Sequence[tuple[str, str]], *, lock: bool = False
    ) -> dict[tuple[str, str], SourceRow]:
        if not refs:
            return {}
        where, params = self._refs_in(source_records.c, refs)
        stmt = select(*_SOURCE_COLS).where(where)
        if lock and self.postgres:
            # NOWAIT: a second upsert of the same source id fails at once (ABORTED) instead of queueing.
            stmt = stmt.with_for_update(nowait=True)
        try:
            rows = (await self.session.execute(stmt, params)).all()
        except DBAPIError as exc:
            if is_concurrency_error(exc):
                raise Conflict("another upsert of the same source record is in progress; retry") from exc
            raise
        return {(r.source_system, r.source_id): _source_row(r) for r in rows}

    async def profiles_of(
        self, customer_ids: Iterable[str], *, with_records: bool = False
    ) -> list[ProfileRow]:
        """The match profiles of the source records of these customers, the active ones among them."""
        ids = list(set(customer_ids))
        if not ids:
            return []
        stmt = candidate_query.PROFILES_OF if with_records else candidate_query.PROFILES_ONLY_OF
        return [ProfileRow(*r) for r in (await self.session.execute(stmt, {"ids": ids})).all()]

    async def _by_customer(
        self, statement: Any, customer_ids: Iterable[str], make: Callable[[Any], _T]
    ) -> dict[str, list[_T]]:
        """``statement``'s rows for these customers (its ``ids`` parameter), each made by ``make``,
        by customer; no statement when there are none."""
        ids = list(set(customer_ids))
        out: dict[str, list[_T]] = defaultdict(list)
        if ids:
            for r in await self.session.execute(statement, {"ids": ids}):
                out[r.customer_id].append(make(r))
        return out

    async def source_rows_of(self, customer_ids: Iterable[str]) -> dict[str, list[SourceRow]]:
        return await self._by_customer(_SOURCE_ROWS_OF, customer_ids, _source_row)

    async def explained_source_rows(
        self, customer_ids: Iterable[str]
    ) -> dict[str, list[tuple[SourceRow, str | None, Any]]]:
        """The customers' source records, each with the model and the comparisons that linked it."""
        return await self._by_customer(_EXPLAINED_SOURCE_ROWS, customer_ids, _explained)

    async def explained_source_row(
        self, source_system: str, source_id: str
    ) -> tuple[SourceRow, str | None, Any] | None:
        """One source record with the model and the comparisons that linked it, if it is held."""
        params = {"source_system": source_system, "source_id": source_id}
        r = (await self.session.execute(_EXPLAINED_SOURCE_ROW, params)).one_or_none()
        return None if r is None else _explained(r)

    async def raw_records(self, customer_id: str) -> list[tuple[str, str, bytes]]:
        stmt = select(source_records.c.source_system, source_records.c.source_id, source_records.c.raw).where(
            source_records.c.customer_id == customer_id
        )
        return [(r[0], r[1], r[2]) for r in (await self.session.execute(stmt)).all()]

    async def tombstones(self, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        if not refs:
            return {}
        where, params = self._refs_in(tombstones.c, refs)
        stmt = select(tombstones.c.source_system, tombstones.c.source_id, tombstones.c.customer_id).where(
            where
        )
        return {(r[0], r[1]): r[2] for r in (await self.session.execute(stmt, params)).all()}

    async def delete_tombstones(self, refs: Sequence[tuple[str, str]]) -> None:
        """Lifts the tombstones of these source records (they came back with a new lawful basis)."""
        if refs:
            where, params = self._refs_in(tombstones.c, refs)
            await self.session.execute(delete(tombstones).where(where), params)

    async def lock_keys(self, keys: AbstractSet[str]) -> None:
        """Serialise resolution of records sharing a blocking key, until this transaction ends.

        Two transactions each resolving a new record of the same person would otherwise both find no
        candidate (neither sees the other's uncommitted customer) and create two customers. A few
        keys (one record, a small batch) are locked one by one, in one order (sorted hashes), under a
        shared hold of the ingest lock; a large batch takes the ingest lock exclusively instead, so it
        holds one lock, not thousands (PostgreSQL's lock table is shared by all sessions and sized for
        tens of locks per transaction: 8,000 key locks of a batch of 1,000 records ran out of it).
        PostgreSQL only: SQLite lets one writer in at a time anyway.
        """
        if not self.postgres:
            return
        if not keys:
            return
        if len(keys) > MAX_KEY_LOCKS:  # distinct keys: hashing thousands of them would be for nothing
            await self.session.execute(_LOCK_ALL, {"h": _INGEST_LOCK})
            return
        hashes = sorted({_key_hash(k) for k in keys})
        await self.session.execute(_LOCK_SHARED, {"h": _INGEST_LOCK})
        await self.session.execute(_LOCK_EACH, {"h": hashes})

    async def candidates(
        self,
        wanted: Sequence[Iterable[str]],
        limit: int,
        max_key_records: int,
        *,
        max_name_key_records: int | None = None,
        with_records: bool = False,
    ) -> tuple[list[list[tuple[str, int]]], list[ProfileRow]]:
        """For each set of blocking keys, the customers sharing most of them (at most ``limit``, best
        first, with how many keys they share); and the match profiles of those customers' records.

        Counted and ranked in the database: a key built on a common name can be held by thousands of
        customers in a large master, and only the best few per record are wanted, so what crosses the
        wire per record stays bounded as the master grows. Ties go to the customer sharing the rarer
        key, then to the lower customer id. A key held by more than ``max_key_records`` source
        records (a name-only key: ``max_name_key_records``, by default the same) is skipped: it
        cannot pick anyone out.
        The profiles come in the same statement: one round trip for a slice of records, not two.
        """
        out: list[list[tuple[str, int]]] = [[] for _ in wanted]
        profiles: dict[tuple[str, str], ProfileRow] = {}
        pairs = [(i, k) for i, keys in enumerate(wanted) for k in set(keys)]
        caps = (max_key_records, max_key_records if max_name_key_records is None else max_name_key_records)
        if self.postgres:
            # Two array parameters: one short statement whatever the batch, prepared once.
            arrays = select(
                func.unnest(bindparam("idx", type_=ARRAY(Integer))).label("idx"),
                func.unnest(bindparam("keys", type_=ARRAY(String))).label("key"),
            ).cte("wanted")
            params = {"idx": [i for i, _ in pairs], "keys": [k for _, k in pairs]}
            stmt = candidate_query.ranked(arrays, limit, caps, lateral=True, with_records=with_records)
            await self._collect(stmt, out, profiles, params)
            return out, list(profiles.values())
        # SQLite allows 32,766 bound values in one statement; a record's keys stay in one.
        chunk: list[tuple[int, str]] = []
        for pos, pair in enumerate(pairs):
            chunk.append(pair)
            if pos == len(pairs) - 1 or (len(chunk) >= 4000 and pairs[pos + 1][0] != pair[0]):
                rows = values(column("idx", Integer), column("key", String), name="wanted").data(chunk)
                stmt = candidate_query.ranked(rows.cte("wanted"), limit, caps, False, with_records)
                await self._collect(stmt, out, profiles)
                chunk = []
        return out, list(profiles.values())

    async def _collect(
        self,
        stmt: Select[Any],
        out: list[list[tuple[str, int]]],
        profiles: dict[tuple[str, str], ProfileRow],
        params: dict[str, Any] | None = None,
    ) -> None:
        last = (-1, "")
        for idx, cid, shared, system, source_id, profile, data_json in (
            await self.session.execute(stmt, params)
        ).all():
            if (idx, cid) != last:  # a row per source record of the candidate
                out[idx].append((cid, shared))
                last = (idx, cid)
            if source_id is not None and (system, source_id) not in profiles:
                profiles[(system, source_id)] = ProfileRow(system, source_id, cid, profile, data_json)

    async def customer_rows(self, ids: Iterable[str]) -> dict[str, CustomerRow]:
        id_list = list(set(ids))
        if not id_list:
            return {}
        rows = (await self.session.execute(_CUSTOMER_ROWS, {"ids": id_list})).all()
        return {r.customer_id: _customer_row(r) for r in rows}

    async def consent_rows(self, customer_ids: Iterable[str]) -> dict[str, list[Any]]:
        return await self._by_customer(_CONSENTS_OF, customer_ids, lambda r: r)

    async def customer_row(self, customer_id: str) -> CustomerRow | None:
        return (await self.customer_rows([customer_id])).get(customer_id)

    async def no_match_pairs(self, refs: Sequence[tuple[str, str]]) -> set[tuple[str, str, str]]:
        if not refs:
            return set()
        where, params = self._refs_in(no_match.c, refs)
        return {
            (r[0], r[1], r[2]) for r in (await self.session.execute(select(no_match).where(where), params))
        }

    # --- writes -------------------------------------------------------------------------------------

    async def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """All ``rows`` in one statement (see ``isthmus.platform.sql.insert_many``)."""
        await insert_many(self.session, table, rows)

    async def update_customer(self, row: dict[str, Any], expected_version: int) -> None:
        """Optimistic: the row must still be at the version read, else another writer won (ABORTED)."""
        stmt = (
            update(customers)
            .where(
                and_(customers.c.customer_id == row["customer_id"], customers.c.version == expected_version)
            )
            .values(**{k: v for k, v in row.items() if k != "customer_id"})
        )
        result = await self.session.execute(stmt)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"customer {row['customer_id']} was changed concurrently; retry")

    async def update_customers(self, rows: list[tuple[dict[str, Any], int]]) -> None:
        """Many optimistic updates in one statement; any row not at its expected version aborts all."""
        changes = [
            (
                {"customer_id": row["customer_id"], "version": expected},
                {k: v for k, v in row.items() if k != "customer_id"},
            )
            for row, expected in rows
        ]
        if await update_many(self.session, customers, changes) != len(rows):
            raise Conflict("a customer in this batch was changed concurrently; retry")

    async def update_sources(self, rows: list[tuple[dict[str, Any], int]]) -> None:
        """Refreshed source records in one statement, each optimistic on the version it was read at:
        any row no longer at it aborts all (ABORTED). A batch that loses is retried record by record
        (``api._upsert_items``), where the one record is named."""
        changes = [
            (
                {"source_system": row["source_system"], "source_id": row["source_id"], "version": expected},
                {k: v for k, v in row.items() if k not in ("source_system", "source_id")},
            )
            for row, expected in rows
        ]
        if await update_many(self.session, source_records, changes) == len(rows):
            return
        if len(rows) == 1:
            row = rows[0][0]
            raise Conflict(
                f"source record {row['source_system']}/{row['source_id']} changed concurrently; retry"
            )
        raise Conflict("a source record in this batch changed concurrently; retry")

    async def household_pairs(self, customer_ids: Iterable[str]) -> set[tuple[str, str]]:
        """The household links (as id-ordered pairs) that any of these customers is in."""
        ids = list(set(customer_ids))
        if not ids:
            return set()
        h = household_links.c
        stmt = select(h.customer_a, h.customer_b).where(any_of(h.customer_a, "a") | any_of(h.customer_b, "b"))
        return {(r[0], r[1]) for r in (await self.session.execute(stmt, {"a": ids, "b": ids})).all()}

    async def delete_keys(self, refs: Sequence[tuple[str, str]]) -> None:
        """The blocking keys of these source records (before they get their current ones)."""
        if refs:
            where, params = self._refs_in(blocking_keys.c, refs)
            await self.session.execute(delete(blocking_keys).where(where), params)

    async def move_records(self, refs: Sequence[tuple[str, str]], customer_id: str) -> None:
        if not refs:
            return
        where_sr, params = self._refs_in(source_records.c, refs)
        where_bk, _ = self._refs_in(blocking_keys.c, refs)
        await self.session.execute(
            update(source_records)
            .where(where_sr)
            .values(customer_id=customer_id, version=source_records.c.version + 1),
            params,
        )
        await self.session.execute(
            update(blocking_keys).where(where_bk).values(customer_id=customer_id), params
        )

    async def close_xref(self, refs: Sequence[tuple[str, str]], at: datetime) -> None:
        if refs:
            where, params = self._refs_in(xref_history.c, refs)
            await self.session.execute(
                update(xref_history)
                .where(where, xref_history.c.unlinked_at.is_(None))
                .values(unlinked_at=at),
                params,
            )

    async def open_links(self, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The action that made each record's current link ("match:probabilistic", "merge:<id>"...)."""
        if not refs:
            return {}
        x = xref_history.c
        where, params = self._refs_in(x, refs)
        stmt = select(x.source_system, x.source_id, x.action).where(where, x.unlinked_at.is_(None))
        return {(r[0], r[1]): str(r[2]) for r in (await self.session.execute(stmt, params)).all()}

    async def set_link(
        self,
        ref: tuple[str, str],
        outcome: int,
        score: float,
        model: str | None,
        comparisons: list[list[Any]] | None,
    ) -> None:
        """What a record's current link is and what made it (after the record moved)."""
        c = source_records.c
        await self.session.execute(
            update(source_records)
            .where(and_(c.source_system == ref[0], c.source_id == ref[1]))
            .values(link_outcome=outcome, score=score, match_model=model, match_comparisons=comparisons)
        )


# Key locks a transaction takes one by one; beyond this it takes the ingest lock exclusively.
MAX_KEY_LOCKS = 64
_LOCK_ALL = text("SELECT pg_advisory_xact_lock(:h)")
_LOCK_SHARED = text("SELECT pg_advisory_xact_lock_shared(:h)")
_LOCK_EACH = text("SELECT count(pg_advisory_xact_lock(h)) FROM unnest(CAST(:h AS bigint[])) AS h")


def customer_columns(golden: Golden) -> dict[str, Any]:
    """The columns a customer is looked up and searched by, from its golden record."""
    g = golden
    parts = [
        g.name.given,
        g.name.family,
        g.company,
        *(e.address for e in g.emails),
        *(p.number for p in g.phones),
    ]
    return {
        "family_key": fold(g.name.family)[:200] or None,
        "dob": g.dob or None,
        "postal_code": (g.addresses[0].postal_code.replace(" ", "") if g.addresses else "") or None,
        # Folded part by part (fold remembers its recent texts), as folding the joined text would.
        "search_text": " ".join(f for f in map(fold, parts) if f),
    }


def _key_hash(key: str) -> int:
    """A signed 64-bit advisory lock id for a blocking key (stable across processes)."""
    digest = hashlib.blake2b(f"isthmus.customers:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_INGEST_LOCK = _key_hash("\x00ingest")  # no blocking key starts with a NUL
