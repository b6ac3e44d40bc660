"""The ``isthmus`` command line."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence

from isthmus import __version__
from isthmus.platform.config import ConfigError

# Modules that add sub-commands: each has ``register(subparsers)`` and sets ``func`` on its parsers.
COMMAND_MODULES = [
    "isthmus.platform.commands",
    "isthmus.platform.healthcheck",
    "isthmus.platform.events.cli",
    "isthmus.connectors.commands",
    "isthmus.customers.commands",
    "isthmus.value.commands",
    "isthmus.demo_command",
]

DESCRIPTION = """\
Isthmus joins the systems that each keep their own copy of "the customer" (ERP, web shop,
call center) into one golden customer with full history, served over gRPC.

Start here:
  isthmus demo                     see it work end to end on this machine
  isthmus demo --serve             ... then keep it running, with the web console on :8080
  isthmus up --no-auth             run every service in one process (SQLite, in-process events)
  isthmus serve orders             run one component (the Kubernetes shape; also: serve console)
  isthmus migrate                  create or upgrade the database schemas

Configuration comes from ISTHMUS_* environment variables (see docs/configuration.md), e.g.
ISTHMUS_DATABASE_URL=postgresql://... and ISTHMUS_AMQP_URL=amqp://... for production backends.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="isthmus", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"isthmus {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        result = args.func(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return int(result or 0)
    except ConfigError as exc:
        print(f"isthmus: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
