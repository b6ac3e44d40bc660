"""``isthmus ARGV`` inside a test's own event loop (``isthmus.cli.main`` would start a loop of its
own), with the root logger put back afterwards: the command configures logging, and its handler
would write to this test's captured stderr, which later tests' threads find closed."""

from __future__ import annotations

import logging
import sys

import isthmus.cli as entry


async def run_cli(argv: list[str]) -> int:
    args = entry.build_parser().parse_args(argv)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return int(await args.func(args) or 0)
    except entry.ConfigError as exc:
        print(f"isthmus: configuration error: {exc}", file=sys.stderr)
        return 2
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
