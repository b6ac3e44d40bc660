"""How many records a blocking-key lookup reads, per kind of key, in a master of generated people.

Each person's first copy (bench/people.py) is normalised as the service does and keyed; for every
kind of key this prints how many distinct keys there are, the largest bucket, and how many records a
lookup of a record's own key reads on average (buckets capped at ``max_key_records`` + 1, as the
candidate query stops there). Besides the kinds in use, two name keys that were considered:
``ni`` (one name in full with the other's initial, both ways round) and ``nn`` (both names in full).

    .venv/bin/python bench/blocking_keys.py --people 100000
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from people import copy_of, make_person

from isthmus.customers.matching import Features, MatchConfig, blocking_keys
from isthmus.customers.normalise import normalise


def considered(f: Features) -> set[str]:
    """Name keys that were measured and not taken (decision 23)."""
    if not (f.given_canonical and f.family):
        return set()
    keys = {f"ni:{f.given_canonical}:{f.family[0]}"} | {
        f"ni:{f.family}:{g[0]}" for g in (f.given, f.given_canonical)
    }
    return keys | {"nn:" + "|".join(sorted((g, f.family))) for g in {f.given, f.given_canonical}}


def main(args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    held: Counter[str] = Counter()
    for pid in range(args.people):
        record = copy_of(
            random.Random(pid), make_person(random.Random(pid), pid), "erp", f"p{pid}", first=True
        )
        f = Features(normalise(record, known_systems=("erp",), now=now, default_region="DE"))
        held.update(blocking_keys(f) | considered(f))
    cap = MatchConfig().max_key_records + 1
    print(f"command: .venv/bin/python bench/blocking_keys.py --people {args.people}")
    print("kind  in use  keys  largest  records read per lookup  keys over the cap")
    for kind in sorted({k.split(":", 1)[0] for k in held}):
        sizes = [n for k, n in held.items() if k.split(":", 1)[0] == kind]
        read = sum(min(n, cap) * n for n in sizes) / sum(sizes)  # a record's key, weighted by its bucket
        over = sum(1 for n in sizes if n >= cap)
        used = "no" if kind in ("ni", "nn") else "yes"
        print(f"{kind:4}  {used:6}  {len(sizes):5}  {max(sizes):7}  {read:23.1f}  {over:17}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=100_000)
    main(parser.parse_args())
