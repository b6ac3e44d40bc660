"""``isthmus connectors {list,check,preview,sync,state,dlq}``: operate connectors from a shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from isthmus.connectors.bootstrap import MIGRATIONS, build_runtime, instance_env
from isthmus.connectors.channels import HubChannels, HubSettings, hub_settings
from isthmus.connectors.engine import prepare
from isthmus.connectors.hub import HubRefused
from isthmus.connectors.metrics import connector_metrics
from isthmus.connectors.plugins import PluginManager, get_plugin_manager
from isthmus.connectors.runtime import (
    FILE_ENV,
    ConnectorRuntime,
    Instance,
    InstanceBusy,
    InstanceConfigError,
    load_instances,
)
from isthmus.connectors.sdk import BadRecord, Checkpoint, ConfigInvalid, Connector, StreamState, redact
from isthmus.connectors.state import SqlStateStore
from isthmus.kernel.ids import is_uuid
from isthmus.platform import metrics, telemetry
from isthmus.platform.component import Runtime
from isthmus.platform.config import ConfigError, Settings, load
from isthmus.platform.migrations import upgrade


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    top = sub.add_parser(
        "connectors",
        help="list, check and sync connectors; view or change their state",
        description="Operate the connector instances named in ISTHMUS_CONNECTORS_FILE (or --file).",
    )
    top.add_argument("--file", type=Path, help="instances file (default: $ISTHMUS_CONNECTORS_FILE)")
    top.add_argument("--data-dir", type=Path, help="where SQLite files live (embedded mode)")
    cmds = top.add_subparsers(title="commands", metavar="COMMAND")

    cmds.add_parser("list", help="installed connectors and configured instances").set_defaults(func=_list)

    check = cmds.add_parser("check", help="can an instance reach its source? (exit 1 if not)")
    check.add_argument("instance")
    check.set_defaults(func=_check)

    preview = cmds.add_parser(
        "preview",
        help="the first records an instance reads, as the hub would get them, or why not (nothing is stored "
        "or delivered; exit 1 if one would be dead-lettered)",
    )
    preview.add_argument("instance")
    preview.add_argument("--stream", action="append", help="only this stream (repeatable)")
    preview.add_argument("--limit", type=int, default=5, help="records shown a stream (default 5)")
    preview.add_argument(
        "--all", action="store_true", help="read each stream to its end: every dead letter and the counts"
    )
    preview.set_defaults(func=_preview)

    sync = cmds.add_parser("sync", help="sync an instance now, from its stored state")
    sync.add_argument("instance")
    sync.add_argument("--stream", action="append", help="only this stream (repeatable)")
    sync.set_defaults(func=_sync)

    state = cmds.add_parser("state", help="view, set or reset a stream's state")
    state.add_argument("instance")
    state.add_argument("--stream", help="the stream (default: all, for viewing)")
    group = state.add_mutually_exclusive_group()
    group.add_argument(
        "--set", metavar="JSON", help='e.g. \'{"cursor": "2024-05-01T00:00:00+00:00", "tie_breaker": "42"}\''
    )
    group.add_argument("--reset", action="store_true", help="forget the state: the next sync starts over")
    state.set_defaults(func=_state)

    letters = cmds.add_parser("dead-letters", help="the same as dlq list")
    letters.add_argument("instance")
    letters.add_argument("--limit", type=int, default=50)
    letters.set_defaults(func=_dead_letters)

    dlq = cmds.add_parser("dlq", help="records that could not be delivered: list them, replay them")
    verbs = dlq.add_subparsers(title="commands", metavar="COMMAND")
    listing = verbs.add_parser("list", help="open dead letters, oldest first, with the reason")
    listing.add_argument("instance")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(func=_dead_letters)
    replay = verbs.add_parser(
        "replay", help="deliver dead letters again; those the hub accepts now are resolved"
    )
    replay.add_argument("instance")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--id",
        action="append",
        dest="ids",
        metavar="ID",
        help="a letter's id as `dlq list` shows it (repeatable)",
    )
    which.add_argument("--all", action="store_true", help="every open letter of the instance")
    replay.set_defaults(func=_replay)

    def dlq_usage(_args: argparse.Namespace) -> int:
        dlq.print_help()
        return 2

    dlq.set_defaults(func=dlq_usage)

    def usage(_args: argparse.Namespace) -> int:
        top.print_help()
        return 2

    top.set_defaults(func=usage)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load().with_overrides(data_dir=args.data_dir)
    telemetry.start(settings, "isthmus-connectors", log_format="text")
    return settings


def _file(args: argparse.Namespace, settings: Settings) -> Path | None:
    file = args.file or settings.extra.get(FILE_ENV)
    return Path(file) if file else None


def _runtime(
    args: argparse.Namespace, settings: Settings, runtime: Runtime, channels: HubChannels, hub: HubSettings
) -> ConnectorRuntime:
    file = _file(args, settings)
    if file is None:
        raise ConfigError("ISTHMUS_CONNECTORS_FILE (or --file) must name the connector instances file")
    extra = {**settings.extra, FILE_ENV: str(file)}
    return build_runtime(settings.with_overrides(extra=extra), runtime, channels, hub)


def _list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    plugins = get_plugin_manager(settings.extra)
    print("installed connectors:")
    for name, cls in sorted(plugins.connectors().items()):
        streams = ", ".join(s.name for s in cls.streams)
        writes = "  (writes back)" if cls.supports_write else ""
        print(f"  {name:<14} {cls.__module__}  streams: {streams}{writes}")
    try:
        instances = load_instances(_file(args, settings), instance_env(settings))
    except InstanceConfigError as exc:
        raise ConfigError(str(exc)) from None
    print(
        "configured instances:" if instances else "configured instances: none (set ISTHMUS_CONNECTORS_FILE)"
    )
    for inst in instances:
        print(f"  {inst.name:<14} connector={inst.connector} every {inst.schedule_seconds:g}s")
    return 0


def _instance(args: argparse.Namespace) -> tuple[Instance, Connector, PluginManager] | int:
    """The instance named on the command line and its connector, or the exit code saying why not."""
    settings = _settings(args)
    plugins = get_plugin_manager(settings.extra)
    try:
        instances = load_instances(_file(args, settings), instance_env(settings))
        inst = next(i for i in instances if i.name == args.instance)
    except StopIteration:
        print(f"no instance named {args.instance!r}", file=sys.stderr)
        return 2
    except InstanceConfigError as exc:
        raise ConfigError(str(exc)) from None
    try:
        return inst, plugins.connector(inst.connector)(inst.config), plugins
    except ConfigInvalid as exc:
        print(f"{inst.name}: configuration invalid: {exc}")
        return 1


def _check(args: argparse.Namespace) -> int:
    found = _instance(args)
    if isinstance(found, int):
        return found
    inst, connector, _ = found
    try:
        result = connector.check()
    finally:
        connector.close()
    verdict = "OK" if result.ok else f"FAILED: {result.reason}"
    print(f"{inst.name}: {verdict}  config={json.dumps(redact(type(connector), inst.config))}")
    return 0 if result.ok else 1


def _preview(args: argparse.Namespace) -> int:
    """Read each stream from the beginning, as a first sync would, and show its first records as the hub
    would get them (the transforms applied, the canonical schema checked) or why each would be
    dead-lettered: a mapping tried before it is scheduled. Reads the source; stores and delivers
    nothing."""
    found = _instance(args)
    if isinstance(found, int):
        return found
    inst, connector, plugins = found
    offered = type(connector).configured_streams(connector.config)
    streams = [s for s in inst.streams or offered if s in offered and (not args.stream or s in args.stream)]
    letters = 0
    try:
        for stream in streams:
            transforms = plugins.transforms(connector.name, stream, connector.config)
            read = bad = 0
            print(f"{inst.name}/{stream}:")
            items = connector.read(stream, StreamState())
            while True:
                try:
                    item = next(items, None)
                except Exception as exc:  # what would fail the sync: shown, and the next stream tried
                    letters += 1
                    print(f"  the read failed: {type(exc).__name__}: {exc}")
                    break
                if item is None:
                    break
                if isinstance(item, Checkpoint):
                    continue
                if isinstance(item, BadRecord):
                    record, reason = None, item.reason
                else:
                    record, reason = prepare(stream, item, transforms)
                read += 1
                if record is None:
                    bad += 1
                    print(f"  dead letter: {reason}")
                elif read - bad <= args.limit:
                    print("  " + json.dumps(record, ensure_ascii=False, sort_keys=True))
                if not args.all and read >= args.limit:
                    break
            letters += bad
            if args.all or not read:
                print(f"  {read} read, {read - bad} as the hub would get them, {bad} dead-lettered")
    finally:
        connector.close()
    return 1 if letters else 0


async def _with_runtime(args: argparse.Namespace, settings: Settings, action: Any) -> int:
    upgrade(settings, "connectors", [MIGRATIONS])
    runtime = Runtime(settings)
    hub = hub_settings(settings)
    channels = HubChannels(hub)
    try:
        connectors = _runtime(args, settings, runtime, channels, hub)
        try:
            return int(await action(connectors) or 0)
        finally:
            connectors.close()
    except (InstanceConfigError, KeyError) as exc:
        raise ConfigError(str(exc)) from None
    finally:
        await channels.close()
        await runtime.close()


def _sync(args: argparse.Namespace) -> Any:
    settings = _settings(args)

    async def action(connectors: ConnectorRuntime) -> int:
        try:
            results = await connectors.sync(args.instance, args.stream)
        except InstanceBusy as exc:
            print(str(exc), file=sys.stderr)
            return 1
        except HubRefused as exc:  # a configuration error: loud, and nothing was set aside or moved
            raise ConfigError(f"{exc} (the sync position is unchanged)") from None
        finally:
            _push_metrics(settings, args.instance)
        for r in results:
            print(
                f"{args.instance}/{r.stream}: read {r.read}, accepted {r.accepted}, rejected {r.rejected}, "
                f"state {json.dumps(r.state.to_json())}"
            )
        return 0

    return _with_runtime(args, settings, action)


def _push_metrics(settings: Settings, instance: str) -> None:
    """The run's figures to the Pushgateway, if one is configured: this process ends before a scrape."""
    if settings.metrics_pushgateway is None:
        return
    try:
        metrics.push(
            settings.metrics_pushgateway,
            "isthmus-connectors-sync",
            {"connector_instance": instance},
            connector_metrics().collectors(),
        )
    except OSError as exc:
        print(f"isthmus: could not push metrics to {settings.metrics_pushgateway}: {exc}", file=sys.stderr)


def _state(args: argparse.Namespace) -> Any:
    settings = _settings(args)

    async def action(connectors: ConnectorRuntime) -> int:
        store = connectors.syncer.store
        assert isinstance(store, SqlStateStore)
        streams = [args.stream] if args.stream else connectors.streams(args.instance)
        if args.set is not None or args.reset:
            if not args.stream:
                raise ConfigError("--set and --reset need --stream")
            if args.reset:
                await store.reset_state(args.instance, args.stream)
            else:
                try:
                    await store.set_state(
                        args.instance, args.stream, StreamState.from_json(json.loads(args.set))
                    )
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"--set is not valid JSON: {exc.msg}") from None
        for stream in streams:
            state = await store.get_state(args.instance, stream)
            print(f"{args.instance}/{stream}: {json.dumps(state.to_json())}")
        return 0

    return _with_runtime(args, settings, action)


def _dead_letters(args: argparse.Namespace) -> Any:
    settings = _settings(args)

    async def action(connectors: ConnectorRuntime) -> int:
        store = connectors.syncer.store
        assert isinstance(store, SqlStateStore)
        connectors.instance(args.instance)
        for letter in await store.dead_letters(args.instance, args.limit):
            print(f"{letter.dead_letter_id} {letter.stream} key={letter.record_key!r}: {letter.reason}")
        return 0

    return _with_runtime(args, settings, action)


def _replay(args: argparse.Namespace) -> Any:
    settings = _settings(args)

    async def action(connectors: ConnectorRuntime) -> int:
        bad = [i for i in args.ids or () if not is_uuid(i)]
        if bad:
            raise ConfigError(f"--id {bad[0]!r}: expected a dead letter's id as `dlq list` shows it (a UUID)")
        try:
            result = await connectors.replay(args.instance, None if args.all else args.ids)
        except InstanceBusy as exc:
            print(str(exc), file=sys.stderr)
            return 1
        except HubRefused as exc:
            raise ConfigError(f"{exc} (no dead letter changed)") from None
        for letter in result.failed:
            key = f"key={letter.record_key!r}"
            print(f"{letter.dead_letter_id} {letter.stream} {key} still refused: {letter.reason}")
        print(f"{args.instance}: {len(result.resolved)} resolved, {len(result.failed)} still refused")
        return 0 if not result.failed else 1

    return _with_runtime(args, settings, action)
