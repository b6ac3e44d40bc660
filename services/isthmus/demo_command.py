"""``isthmus demo``: see it work end to end on this machine."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from isthmus import demo


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help="see it work end to end on this machine",
        description="Start the hub in-process (temporary SQLite files, in-process events), three simulated "
        "source systems (ERP, web shop, call center) with overlapping messy data about the same people, "
        "and the three reference connectors; print what came of it.",
    )
    parser.set_defaults(func=_demo)


def _demo(_args: argparse.Namespace) -> Any:
    logging.basicConfig(level=logging.ERROR)
    return _run()


async def _run() -> int:
    summary = await demo.run()
    return 0 if summary["read"] else 1
