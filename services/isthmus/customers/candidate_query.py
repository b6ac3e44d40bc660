"""The candidate query: which stored customers a new record is compared with, and what of their
source records matching reads (store.py runs them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, Select, Text, case, distinct, func, null, select, true
from sqlalchemy.sql.elements import ColumnElement

from isthmus.customers.matching import NAME_ONLY_KEY, PROFILE_VERSION
from isthmus.customers.tables import blocking_keys, source_records
from isthmus.platform.sql import any_of


# What matching compares a candidate's records by: their profiles (the record itself only where the
# profile is missing or of another format, or ``with_records`` for comparators that read records).
#
# Every source record belongs to an active customer: merging moves the merged customers' records to
# the survivor, erasing deletes them, and an ingest that links a record to a customer changed
# meanwhile fails its optimistic update (tests/integration/customers/test_stewardship.py checks this
# after each). So the customers table is not joined to filter by state: it tripled the cost of the
# lookup.
def record_json(with_records: bool) -> ColumnElement[Any]:
    """The record itself, where its profile does not do (or always, ``with_records``)."""
    sr = source_records.c
    data: ColumnElement[Any] = sr.data.cast(Text)
    if not with_records:
        data = case((sr.profile.like(f"[{PROFILE_VERSION},%"), null()), else_=data)
    return data.label("data_json")


def _profiles(with_records: bool) -> Select[Any]:
    sr = source_records.c
    return select(
        sr.source_system, sr.source_id, sr.customer_id, sr.profile, record_json(with_records)
    ).where(any_of(sr.customer_id, "ids"))


PROFILES_OF = _profiles(with_records=True)
PROFILES_ONLY_OF = _profiles(with_records=False)


def ranked(keyed: CTE, limit: int, caps: tuple[int, int], lateral: bool, with_records: bool) -> Select[Any]:
    """(idx, customer id, keys shared, then a profile row's columns) for the ``limit`` customers
    sharing most of idx's keys, best first (on a tie, the one sharing the key fewest records hold),
    a row for each of their source records.

    ``caps`` is (for any key, for a name-only key) the most source records a key may be held by:
    keys held by more are left out. With ``lateral`` (PostgreSQL) each key is an index lookup that
    stops one row past its cap, so a record costs the same however large the master.
    """
    cap = case((keyed.c.key.startswith(NAME_ONLY_KEY), caps[1]), else_=caps[0])
    if lateral:
        # Each bucket is counted inside its own lookup (at most cap + 1 rows), not by a window over
        # every key's rows of the slice, which sorted all of them by (idx, key) first.
        first = (
            select(blocking_keys.c.customer_id)
            .where(blocking_keys.c.key == keyed.c.key)
            .limit(cap + 1)
            .correlate(keyed)
            .subquery("first")
        )
        bucket = select(first.c.customer_id, func.count().over().label("size")).lateral("bucket")
        held = select(keyed.c.idx, keyed.c.key, bucket.c.customer_id, bucket.c.size).join_from(
            keyed, bucket, true()
        )
    else:
        held = select(
            keyed.c.idx,
            keyed.c.key,
            blocking_keys.c.customer_id,
            func.count().over(partition_by=(keyed.c.idx, keyed.c.key)).label("size"),
        ).join_from(keyed, blocking_keys, blocking_keys.c.key == keyed.c.key)
    rows = held.add_columns(cap.label("cap")).subquery()
    hits = (
        select(
            rows.c.idx,
            rows.c.customer_id,
            func.count(distinct(rows.c.key)).label("n"),
            func.min(rows.c.size).label("rarest"),
        )
        .where(rows.c.size <= rows.c.cap)
        .group_by(rows.c.idx, rows.c.customer_id)
        .subquery()
    )
    # Of customers sharing as many keys, those sharing a rarer one first: a key two records hold
    # (a name's sound with a postcode) picks a person out better than one twenty namesakes hold.
    order = (hits.c.n.desc(), hits.c.rarest, hits.c.customer_id)
    rank = func.row_number().over(partition_by=hits.c.idx, order_by=order)
    numbered = select(hits.c.idx, hits.c.customer_id, hits.c.n, rank.label("rank")).subquery()
    best = select(numbered).where(numbered.c.rank <= limit).subquery()
    # With the match profiles of each candidate's source records, in the same statement.
    sr = source_records.c
    return (
        select(best.c.idx, best.c.customer_id, best.c.n, sr.source_system, sr.source_id, sr.profile)
        .add_columns(record_json(with_records))
        .join_from(best, source_records, sr.customer_id == best.c.customer_id, isouter=True)
        .order_by(best.c.idx, best.c.rank)
    )
