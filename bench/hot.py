"""Where a profiled process spent its samples: the functions with the largest share of samples in
which they were on the stack (inclusive) and on top of it (self), from py-spy's collapsed stacks.

    .venv/bin/python bench/hot.py PROFILE.txt [--top 40] [--match TEXT]
    .venv/bin/python bench/hot.py PROFILE.txt --parts ingest --unit-us 550

``--match`` keeps only frames whose text contains TEXT (a module path, say ``isthmus/``).
``--parts`` groups the samples into the parts of a hot path's work (``PARTS``): each sample goes to
the part of the innermost frame on its stack that names one (the rest of the main thread is the
event loop's; other threads apart). ``--unit-us`` (the process' CPU per unit of work, in us) turns
each share into us per unit; with ``--match`` it gives what the stacks through a function cost a unit.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

# For each hot path, its parts: (what the part is, frames that belong to it; a frame belongs when its
# text holds one of them). A sample belongs to the part of the innermost such frame on its stack.
PARTS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "ingest": [
        (
            "normalising a batch (validation, normal forms, keys, content hash, match profile)",
            ("CustomerMaster._prepare ", "CustomerMaster._normalise "),
        ),
        ("candidates: the query and decoding their profiles", ("Batch._candidates ",)),
        (
            "scoring candidates, setting them aside, deciding between them",
            ("Matcher.score ", "Matcher.plainly_someone_else ", "Matcher.decide ", "Deciding._ambiguous "),
        ),
        ("customers a record bridged, merged", ("Batch._merge_bridged ",)),
        ("households re-examined", ("Batch._reexamine_households ",)),
        ("deciding, the rest", ("Deciding.", "Batch.run ")),
        ("members read, golden records recomputed", ("Batch._load_members ", "golden_record ")),
        ("rows built and written", ("Writing._write ", "Writing._apply ")),
        ("events built and written to the outbox", ("Writing._emit ",)),
        (
            "freeing the batch as its call ends, the answers",
            ("upsert (isthmus/customers/ingest.py", "CustomerMaster._apply "),
        ),
        ("the outbox relay (read, publish with confirms, delete)", ("Relay.run ", "Relay._pump")),
    ],
}
EVENT_LOOP = "gRPC stream, event loop, statements' replies decoded (asyncpg), the rest of the main thread"
OTHER_THREADS = "other threads (gRPC's poller among them), stacks py-spy could not unwind"


def parts(stacks: list[tuple[list[str], int]], path: str) -> Counter[str]:
    """Samples by part of ``path``'s work (``PARTS``)."""
    found: Counter[str] = Counter()
    for frames, samples in stacks:
        part = OTHER_THREADS if not frames or not frames[0].startswith("<module>") else EVENT_LOOP
        for frame in reversed(frames):
            named = next((label for label, marks in PARTS[path] if any(m in frame for m in marks)), None)
            if named is not None:
                part = named
                break
        found[part] += samples
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="")
    parser.add_argument(
        "--parts", choices=sorted(PARTS), help="group the samples by part of this path's work"
    )
    parser.add_argument("--unit-us", type=float, default=0.0, help="the process' CPU per unit of work (us)")
    args = parser.parse_args()
    stacks: list[tuple[list[str], int]] = []
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    # Lines end in "\n" only: a garbled frame may hold a character ``splitlines`` would split at.
    for line in args.profile.read_text(errors="replace").split("\n"):
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        stacks.append((frames, samples))
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    print(f"{args.profile}: {total} samples")
    if args.parts:
        print(f"{'share':>7} {'us/unit':>8}  part of the work")
        for part, samples in parts(stacks, args.parts).most_common():
            share = samples / total
            per = f"{share * args.unit_us:8.0f}" if args.unit_us else f"{'':>8}"
            print(f"{100 * share:6.1f}% {per}  {part}")
        return
    if args.match and args.unit_us:
        through = sum(n for frames, n in stacks if any(args.match in f for f in frames))
        share = through / total if total else 0.0
        cost = share * args.unit_us
        print(f"through {args.match!r}: {100 * share:.1f}% of the samples, {cost:.1f} us per unit")
    print(f"{'incl %':>7} {'self %':>7}  function (file:line)")
    for frame, samples in inclusive.most_common():
        if args.match not in frame:
            continue
        print(f"{100 * samples / total:7.1f} {100 * own[frame] / total:7.1f}  {frame}")
        args.top -= 1
        if args.top == 0:
            break


if __name__ == "__main__":
    main()
