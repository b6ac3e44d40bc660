"""Core sub-commands: ``up``, ``serve`` and ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from isthmus.platform import component as components
from isthmus.platform import logs, telemetry
from isthmus.platform.collector import tune_gc
from isthmus.platform.config import ConfigError, Settings, load, lookalikes, require_auth_configured
from isthmus.platform.hub import migrate, running
from isthmus.platform.metrics import serve_metrics
from isthmus.platform.server import stop_signals, until_signalled

log = logging.getLogger("isthmus")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = sub.add_parser(
        "up",
        help="run every service in one process (laptop shape)",
        description="Run all four gRPC services and the connector runtime in one process, on one port. "
        "Uses SQLite files under --data-dir and an in-process event bus, or PostgreSQL/RabbitMQ when "
        "ISTHMUS_DATABASE_URL / ISTHMUS_AMQP_URL are set. Migrations run at start.",
    )
    up.add_argument("--data-dir", type=Path, help="where SQLite files live (default: ./.isthmus)")
    up.add_argument("--grpc-port", type=int, help="gRPC port (default: 50051)")
    up.add_argument("--metrics-port", type=int, help="Prometheus /metrics port (default: 9464; 0 = off)")
    up.add_argument(
        "--console-port", type=int, help="web console port (default: 8080, or ISTHMUS_CONSOLE_PORT; 0 = off)"
    )
    up.add_argument(
        "--no-auth",
        action="store_true",
        help="accept calls without a bearer token (local use only; same as ISTHMUS_AUTH_DISABLED=true)",
    )
    up.set_defaults(func=_up)

    one = sub.add_parser(
        "serve",
        help="run one component (Kubernetes shape)",
        description="Run one component in this process. Needs ISTHMUS_DATABASE_URL and ISTHMUS_AMQP_URL: "
        "components in separate processes can only talk through RabbitMQ. Run `isthmus migrate` first.",
    )
    one.add_argument("component", choices=[*components.REGISTRY, *components.CLIENTS])
    one.set_defaults(func=_serve)

    mig = sub.add_parser(
        "migrate",
        help="create or upgrade database schemas (and, with ISTHMUS_AMQP_URL, declare the event queues)",
        description="Apply Alembic migrations for the named components (default: all). Safe to run again.",
    )
    mig.add_argument("components", nargs="*", metavar="COMPONENT", help=", ".join(components.REGISTRY))
    mig.set_defaults(func=_migrate)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load().with_overrides(
        data_dir=getattr(args, "data_dir", None),
        grpc_port=getattr(args, "grpc_port", None),
        metrics_port=getattr(args, "metrics_port", None),
    )
    if getattr(args, "no_auth", False):
        settings = settings.with_overrides(auth_disabled=True)
    # serve: one component per process, so each is a service of its own in traces.
    component = getattr(args, "component", None)
    telemetry.start(settings, f"isthmus-{component}" if isinstance(component, str) else "isthmus")
    return settings


def _migrate(args: argparse.Namespace) -> int:
    unknown = [n for n in args.components if n not in components.REGISTRY]
    if unknown:
        raise ConfigError(f"unknown component {unknown[0]!r}; choose from {', '.join(components.REGISTRY)}")
    settings = _settings(args)
    names = args.components or list(components.REGISTRY)
    migrate(settings, names)
    log.info("migrated %s", ", ".join(names))
    return 0


async def _run(
    settings: Settings, names: list[str], *, migrate_first: bool, console_port: int | None = 0
) -> None:
    if settings.log_format == "json":
        # What gRPC's C core and other native code print becomes JSON records too.
        logs.capture_foreign_output()
    stopping = stop_signals()
    async with running(settings, names, migrate_first=migrate_first) as hub:
        for typo in lookalikes(settings):  # the components have read their settings by now
            log.warning(typo)
        serve_metrics(settings.metrics_port)
        console = await components.client("console").beside_hub(settings, hub.port, console_port)
        tune_gc()
        try:
            await until_signalled(stopping)
        finally:
            if console is not None:
                await console.stop()


def _up(args: argparse.Namespace) -> int:
    settings = _settings(args)
    require_auth_configured(settings)
    if settings.auth_disabled:
        log.warning("authentication is DISABLED: any caller may read and change data (local use only)")
    asyncio.run(_run(settings, list(components.REGISTRY), migrate_first=True, console_port=args.console_port))
    return 0


def _serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.component in components.CLIENTS:
        # A client of the services (the web console): no database, no broker, no gRPC server.
        asyncio.run(components.client(args.component).serve(settings))
        return 0
    require_auth_configured(settings)
    if settings.amqp_url is None:
        raise ConfigError(
            "ISTHMUS_AMQP_URL is required by `isthmus serve`: components in separate processes talk "
            "only through RabbitMQ (use `isthmus up` to run everything in one process)"
        )
    if settings.database_url is None:
        raise ConfigError("ISTHMUS_DATABASE_URL is required by `isthmus serve` (a postgresql:// URL)")
    asyncio.run(_run(settings, [args.component], migrate_first=False))
    return 0
