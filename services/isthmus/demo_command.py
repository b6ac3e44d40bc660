"""``isthmus demo``: see it work end to end on this machine."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from isthmus import demo
from isthmus.platform.config import ConfigError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help="see it work end to end on this machine",
        description="Start the hub in-process (temporary SQLite files, in-process events), three simulated "
        "source systems (ERP, web shop, call center) with overlapping messy data about the same people, "
        "and the three reference connectors; print what came of it.",
    )
    parser.add_argument(
        "--deployed",
        action="store_true",
        help="run against deployed components: the APIs, TLS and token that this process's "
        "ISTHMUS_CONNECTORS_* settings name, connector state in ISTHMUS_DATABASE_URL (the Tilt loop "
        "runs it in the connectors pod)",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="keep the hub running afterwards and serve the web console on it (until Ctrl-C)",
    )
    parser.add_argument("--console-port", type=int, help="with --serve: the console's port (default 8080)")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> Any:
    logging.basicConfig(level=logging.ERROR)
    if args.deployed and args.serve:
        raise ConfigError("--serve runs the hub in this process; it does not go with --deployed")
    return _run(args.deployed, args.serve, args.console_port)


async def _run(deployed: bool, serve: bool, console_port: int | None) -> int:
    if deployed:
        summary = await demo.run_deployed()
    else:
        summary = await demo.run(serve=serve, console_port=console_port)
    return 0 if summary["read"] and not summary["refused"] else 1
