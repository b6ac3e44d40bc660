"""How many records a blocking-key lookup reads, per kind of key, in a master of generated people.

Each person's first copy (bench/people.py) is normalised as the service does and keyed; for every
kind of key this prints how many distinct keys there are, the largest bucket, and how many records a
lookup of a record's own key reads on average (buckets capped at ``max_key_records`` + 1, as the
candidate query stops there). Besides the kinds in use, two name keys that were considered:
``ni`` (one name in full with the other's initial, both ways round) and ``nn`` (both names in full).

With ``--recall COPIES`` the keys in use are also written to a scratch database (``blocking_keys``
as the service declares it, on the PostgreSQL of ``ISTHMUS_BENCH_PG_URL``), and for that many copies
of present people, as another system sends them, the service's own candidate query
(``Repository.candidates``) is asked who their candidates are: how often the person's own customer
is among them, with the caps in use, with one cap for every key, and with every customer sharing a
key. That is the blocking's recall, which no scoring can make up for.

    .venv/bin/python bench/blocking_keys.py --people 100000
    .venv/bin/python bench/blocking_keys.py --people 400000 --recall 3000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from measure import command_line
from people import SYSTEMS, copy_of, make_person
from scratch import PG_ADMIN, scratch_database
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from isthmus.customers.matching import NAME_ONLY_KEY, Features, MatchConfig, Matcher, blocking_keys
from isthmus.customers.normalise import normalise
from isthmus.customers.store import Repository
from isthmus.customers.tables import blocking_keys as keys_table
from isthmus.customers.tables import metadata, source_records


def considered(f: Features) -> set[str]:
    """Name keys that were measured and not taken (decision 23)."""
    if not (f.given_canonical and f.family):
        return set()
    keys = {f"ni:{f.given_canonical}:{f.family[0]}"} | {
        f"ni:{f.family}:{g[0]}" for g in (f.given, f.given_canonical)
    }
    return keys | {"nn:" + "|".join(sorted((g, f.family))) for g in {f.given, f.given_canonical}}


def keys_of(record: Any, now: datetime) -> Features:
    return Features(normalise(record, known_systems=SYSTEMS, now=now, default_region="DE"))


def first_copy(pid: int) -> Any:
    return copy_of(random.Random(pid), make_person(random.Random(pid), pid), "erp", f"p{pid}", first=True)


def main(args: argparse.Namespace) -> None:
    print(f"command: {command_line()}", flush=True)
    if args.recall:
        with scratch_database(PG_ADMIN) as url:
            held = count_keys(args.people, url)
            asyncio.run(recall(url, args.people, args.recall))
    else:
        held = count_keys(args.people, None)
    config = MatchConfig()
    print("kind  in use  keys  largest  records read per lookup  keys over the cap")
    for kind in sorted({k.split(":", 1)[0] for k in held}):
        sizes = [n for k, n in held.items() if k.split(":", 1)[0] == kind]
        name_only = NAME_ONLY_KEY.startswith(kind + ":")
        cap = (config.max_name_key_records if name_only else config.max_key_records) + 1
        read = sum(min(n, cap) * n for n in sizes) / sum(sizes)  # a record's key, weighted by its bucket
        over = sum(1 for n in sizes if n >= cap)
        used = "no" if kind in ("ni", "nn") else "yes"
        print(f"{kind:4}  {used:6}  {len(sizes):5}  {max(sizes):7}  {read:23.1f}  {over:17}")


def count_keys(people: int, url: str | None) -> Counter[str]:
    """Every person's first copy keyed; with ``url``, the keys in use written to its blocking_keys
    (the customer of person ``pid`` is ``c<pid>``)."""
    now = datetime.now(UTC)
    held: Counter[str] = Counter()
    with contextlib.ExitStack() as stack:
        copy = None
        if url:
            conn = stack.enter_context(psycopg.connect(url, autocommit=True))
            asyncio.run(create_tables(url))
            columns = "key, source_system, source_id, customer_id"
            copy = stack.enter_context(conn.cursor().copy(f"COPY blocking_keys ({columns}) FROM STDIN"))
        for pid in range(people):
            f = keys_of(first_copy(pid), now)
            in_use = blocking_keys(f)
            held.update(in_use | considered(f))
            if copy is not None:
                for key in in_use:
                    copy.write_row((key, "erp", f"p{pid}", f"c{pid}"))
    if url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE blocking_keys")
    return held


def _engine(url: str) -> Any:
    return create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))


async def create_tables(url: str) -> None:
    engine = _engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: metadata.create_all(c, tables=[keys_table, source_records]))
    await engine.dispose()


async def recall(url: str, people: int, copies: int) -> None:
    """How often a copy's own customer is among its candidates, by candidate settings."""
    now, rng = datetime.now(UTC), random.Random(11)
    wanted: list[set[str]] = []
    own: list[str] = []
    pairs: list[tuple[Features, int]] = []
    for i in range(copies):
        pid = rng.randrange(people)
        record = copy_of(rng, make_person(random.Random(pid), pid), SYSTEMS[1 + i % 2], f"d{i}", first=False)
        features = keys_of(record, now)
        wanted.append(blocking_keys(features))
        own.append(f"c{pid}")
        pairs.append((features, pid))
    config = MatchConfig()
    best, cap, name_cap = config.max_candidates, config.max_key_records, config.max_name_key_records
    settings = [
        (
            f"in use: the best {best}, name-only keys to {name_cap} records, others to {cap}",
            best,
            cap,
            name_cap,
        ),
        (f"the best {best}, every key to {cap} records", best, cap, cap),
        *((f"the best {best}, name-only keys to {n} records", best, cap, n) for n in (20, 10, 0)),
        *((f"the best {more}, caps in use", more, cap, name_cap) for more in (2 * best, 4 * best)),
        ("every customer sharing a key, no cap", 10**6, 10**7, 10**7),
    ]
    engine = _engine(url)
    print(f"{copies} copies of people among {people} present, from another system:")
    missed: list[int] = []
    for n, (name, limit, key_cap, name_key_cap) in enumerate(settings):
        found = 0
        for at in range(0, copies, 250):
            async with AsyncSession(engine) as session:
                ranked, _ = await Repository(session).candidates(
                    wanted[at : at + 250], limit, key_cap, max_name_key_records=name_key_cap
                )
            hits = [own[at + i] in {c for c, _ in r} for i, r in enumerate(ranked)]
            found += sum(hits)
            if n == 0:
                missed += [at + i for i, hit in enumerate(hits) if not hit]
        print(f"  own customer a candidate for {found / copies:.4f} ({found}) [{name}]")
    await engine.dispose()
    # What the built-in model would make of the missed copies if their customer were scored.
    matcher = Matcher(config)
    verdicts: Counter[str] = Counter()
    for i in missed:
        features, pid = pairs[i]
        scored = matcher.score(features, own[i], [keys_of(first_copy(pid), now)])
        review = scored.score >= matcher.lower and not scored.against
        verdicts["link" if matcher.links(scored) else "review" if review else "no match"] += 1
    said = ", ".join(f"{count} {verdict}" for verdict, count in verdicts.most_common())
    print(f"  the {len(missed)} copies missed with the settings in use, scored against their own first copy")
    print(f"  by the built-in model: {said or 'none'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--recall", type=int, default=0, help="copies of present people to find")
    main(parser.parse_args())
