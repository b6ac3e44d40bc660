"""Where a profiled process spent its samples: the functions with the largest share of samples in
which they were on the stack (inclusive) and on top of it (self), from py-spy's collapsed stacks.

    .venv/bin/python bench/hot.py PROFILE.txt [--top 40] [--match TEXT]

``--match`` keeps only frames whose text contains TEXT (a module path, say ``isthmus/``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    print(f"{args.profile}: {total} samples")
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
