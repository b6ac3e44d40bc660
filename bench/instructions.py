"""Instructions per unit of work in the customer master's CPU-bound steps, counted by valgrind's
callgrind: the same count for the same code and inputs whatever else the machine is doing, so a
change to one of these steps can be judged in minutes, in any hour, where its CPU time would need
alternated runs in a calm one (docs/benchmarks.md, *How to read them*). Not a rate: an instruction
count says nothing of caches or waits. It says whether the code does less.

Steps, on generated people (bench/people.py: each person's first record clean, later ones with the
usual corruptions), as ingest runs them:

* ``prepare``: a source record validated and normalised, its content hash, blocking keys and match
  profile (``CustomerMaster._normalise``: what a stream does for its next batch);
* ``profiles``: a stored match profile decoded into what the matcher compares (``ProfileRow.features``,
  for every candidate record a batch reads);
* ``scoring``: a record scored against a candidate customer of two records (``Matcher.score``), or set
  aside unscored when plainly someone else, as ``Deciding._resolve`` does;
* ``golden``: a customer's golden record made from its records and stored as JSON
  (``survivorship.golden_record``, ``Golden.to_json``).

Each step runs in a child process under ``valgrind --tool=callgrind`` twice, over ``--units`` and
over twice as many units of the same inputs (made alike in both); the difference of the two totals,
divided by ``--units``, is the step's count per unit: start-up, imports and making the inputs cancel
out. ``PYTHONHASHSEED`` is fixed, so set and dict orders repeat. ``--against DIR`` counts another
checkout's ``services/`` the same way (a git worktree of an earlier commit):

    .venv/bin/python bench/instructions.py [--steps prepare,profiles,scoring,golden] [--units 300]
    git worktree add /tmp/before HEAD~1 && .venv/bin/python bench/instructions.py --against /tmp/before
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import command_line
from people import SYSTEMS, copy_of, make_person

STEPS = ("prepare", "profiles", "scoring", "golden")
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _people(count: int) -> list[list[Any]]:
    """``count`` people, each as the source records three systems hold (the first one clean)."""
    rng = random.Random(11)
    out = []
    for pid in range(count):
        person = make_person(rng, pid)
        out.append([copy_of(rng, person, s, f"{pid}-{j}", first=j == 0) for j, s in enumerate(SYSTEMS[:3])])
    return out


def _work(step: str, units: int, made: int) -> None:
    """Makes the inputs of ``made`` units, then runs ``step`` over the first ``units`` of them."""
    from isthmus.customers.incoming import Incoming
    from isthmus.customers.matching import Features, MatchConfig, Matcher
    from isthmus.customers.normalise import normalise
    from isthmus.customers.store import ProfileRow
    from isthmus.customers.survivorship import SurvivorshipConfig, golden_record
    from isthmus.platform import jsoncodec

    systems = frozenset(SYSTEMS)
    people = _people(made)

    def record(msg: Any) -> Any:
        return normalise(msg, known_systems=systems, now=NOW)

    if step == "prepare":
        msgs = [p[1] for p in people]
        for i, msg in enumerate(msgs[:units]):
            rec = record(msg)
            Incoming(i, rec, msg.SerializeToString(deterministic=True)).prepare()
    elif step == "profiles":
        rows = []
        for i, p in enumerate(people):
            f = Features(record(p[0]))
            rows.append(ProfileRow("erp", str(i), str(i), jsoncodec.dumps(f.profile()), None))
        for row in rows[:units]:
            row.features()
    elif step == "scoring":
        matcher = Matcher(MatchConfig())
        # Each record meets the person it is a copy of, and another person: most candidates a
        # record meets are someone else.
        cases = []
        for i, p in enumerate(people):
            mine = [Features(record(m)) for m in p]
            other = [Features(record(m)) for m in people[(i + 1) % len(people)][:2]]
            cases.append((mine[2], mine[:2], other))
        for f, mine, other in cases[:units]:
            for cid, members in (("mine", mine), ("other", other)):
                if not matcher.plainly_someone_else(f, members):
                    matcher.score(f, cid, members)
    elif step == "golden":
        config = SurvivorshipConfig()
        customers = [[record(m) for m in p] for p in people]
        for members in customers[:units]:
            jsoncodec.dumps(golden_record(members, config).to_json())
    else:
        raise SystemExit(f"unknown step {step!r}: one of {', '.join(STEPS)}")


def _count(step: str, units: int, made: int, tree: Path | None) -> int:
    """Instructions of a child process running ``step`` over ``units`` of ``made`` units' inputs."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    if tree is not None:
        env["PYTHONPATH"] = str(tree / "services")
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/out",
            sys.executable,
            __file__,
            "--child",
            json.dumps([step, units, made]),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{step}: the child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"{step}: callgrind printed no count:\n{done.stderr[-3000:]}")
    return int(found.group(1))


def per_unit(step: str, units: int, tree: Path | None) -> float:
    made = 2 * units
    return (_count(step, made, made, tree) - _count(step, units, made, tree)) / units


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--against", type=Path, help="another checkout, counted the same way")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _work(*json.loads(args.child))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    steps = [s for s in args.steps.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        raise SystemExit(f"--steps: unknown {', '.join(sorted(unknown))}; known: {', '.join(STEPS)}")
    print(f"instructions per unit (valgrind callgrind, {args.units} and {2 * args.units} units a step)")
    for step in steps:
        this = per_unit(step, args.units, None)
        line = f"{step:>9}: {this:12,.0f}"
        if args.against is not None:
            that = per_unit(step, args.units, args.against)
            line += f"   {args.against}: {that:12,.0f}   this / that {this / that:.3f}"
        print(line, flush=True)
    print(f"reproduce: {command_line()}")


if __name__ == "__main__":
    main()
