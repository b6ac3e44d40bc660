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


async def hold(session: AsyncSession, rows: list[tuple[str, str, str]]) -> None:
    """(key, source id, customer id) rows of blocking keys."""
    await session.execute(
        insert(blocking_keys),
        [{"key": k, "source_system": "erp", "source_id": s, "customer_id": c} for k, s, c in rows],
    )


async def candidates(repo: Repository, *args: Any, **kwargs: Any) -> list[list[tuple[str, int]]]:
    ranked, _profiles = await repo.candidates(*args, **kwargs)
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
    await hold(
        session, [(f"np:A500|S530#{uid}", sid, cid) for sid, cid in records] + [(f"nd:x#{uid}", "b-1", "c-b")]
    )

    ranked, profiles = await Repository(session).candidates(
        [{f"np:A500|S530#{uid}"}, {f"np:A500|S530#{uid}", f"nd:x#{uid}"}, {f"e:nobody@example.com#{uid}"}],
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
    crowd = [(f"np:A500|S530#{uid}", f"crowd-{i}", f"c-{i:03}") for i in range(40)]
    target = [
        (k, f"target-{n}", "c-target")
        for n, k in enumerate([f"np:A500|S530#{uid}", f"nd:A500:1990-01-01#{uid}"])
    ]
    # A second record of the same customer under the same key counts once.
    target += [
        (f"nz:A500:80331#{uid}", "target-2", "c-target"),
        (f"nz:A500:80331#{uid}", "target-3", "c-target"),
    ]
    await hold(session, crowd + target)

    found = await candidates(
        Repository(session),
        [
            {f"np:A500|S530#{uid}", f"nd:A500:1990-01-01#{uid}", f"nz:A500:80331#{uid}"},
            set(),
            {f"e:nobody@example.com#{uid}"},
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
        session, [(f"k:{i}:{j}#{uid}", f"s-{i}-{j}", f"c-{i:04}") for i in range(1500) for j in range(3)]
    )

    found = await candidates(
        Repository(session),
        [{f"k:{i}:{j}#{uid}" for j in range(3)} for i in range(1500)],
        limit=10,
        max_key_records=200,
    )

    assert found == [[(f"c-{i:04}", 3)] for i in range(1500)]


async def test_a_key_held_by_too_many_records_is_skipped(session: AsyncSession, uid: str) -> None:
    crowd = [(f"np:A500|S530#{uid}", f"crowd-{i}", f"c-{i:03}") for i in range(40)]
    await hold(
        session,
        [
            *crowd,
            (f"np:A500|S530#{uid}", "t-1", "c-target"),
            (f"nd:A500:1990-01-01#{uid}", "t-2", "c-target"),
        ],
    )
    repo = Repository(session)

    narrow = await candidates(
        repo, [{f"np:A500|S530#{uid}", f"nd:A500:1990-01-01#{uid}"}], limit=10, max_key_records=40
    )
    broad = await candidates(
        repo, [{f"np:A500|S530#{uid}", f"nd:A500:1990-01-01#{uid}"}], limit=10, max_key_records=41
    )

    assert narrow == [[("c-target", 1)]]  # 41 records hold the name key: only the birth-date key counts
    assert broad[0][0] == ("c-target", 2) and len(broad[0]) == 10


async def test_of_customers_sharing_as_many_keys_the_one_sharing_a_rarer_key_ranks_first(
    session: AsyncSession,
    uid: str,
) -> None:
    # Ten namesakes share the sound of both names; the person's own copy (a typo in the given name)
    # shares only the family name's sound with the postcode, a key two records hold.
    namesakes = [(f"np:M460|T520#{uid}", f"namesake-{i}", f"c-{i:03}") for i in range(10)]
    own = [(f"nz:M460:16130#{uid}", "own-1", "c-zzz"), (f"nz:M460:16130#{uid}", "own-2", "c-zzz")]
    await hold(session, namesakes + own)

    found = await candidates(
        Repository(session), [{f"np:M460|T520#{uid}", f"nz:M460:16130#{uid}"}], limit=5, max_key_records=200
    )

    assert found[0][0] == ("c-zzz", 1)
    assert found[0][1:] == [(f"c-{i:03}", 1) for i in range(4)]


async def test_a_name_only_key_has_its_own_lower_cap(session: AsyncSession, uid: str) -> None:
    # 41 namesakes under both names' sounds, and 41 records under one birth-date key: with the
    # name-only cap at 40 the name key is skipped while the birth-date key, under the cap for any
    # key, still counts.
    await hold(
        session,
        [(f"np:A500|S530#{uid}", f"n-{i}", f"c-n{i:03}") for i in range(41)]
        + [(f"nd:A500:1990-01-01#{uid}", f"d-{i}", f"c-d{i:03}") for i in range(41)],
    )
    repo = Repository(session)
    keys = [{f"np:A500|S530#{uid}", f"nd:A500:1990-01-01#{uid}"}]

    capped = await candidates(repo, keys, limit=100, max_key_records=200, max_name_key_records=40)
    uncapped = await candidates(repo, keys, limit=100, max_key_records=200, max_name_key_records=41)

    assert {cid for cid, _ in capped[0]} == {f"c-d{i:03}" for i in range(41)}
    assert len(uncapped[0]) == 82
