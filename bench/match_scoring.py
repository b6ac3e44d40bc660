"""CPU per candidate pair scored by the matcher (the built-in model), on generated people.

Each of ``--people`` people gets two source systems' copies (bench/people.py: the first clean, the
second with the usual corruptions), normalised as the service does. Every record is then scored
against up to 8 of the records that share a blocking key with it (keys read by fewer than 50
records), as ingest scores a record against its candidates. The figures are process CPU time per
``Matcher.score`` call: on the first pass over the pairs (cold: ingest meets each pair once, so
this is its case), and the least of ``--repeat`` passes over the same pairs (warm: whatever the
matcher and the interpreter keep from one pass to the next helps; steadier, for comparing code).
Both again as ingest decides, where a candidate plainly someone else (``Matcher.plainly_someone_else``)
is set aside before it is scored, with the share of pairs set aside.

``--against DIR`` runs the same measurement on another checkout's ``services/`` (a git worktree of
an earlier commit, say) in alternating child processes, so both see the same machine:

    .venv/bin/python bench/match_scoring.py [--people 4000] [--rounds 3]
    git worktree add /tmp/before HEAD~1 && .venv/bin/python bench/match_scoring.py --against /tmp/before
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import in_checkout, load_average, print_medians
from people import SYSTEMS, copy_of, make_person


def measure(people: int, repeat: int, decided: bool) -> dict[str, float]:
    from isthmus.customers.matching import Features, MatchConfig, Matcher, blocking_keys
    from isthmus.customers.normalise import normalise

    rng = random.Random(7)
    now = datetime.now(UTC)
    systems = frozenset(SYSTEMS)
    features = []
    for pid in range(people):
        person = make_person(rng, pid)
        for j, system in enumerate(SYSTEMS[:2]):
            record = copy_of(rng, person, system, f"{pid}-{j}", first=j == 0)
            features.append(Features(normalise(record, known_systems=systems, now=now)))
    by_key: dict[str, list[int]] = {}
    for i, f in enumerate(features):
        for key in blocking_keys(f):
            by_key.setdefault(key, []).append(i)
    pairs = []
    for i, f in enumerate(features):
        found = {j for key in blocking_keys(f) if len(by_key[key]) < 50 for j in by_key[key] if j != i}
        pairs += [(f, features[j]) for j in sorted(found)[:8]]
    matcher = Matcher(MatchConfig())
    # ``decided``: as ingest decides (``Deciding._resolve``), a candidate plainly someone else is set
    # aside before it is scored (a checkout from before that check scores every pair). Each way runs
    # in a process of its own, so its first pass is cold.
    aside = getattr(matcher, "plainly_someone_else", lambda a, members: False)
    passes = []
    for _ in range(repeat):
        started = time.process_time()
        for a, b in pairs:
            if not (decided and aside(a, [b])):
                matcher.score(a, "c", [b])
        passes.append(time.process_time() - started)
    return {
        "pairs": len(pairs),
        "set_aside": sum(aside(a, [b]) for a, b in pairs) / len(pairs),
        "cold": passes[0] / len(pairs) * 1e6,
        "warm": min(passes) / len(pairs) * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=7, help="passes over the pairs; the least counts")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout, measured in alternation")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--decided", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.people, args.repeat, args.decided)))
        return

    trees: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.against is not None:
        trees.append((str(args.against), args.against.resolve()))
    kinds = ("cold", "warm", "decided cold", "decided warm")
    found: dict[str, list[float]] = {f"{label}, {kind}": [] for label, _ in trees for kind in kinds}
    print(f"load average before: {load_average()}")
    for n in range(args.rounds):
        for label, tree in trees:
            command = [sys.executable, __file__, "--child", "--people", str(args.people)]
            command += ["--repeat", str(args.repeat)]
            scored = in_checkout(tree, "services", command)
            decided = in_checkout(tree, "services", [*command, "--decided"])
            for kind in ("cold", "warm"):
                found[f"{label}, {kind}"].append(scored[kind])
                found[f"{label}, decided {kind}"].append(decided[kind])
            print(
                f"round {n + 1} {label}: {scored['cold']:.2f} us of CPU per pair on the first pass, "
                f"{scored['warm']:.2f} on the least of {args.repeat} ({scored['pairs']} pairs); as ingest "
                f"decides ({decided['set_aside']:.1%} of pairs set aside unscored): "
                f"{decided['cold']:.2f} and {decided['warm']:.2f}"
            )
    print(f"load average after: {load_average()}")
    print_medians(found, "us per pair scored")
    against = f" --against {args.against}" if args.against else ""
    print(
        f"reproduce: .venv/bin/python bench/match_scoring.py --people {args.people} --repeat {args.repeat} "
        f"--rounds {args.rounds}{against}"
    )


if __name__ == "__main__":
    main()
