"""How the command line starts the console: alone (``isthmus serve console``) or beside the hub
(``isthmus up``, ``isthmus demo --serve``). The platform loads this module by name, as it loads
components, since the console is a client of the platform's services, not part of it."""

from __future__ import annotations

import logging
from dataclasses import replace

from isthmus.console import settings as console_settings
from isthmus.console.server import start
from isthmus.platform.config import Settings
from isthmus.platform.server import stop_signals, until_signalled
from isthmus.platform.web import RunningHttp

log = logging.getLogger("isthmus.console")


async def serve(settings: Settings) -> None:
    """Run the console alone until SIGTERM/SIGINT; its secret key must be set (replicas share it)."""
    stopping = stop_signals()
    running = await start(console_settings.load(settings, require_key=True))
    try:
        await until_signalled(stopping)
    finally:
        await running.stop()


async def beside_hub(settings: Settings, grpc_port: int, port: int | None = None) -> RunningHttp | None:
    """Start the console for a hub running in this process on ``grpc_port``; None when its port
    (``port``, else ``ISTHMUS_CONSOLE_PORT``, else 8080) is 0."""
    chosen_port = port if port is not None else console_settings.load(settings, require_key=False).port
    if chosen_port == 0:
        return None
    # The hub just bound its port (possibly a free one picked at random): by default the console
    # calls it there, unless the environment names other addresses.
    chosen = console_settings.load(
        replace(settings, grpc_port=grpc_port), port=chosen_port, require_key=False
    )
    running = await start(chosen)
    if chosen.generated_key:
        log.info("console sessions end when this process stops (no ISTHMUS_CONSOLE_SECRET_KEY set)")
    return running
