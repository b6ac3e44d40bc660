"""Candidates are counted and ranked in the database, on both backends, whatever a key's bucket size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from isthmus.customers.matching import PROFILE_VERSION
from isthmus.customers.store import Repository
from isthmus.customers.tables import blocking_keys, source_records
from isthmus.platform.config import Settings


@pytest.fixture
async def session(backend: tuple[AsyncEngine, Settings]) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(backend[0]) as s:
        await s.begin()
        try:
            yield s
        finally:
            await s.rollback()  # the session database is shared with other tests


async def hold(session: AsyncSession, uid: str, rows: list[tuple[str, str, str]]) -> None:
    """(key, source id, customer id) rows of blocking keys, each key this test's own (``key#uid``)."""
    await session.execute(
        insert(blocking_keys),
        [{"key": f"{k}#{uid}", "source_system": "erp", "source_id": s, "customer_id": c} for k, s, c in rows],
    )


def own(uid: str, wanted: list[set[str]]) -> list[set[str]]:
    """Each record's keys as ``hold`` stored them."""
    return [{f"{k}#{uid}" for k in keys} for keys in wanted]


async def candidates(
    repo: Repository, uid: str, wanted: list[set[str]], **kwargs: Any
) -> list[list[tuple[str, int]]]:
    ranked, _profiles = await repo.candidates(own(uid, wanted), **kwargs)
    return ranked


async def test_candidates_come_with_the_profiles_of_their_records_once_each(
    session: AsyncSession, uid: str
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    records = [("a-1", "c-a"), ("a-2", "c-a"), ("b-1", "c-b")]
    await session.execute(
        insert(source_records),
        [
            {
                "source_system": "erp",
                "source_id": sid,
                "customer_id": cid,
                "content_hash": "0" * 64,
                "data": {},
                "raw": b"",
                "observed_at": now,
                "linked_at": now,
                "link_outcome": 1,
                "score": 0.0,
                "version": 1,
                "profile": f"[{PROFILE_VERSION},{sid!r}]",
            }
            for sid, cid in records
        ],
    )
    await hold(session, uid, [("np:A500|S530", sid, cid) for sid, cid in records] + [("nd:x", "b-1", "c-b")])

    ranked, profiles = await Repository(session).candidates(
        own(uid, [{"np:A500|S530"}, {"np:A500|S530", "nd:x"}, {"e:nobody@example.com"}]),
        limit=10,
        max_key_records=200,
    )

    assert ranked == [[("c-a", 1), ("c-b", 1)], [("c-b", 2), ("c-a", 1)], []]
    assert sorted((p.source_id, p.customer_id, p.profile) for p in profiles) == [
        (sid, cid, f"[{PROFILE_VERSION},{sid!r}]") for sid, cid in records
    ]
    assert all(p.data_json is None for p in profiles)  # a current profile: the record is not read


async def test_the_customer_sharing_most_keys_ranks_first_in_a_crowded_bucket(
    session: AsyncSession, uid: str
) -> None:
    crowd = [("np:A500|S530", f"crowd-{i}", f"c-{i:03}") for i in range(40)]
    target = [(k, f"target-{n}", "c-target") for n, k in enumerate(["np:A500|S530", "nd:A500:1990-01-01"])]
    # A second record of the same customer under the same key counts once.
    target += [
        ("nz:A500:80331", "target-2", "c-target"),
        ("nz:A500:80331", "target-3", "c-target"),
    ]
    await hold(session, uid, crowd + target)

    found = await candidates(
        Repository(session),
        uid,
        [
            {"np:A500|S530", "nd:A500:1990-01-01", "nz:A500:80331"},
            set(),
            {"e:nobody@example.com"},
        ],
        limit=10,
        max_key_records=200,
    )

    assert found[0][0] == ("c-target", 3)
    assert found[0][1:] == [(f"c-{i:03}", 1) for i in range(9)]  # ties: the lowest ids, in order
    assert found[1] == [] and found[2] == []


async def test_every_record_of_a_large_batch_gets_its_own_candidates(session: AsyncSession, uid: str) -> None:
    # 1,500 records x 3 keys: more bound values than one SQLite statement takes, and a statement
    # boundary (every 4,000 pairs) that would fall inside a record's keys.
    await hold(
        session, uid, [(f"k:{i}:{j}", f"s-{i}-{j}", f"c-{i:04}") for i in range(1500) for j in range(3)]
    )

    found = await candidates(
        Repository(session),
        uid,
        [{f"k:{i}:{j}" for j in range(3)} for i in range(1500)],
        limit=10,
        max_key_records=200,
    )

    assert found == [[(f"c-{i:04}", 3)] for i in range(1500)]


async def test_a_key_held_by_too_many_records_is_skipped(session: AsyncSession, uid: str) -> None:
    crowd = [("np:A500|S530", f"crowd-{i}", f"c-{i:03}") for i in range(40)]
    await hold(
        session,
        uid,
        [
            *crowd,
            ("np:A500|S530", "t-1", "c-target"),
            ("nd:A500:1990-01-01", "t-2", "c-target"),
        ],
    )
    repo = Repository(session)

    narrow = await candidates(
        repo, uid, [{"np:A500|S530", "nd:A500:1990-01-01"}], limit=10, max_key_records=40
    )
    broad = await candidates(
        repo, uid, [{"np:A500|S530", "nd:A500:1990-01-01"}], limit=10, max_key_records=41
    )

    assert narrow == [[("c-target", 1)]]  # 41 records hold the name key: only the birth-date key counts
    assert broad[0][0] == ("c-target", 2) and len(broad[0]) == 10


async def test_of_customers_sharing_as_many_keys_the_one_sharing_a_rarer_key_ranks_first(
    session: AsyncSession,
    uid: str,
) -> None:
    # Ten namesakes share the sound of both names; the person's own copy (a typo in the given name)
    # shares only the family name's sound with the postcode, a key two records hold.
    namesakes = [("np:M460|T520", f"namesake-{i}", f"c-{i:03}") for i in range(10)]
    copies = [("nz:M460:16130", "own-1", "c-zzz"), ("nz:M460:16130", "own-2", "c-zzz")]
    await hold(session, uid, namesakes + copies)

    found = await candidates(
        Repository(session), uid, [{"np:M460|T520", "nz:M460:16130"}], limit=5, max_key_records=200
    )

    assert found[0][0] == ("c-zzz", 1)
    assert found[0][1:] == [(f"c-{i:03}", 1) for i in range(4)]


async def test_a_name_only_key_has_its_own_lower_cap(session: AsyncSession, uid: str) -> None:
    # 41 namesakes under both names' sounds, and 41 records under one birth-date key: with the
    # name-only cap at 40 the name key is skipped while the birth-date key, under the cap for any
    # key, still counts.
    await hold(
        session,
        uid,
        [("np:A500|S530", f"n-{i}", f"c-n{i:03}") for i in range(41)]
        + [("nd:A500:1990-01-01", f"d-{i}", f"c-d{i:03}") for i in range(41)],
    )
    repo = Repository(session)
    keys = [{"np:A500|S530", "nd:A500:1990-01-01"}]

    capped = await candidates(repo, uid, keys, limit=100, max_key_records=200, max_name_key_records=40)
    uncapped = await candidates(repo, uid, keys, limit=100, max_key_records=200, max_name_key_records=41)

    assert {cid for cid, _ in capped[0]} == {f"c-d{i:03}" for i in range(41)}
    assert len(uncapped[0]) == 82
