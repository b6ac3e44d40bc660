"""``isthmus dlq list`` and ``isthmus dlq replay``: dead letters of every component, in its own schema.

A dead letter is named by its ``dead_letter_id``, the UUIDv7 minted when it was stored (the same id
``OperationsService`` and the web console show), and listed with the consuming component that holds it
in its ``dead_letters`` table. Replay marks rows; the running consumer of that queue redelivers each
one to its queue only (other subscribers of the event are not bothered) and deletes the row, so
replay works the same for the RabbitMQ and the in-process bus.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.kernel.ids import is_uuid
from isthmus.platform import db
from isthmus.platform.config import ConfigError, Settings
from isthmus.platform.events.bus import request_replay
from isthmus.platform.events.tables import dead_letters, name_dead_letters
from isthmus.platform.progress import Progress


@dataclass(frozen=True)
class DeadLetter:
    dead_letter_id: str
    component: str
    queue: str
    event_id: str | None
    routing_key: str
    attempts: int
    dead_at: datetime
    reason: str
    last_error: str | None
    replay_requested: bool


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = sub.add_parser(
        "dlq",
        help="list and replay dead-lettered events",
        description="Dead letters are events a consumer gave up on (after retries) or could not decode, "
        "kept with the reason and the last error in the consuming component's schema.",
    )
    verbs = dlq.add_subparsers(title="commands", metavar="COMMAND")
    ls = verbs.add_parser("list", help="show dead letters, oldest first")
    ls.add_argument("--component", action="append", help="only this component (repeatable)")
    ls.add_argument("--json", action="store_true", help="one JSON object per line, with the last error")
    ls.set_defaults(func=_list)
    replay = verbs.add_parser(
        "replay",
        help="redeliver dead letters to their queue",
        description="Mark dead letters for replay; the running consumer redelivers them to its queue "
        "within about a second and deletes them. An event that was handled meanwhile has no second effect.",
    )
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--id",
        action="append",
        metavar="ID",
        help="a dead letter's id as `isthmus dlq list` shows it, optionally COMPONENT:ID (repeatable)",
    )
    which.add_argument("--all", action="store_true", help="every dead letter (of --component, if given)")
    replay.add_argument("--component", action="append", help="with --all: only this component")
    replay.add_argument(
        "--wait",
        action="store_true",
        help="follow the redelivery, with progress, until every marked dead letter is gone (or --timeout)",
    )
    replay.add_argument("--timeout", type=float, default=600.0, help="with --wait: give up after SECONDS")
    replay.set_defaults(func=_replay)

    def usage(_args: argparse.Namespace) -> int:
        dlq.print_help()
        return 2

    dlq.set_defaults(func=usage)

    bridge = sub.add_parser(
        "nameko-bridge",
        help="re-publish events for nameko services (opt-in)",
        description="Consume the chosen events from isthmus.events (queue isthmus.nameko-bridge) and "
        "re-publish each as JSON on the topic exchange <service>.events with the event type as routing "
        'key, so a nameko service can subscribe with @event_handler("<service>", "orders.OrderPaid"). '
        "Needs ISTHMUS_AMQP_URL. Runs until SIGTERM/SIGINT.",
    )
    bridge.add_argument(
        "--events", action="append", required=True, metavar="ROUTING_KEY", help="e.g. orders.* (repeatable)"
    )
    bridge.add_argument("--service", default="isthmus_bridge", help="nameko source service name")
    bridge.set_defaults(func=_nameko_bridge)


def component_schemas(names: Sequence[str] | None = None) -> dict[str, str]:
    from isthmus.platform import component as components

    chosen = list(names or components.REGISTRY)
    unknown = [n for n in chosen if n not in components.REGISTRY]
    if unknown:
        raise ConfigError(f"unknown component {unknown[0]!r}; choose from {', '.join(components.REGISTRY)}")
    return {name: components.load(name).schema for name in chosen}


async def list_dead_letters(settings: Settings, schemas: dict[str, str]) -> list[DeadLetter]:
    found: list[DeadLetter] = []
    for component, engine in _engines(settings, schemas):
        try:
            async with engine.begin() as conn:
                await name_dead_letters(conn)
                rows = (await conn.execute(select(dead_letters).order_by(dead_letters.c.id))).all()
        except DBAPIError as exc:
            if _missing_table(exc):
                continue  # this component keeps no event tables (yet)
            raise
        finally:
            await engine.dispose()
        found += [_dead_letter(component, r) for r in rows]
    return sorted(found, key=lambda d: d.dead_at)


async def replay(settings: Settings, schemas: dict[str, str], names: Sequence[str] | None) -> int:
    """Mark the named dead letters (``dead_letter_id``, or ``component:dead_letter_id`` to look in one
    component only), or all of ``schemas`` when ``names`` is None."""
    wanted: dict[str, list[str] | None] = dict.fromkeys(schemas)
    if names is not None:
        anywhere: list[str] = []
        named: dict[str, list[str]] = {}
        for name in names:
            component, _, dead_letter_id = name.rpartition(":")
            if not is_uuid(dead_letter_id) or (component and component not in schemas):
                raise ConfigError(
                    f"--id {name!r}: expected a dead letter's id as `isthmus dlq list` shows it "
                    "(a UUID), optionally COMPONENT:ID"
                )
            (named.setdefault(component, []) if component else anywhere).append(dead_letter_id)
        wanted = {c: [*named.get(c, []), *anywhere] for c in schemas if anywhere or c in named}
    total = 0
    for component, engine in _engines(settings, {c: schemas[c] for c in wanted}):
        try:
            total += await request_replay(engine, wanted[component])
        except DBAPIError as exc:
            if not _missing_table(exc):
                raise
        finally:
            await engine.dispose()
    return total


def _engines(settings: Settings, schemas: dict[str, str]) -> list[tuple[str, AsyncEngine]]:
    engines = []
    for component, schema in schemas.items():
        if settings.database_url is None and not (Path(settings.data_dir) / f"{schema}.sqlite").exists():
            continue  # never started: nothing to list, and no empty file to leave behind
        engines.append((component, db.async_engine(settings, schema)))
    return engines


def _missing_table(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return "no such table" in text or "does not exist" in text


def _dead_letter(component: str, row: Any) -> DeadLetter:
    return DeadLetter(
        dead_letter_id=row.dead_letter_id,
        component=component,
        queue=row.consumer,
        event_id=row.event_id,
        routing_key=row.routing_key,
        attempts=row.attempts,
        dead_at=row.dead_at,
        reason=row.reason,
        last_error=row.last_error,
        replay_requested=row.replay_requested_at is not None,
    )


def _settings(args: argparse.Namespace) -> Settings:
    from isthmus.platform.commands import _settings as settings_from

    return settings_from(args)


async def _list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    letters = await list_dead_letters(settings, component_schemas(args.component))
    if args.json:
        for d in letters:
            entry = {**d.__dict__, "dead_at": d.dead_at.isoformat()}
            print(json.dumps(entry))
        return 0
    if not letters:
        print("no dead letters")
        return 0
    print(f"{'ID':<36}  {'COMPONENT':<16} {'QUEUE':<34} {'EVENT':<28} {'TRIES':>5}  {'DEAD AT':<19}  REASON")
    for d in letters:
        mark = " (replay pending)" if d.replay_requested else ""
        reason = d.reason if len(d.reason) <= 80 else d.reason[:77] + "..."
        dead_at = d.dead_at.strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{d.dead_letter_id:<36}  {d.component:<16} {d.queue:<34} {d.routing_key:<28} {d.attempts:>5}  "
            f"{dead_at}  {reason}{mark}"
        )
    return 0


async def _replay(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.all:
        schemas = component_schemas(args.component)
        count = await replay(settings, schemas, None)
    else:
        schemas = component_schemas(None)
        count = await replay(settings, schemas, args.id)
    print(f"replay requested for {count} dead letter(s); running consumers redeliver them within a second")
    if args.id and count < len(args.id):
        print(f"isthmus: {len(args.id) - count} of the given ids were not found", file=sys.stderr)
        return 1
    if args.wait and count:
        return await _follow_replay(settings, schemas, count, args.timeout)
    return 0


async def _follow_replay(settings: Settings, schemas: dict[str, str], count: int, limit: float) -> int:
    """Report the redelivery as the running consumers work through the marked dead letters."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    with Progress("replay dead letters", total=count, unit="events") as progress:
        while True:
            waiting = await replays_pending(settings, schemas)
            progress.advance(max(0, count - waiting - progress.done))
            if waiting == 0:
                return 0
            if loop.time() >= deadline:
                print(
                    f"isthmus: {waiting} dead letter(s) still wait for their consumer after {limit:g} s: "
                    "is the consuming component running?",
                    file=sys.stderr,
                )
                return 1
            await asyncio.sleep(0.5)


async def replays_pending(settings: Settings, schemas: dict[str, str]) -> int:
    """Dead letters marked for replay and not yet redelivered, in all of ``schemas``."""
    total = 0
    for _component, engine in _engines(settings, schemas):
        try:
            async with engine.connect() as conn:
                query = select(func.count()).where(dead_letters.c.replay_requested_at.is_not(None))
                total += int((await conn.execute(query)).scalar() or 0)
        except DBAPIError as exc:
            if not _missing_table(exc):
                raise
        finally:
            await engine.dispose()
    return total


async def _nameko_bridge(args: argparse.Namespace) -> int:
    from isthmus.platform.events.nameko_bridge import NamekoBridge
    from isthmus.platform.server import stop_signals, until_signalled

    stopping = stop_signals()
    settings = _settings(args)
    if settings.amqp_url is None:
        raise ConfigError("ISTHMUS_AMQP_URL is required by `isthmus nameko-bridge`")
    bridge = NamekoBridge(settings.amqp_url, args.events, service=args.service)
    task = asyncio.create_task(bridge.run())
    try:
        await until_signalled(stopping)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return 0
