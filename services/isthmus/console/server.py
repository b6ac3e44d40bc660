"""Run the console inside an asyncio program: ``isthmus serve console``, ``isthmus up``, the demo, tests."""

from __future__ import annotations

import logging
from typing import Any

from isthmus.console.app import create_app
from isthmus.console.settings import ConsoleSettings
from isthmus.platform.web import RunningHttp, serve

log = logging.getLogger("isthmus.console")


async def start(settings: ConsoleSettings, *, oidc: Any = None) -> RunningHttp:
    """Start listening; returns once the port is bound (``settings.port`` 0 picks a free one)."""
    if oidc is None and settings.oidc is not None:
        from isthmus.console.oidc import Provider

        oidc = Provider(settings.oidc)
    running = await serve(
        create_app(settings, oidc=oidc),
        settings.host,
        settings.port,
        what="the console",
        choose="choose another with ISTHMUS_CONSOLE_PORT or --console-port (0 turns it off)",
        lifespan="on",
        proxy_headers=True,
    )
    log.info("console listening on http://%s:%d", settings.host, running.port)
    return running
