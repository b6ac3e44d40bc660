"""The customers migrations build exactly the tables the code declares, on PostgreSQL and SQLite."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.dialects import postgresql

from isthmus.customers import queries360, tables
from isthmus.customers.bootstrap import MIGRATIONS, SCHEMA
from isthmus.customers.matching import Features, blocking_keys
from isthmus.customers.records import Name, Record
from isthmus.platform import config
from isthmus.platform.db import sync_engine
from isthmus.platform.migrations import downgrade, drift, upgrade


def _diff(settings: config.Settings) -> list[object]:
    upgrade(settings, SCHEMA, [MIGRATIONS])
    return drift(settings, SCHEMA, tables.metadata)


@pytest.mark.postgres
def test_migrations_match_metadata_on_postgres(pg_url: str) -> None:
    assert _diff(config.load({"ISTHMUS_DATABASE_URL": pg_url})) == []


def test_migrations_match_metadata_on_sqlite(tmp_path: Path) -> None:
    assert _diff(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})) == []


def _key_index(settings: config.Settings) -> str:
    engine = sync_engine(settings, SCHEMA)
    try:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    text("SELECT indexdef FROM pg_indexes WHERE indexname = 'blocking_keys_pkey'")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _rekeying(settings: config.Settings) -> None:
    """Revision 0005 gives stored records their phonetic name keys (from the profile, or the record
    where it has none) in place of one name with the other's initial, and its downgrade undoes that."""
    upgrade(settings, SCHEMA, [MIGRATIONS], "0004")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    people = {
        "with-profile": Record(
            "erp", "with-profile", at, Name(given="Anna", family="Schmidt"), dob="1980-05-17"
        ),
        "without": Record("erp", "without", at, Name(given="Bill", family="Meyer"), dob="1970-01-02"),
    }
    engine = sync_engine(settings, SCHEMA)
    try:
        with engine.begin() as conn:
            for sid, rec in people.items():
                f = Features(rec)
                conn.execute(
                    insert(tables.source_records).values(
                        source_system="erp",
                        source_id=sid,
                        customer_id=f"c-{sid}",
                        content_hash="h",
                        data=rec.to_json(),
                        raw=b"",
                        observed_at=at,
                        linked_at=at,
                        link_outcome=1,
                        score=0.0,
                        version=1,
                        profile=json.dumps(f.profile()) if sid == "with-profile" else None,
                    )
                )
                old = {k for k in blocking_keys(f) if not k.startswith("np:")}
                old |= {f"ni:{f.given_canonical}:{f.family[0]}", f"ni:{f.family}:{f.given[0]}"}
                conn.execute(
                    insert(tables.blocking_keys),
                    [
                        {"key": k, "source_system": "erp", "source_id": sid, "customer_id": f"c-{sid}"}
                        for k in old
                    ],
                )

        def keys() -> dict[str, set[str]]:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(tables.blocking_keys.c.source_id, tables.blocking_keys.c.key)
                ).all()
            found: dict[str, set[str]] = {sid: set() for sid in people}
            for sid, key in rows:
                found[sid].add(key)
            return found

        upgrade(settings, SCHEMA, [MIGRATIONS], "0005")
        assert keys() == {sid: blocking_keys(Features(rec)) for sid, rec in people.items()}
        assert keys()["without"] >= {"np:B400|M600", "np:M600|W450"}  # "Bill" is also "William"
        downgrade(settings, SCHEMA, [MIGRATIONS], "0004")
        after = keys()
        assert not any(k.startswith("np:") for found in after.values() for k in found)
        assert {"ni:anna:s", "ni:schmidt:a"} <= after["with-profile"]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_name_keys_are_rewritten_and_the_key_index_covers_the_customer_on_postgres(
    pg_database: str,
) -> None:
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_database})
    _rekeying(settings)
    assert "INCLUDE" not in _key_index(settings)  # downgraded to 0004
    upgrade(settings, SCHEMA, [MIGRATIONS])
    assert _key_index(settings).endswith("(key, source_system, source_id) INCLUDE (customer_id)")


def test_name_keys_are_rewritten_on_sqlite(tmp_path: Path) -> None:
    _rekeying(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)}))


def _collations(settings: config.Settings) -> dict[str, str | None]:
    engine = sync_engine(settings, SCHEMA)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT column_name, collation_name FROM information_schema.columns"
                    " WHERE table_schema = :schema AND table_name = 'blocking_keys'"
                ),
                {"schema": SCHEMA},
            )
            return {name: collation for name, collation in rows}
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_blocking_keys_are_compared_byte_by_byte_on_postgres(pg_database: str) -> None:
    """Revision 0012 gives the key and its record's reference the "C" collation, and its downgrade
    gives them back the database's."""
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_database})
    upgrade(settings, SCHEMA, [MIGRATIONS], "0012")
    bytewise = {"key": "C", "source_system": "C", "source_id": "C", "customer_id": None}
    assert _collations(settings) == bytewise
    downgrade(settings, SCHEMA, [MIGRATIONS], "0011")
    assert set(_collations(settings).values()) == {None}
    upgrade(settings, SCHEMA, [MIGRATIONS])
    assert _collations(settings) == bytewise


def _plans(database_url: str, queries: Sequence[str], params: dict[str, Any] | None = None) -> list[str]:
    """PostgreSQL's plan for each of ``queries`` on the migrated schema, sequential scans discouraged
    (an empty test table would make any plan a scan)."""
    settings = config.load({"ISTHMUS_DATABASE_URL": database_url})
    upgrade(settings, SCHEMA, [MIGRATIONS])
    engine = sync_engine(settings, SCHEMA)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            return ["\n".join(conn.execute(text(f"EXPLAIN {q}"), params or {}).scalars()) for q in queries]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_keys_given_as_parameters_are_looked_up_in_the_bytewise_index(pg_database: str) -> None:
    """A key in a parameter or an unnested array (the database's collation) takes the column's "C"
    in the comparison, so the candidate lookup still descends the key index."""
    queries = (
        "SELECT customer_id FROM blocking_keys WHERE key = :key",
        "SELECT b.customer_id FROM unnest(CAST(:keys AS varchar[])) AS k(key) CROSS JOIN"
        " LATERAL (SELECT customer_id FROM blocking_keys WHERE key = k.key LIMIT 51) b",
    )
    plans = _plans(pg_database, queries, {"key": "np:A|B", "keys": ["np:A|B"]})
    # The key is the index's condition, not a filter over the whole index.
    assert all("Index Only Scan using blocking_keys_pkey" in plan for plan in plans), plans
    assert all("Index Cond: (key = " in plan for plan in plans), plans


@pytest.mark.postgres
def test_the_case_summarys_as_of_time_is_read_from_the_end_of_an_index(pg_database: str) -> None:
    """The summary's as-of time is the latest of all the customer's cases, those it does not show too:
    read from the end of the customer's entries in an index (revision 0016), not from every case."""
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_database})
    upgrade(settings, SCHEMA, [MIGRATIONS])
    at = datetime(2026, 1, 1, tzinfo=UTC)
    cases = [
        {"s": f"sr{n}", "c": f"c{n % 2}", "at": at + timedelta(minutes=n), "closed": n % 100 != 0,
         "opened": f"2026-01-01T{n % 24:02d}:00:00Z"}
        for n in range(4000)
    ]  # fmt: skip
    statement = queries360._CASES_SUMMARY.params(ids=["c1"])
    sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    engine = sync_engine(settings, SCHEMA)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO c360_cases (service_request_id, customer_id, snapshot, sla_breached, as_of,"
                    " version, closed, opened_at) VALUES (:s, :c, '{}', false, :at, 1, :closed, :opened)"
                ),
                cases,
            )
            conn.execute(text("ANALYZE c360_cases"))
            plan = "\n".join(conn.execute(text(f"EXPLAIN {sql}")).scalars())
    finally:
        engine.dispose()
    # Once for the open cases' rows, once for the closed ones'.
    assert plan.count("Index Only Scan Backward using ix_c360_cases_customer_as_of") == 2, plan


def _review_worth(settings: config.Settings) -> None:
    """Revision 0013 gives the open reviews present the worth of the worthier of their two customers
    (0 for one the 360 holds no value of); its downgrade takes the column away."""
    upgrade(settings, SCHEMA, [MIGRATIONS], "0012")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    engine = sync_engine(settings, SCHEMA)
    value = tables.view360_tables["value"]
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(value),
                [
                    {"customer_id": c, "snapshot": {}, "as_of": at, "version": 1, "lifetime_amount": amount}
                    for c, amount in (("rich", 900.0), ("modest", 75.5))
                ],
            )
            for review_id, state, candidate, existing in (
                ("both", 1, "modest", "rich"),
                ("one", 1, "nobody", "modest"),
                ("none", 1, "nobody", "no-one"),
                ("resolved", 2, "rich", "modest"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO match_reviews (review_id, state, candidate_system, candidate_id,"
                        " candidate_customer_id, existing_customer_id, score, lower_threshold,"
                        " upper_threshold, comparisons, create_time, note, version) VALUES (:r, :s,"
                        " 'erp', :r, :c, :e, 5.0, 3.0, 8.0, '[]', :at, '', 1)"
                    ),
                    {"r": review_id, "s": state, "c": candidate, "e": existing, "at": at},
                )
        upgrade(settings, SCHEMA, [MIGRATIONS], "0013")
        with engine.connect() as conn:
            rows = conn.execute(select(tables.match_reviews.c.review_id, tables.match_reviews.c.worth))
            assert {r: w for r, w in rows} == {"both": 900.0, "one": 75.5, "none": 0.0, "resolved": 0.0}
        downgrade(settings, SCHEMA, [MIGRATIONS], "0012")
        with engine.connect() as conn:
            assert "worth" not in conn.execute(text("SELECT * FROM match_reviews")).keys()  # noqa: SIM118
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_open_reviews_are_given_their_worth_on_postgres(pg_database: str) -> None:
    _review_worth(config.load({"ISTHMUS_DATABASE_URL": pg_database}))


def test_open_reviews_are_given_their_worth_on_sqlite(tmp_path: Path) -> None:
    _review_worth(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)}))


@pytest.mark.postgres
def test_a_value_first_page_of_reviews_is_read_from_its_index(pg_database: str) -> None:
    """The value-first queue's first and later pages (ListMatchReviews) descend the worth index in
    its order: no sort of every open review."""
    page = "SELECT * FROM match_reviews WHERE state = 1{} ORDER BY worth DESC, seq LIMIT 51"
    after = " AND (worth < 5.0 OR (worth = 5.0 AND seq > 7))"
    plans = _plans(pg_database, (page.format(""), page.format(after)))
    assert all("Index Scan using ix_match_reviews_worth" in plan for plan in plans), plans
    assert not any("Sort" in plan for plan in plans), plans


def _filled(
    settings: config.Settings, revision: str, insert: str, rows: list[dict[str, Any]], read: Any
) -> tuple[list[Any], set[str]]:
    """Rows inserted (``insert``, once per item of ``rows``) at the revision before ``revision``; what
    ``read`` selects once ``revision`` filled them, and the table's columns after its downgrade."""
    before = f"{int(revision) - 1:04d}"
    upgrade(settings, SCHEMA, [MIGRATIONS], before)
    engine = sync_engine(settings, SCHEMA)
    try:
        with engine.begin() as conn:
            conn.execute(text(insert), rows)
        upgrade(settings, SCHEMA, [MIGRATIONS], revision)
        with engine.connect() as conn:
            found = list(conn.execute(read))
        downgrade(settings, SCHEMA, [MIGRATIONS], before)
        with engine.connect() as conn:
            columns = set(conn.execute(text(f"SELECT * FROM {read.get_final_froms()[0].name}")).keys())
    finally:
        engine.dispose()
    return found, columns


def _order_summary_columns(settings: config.Settings) -> None:
    """Revision 0014 fills the 360's order rows present with what their summary adds up, from their
    snapshots; its downgrade takes the columns away."""

    def snapshot(total: str, currency: str, refunded: str, state: str, paid: bool) -> str:
        return json.dumps({"order_id": "o", "source_system": "shop", "external_order_id": "W-1",
                           "channel": "WEB", "state": state, "total": [total, currency],
                           "refunded": [refunded, currency], "paid": paid,
                           "placed_at": "2026-01-01T10:00:00Z"})  # fmt: skip

    orders = {
        "refunded": snapshot("50.00", "EUR", "12.50", "PAID", True),
        "cancelled": snapshot("99.00", "EUR", "0", "CANCELLED", True),
        "unpaid": snapshot("7.00", "EUR", "0", "PLACED", False),
        "yen": snapshot("1200", "JPY", "0", "PAID", True),
    }
    t = tables.view360_tables["orders"].c
    found, columns = _filled(
        settings,
        "0014",
        "INSERT INTO c360_orders (order_id, customer_id, snapshot, as_of, version)"
        " VALUES (:o, 'c', :s, :at, 1)",
        [{"o": o, "s": s, "at": datetime(2026, 1, 1, tzinfo=UTC)} for o, s in orders.items()],
        select(t.order_id, t.currency, t.revenue_minor, t.placed_at),
    )
    assert {o: (c, r, p) for o, c, r, p in found} == {
        "refunded": ("EUR", 3750, "2026-01-01T10:00:00Z"),
        "cancelled": ("EUR", None, "2026-01-01T10:00:00Z"),
        "unpaid": ("EUR", None, "2026-01-01T10:00:00Z"),
        "yen": ("JPY", 1200, "2026-01-01T10:00:00Z"),
    }
    assert not columns & {"placed_at", "currency", "revenue_minor"}


@pytest.mark.postgres
def test_the_360s_orders_are_given_their_summary_columns_on_postgres(pg_database: str) -> None:
    _order_summary_columns(config.load({"ISTHMUS_DATABASE_URL": pg_database}))


def test_the_360s_orders_are_given_their_summary_columns_on_sqlite(tmp_path: Path) -> None:
    _order_summary_columns(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)}))


def _case_summary_columns(settings: config.Settings) -> None:
    """Revision 0015 fills the 360's case rows present with whether they are closed and when they were
    opened, from their snapshots; its downgrade takes the columns away."""
    states = {"open": "OPEN", "pending": "PENDING_CUSTOMER", "resolved": "RESOLVED", "closed": "CLOSED"}
    cases = [
        {"s": sid, "at": datetime(2026, 1, 1, tzinfo=UTC),
         "snap": json.dumps({"service_request_id": sid, "subject": "s", "kind": "COMPLAINT", "state": state,
                             "priority": "HIGH", "opened_at": f"2026-01-0{len(sid) % 9 + 1}T10:00:00Z",
                             "resolution_due": ""})}
        for sid, state in states.items()
    ]  # fmt: skip
    t = tables.view360_tables["cases"].c
    found, columns = _filled(
        settings,
        "0015",
        "INSERT INTO c360_cases (service_request_id, customer_id, snapshot, sla_breached, as_of, version)"
        " VALUES (:s, 'c', :snap, false, :at, 1)",
        cases,
        select(t.service_request_id, t.closed, t.opened_at),
    )
    assert {s: (c, o[:10]) for s, c, o in found} == {
        "open": (False, "2026-01-05"),
        "pending": (False, "2026-01-08"),
        "resolved": (True, "2026-01-09"),
        "closed": (True, "2026-01-07"),
    }
    assert not columns & {"closed", "opened_at"}


@pytest.mark.postgres
def test_the_360s_cases_are_given_their_summary_columns_on_postgres(pg_database: str) -> None:
    _case_summary_columns(config.load({"ISTHMUS_DATABASE_URL": pg_database}))


def test_the_360s_cases_are_given_their_summary_columns_on_sqlite(tmp_path: Path) -> None:
    _case_summary_columns(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)}))
