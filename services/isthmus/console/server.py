"""Run the console inside an asyncio program: ``isthmus serve console``, ``isthmus up``, the demo, tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import uvicorn

from isthmus.console.app import create_app
from isthmus.console.settings import ConsoleSettings
from isthmus.platform.config import ConfigError

log = logging.getLogger("isthmus.console")


class _Server(uvicorn.Server):
    # The program that embeds the console owns SIGTERM/SIGINT and stops the console itself.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class RunningConsole:
    def __init__(self, server: _Server, task: asyncio.Task[None]) -> None:
        self._server = server
        self._task = task

    @property
    def port(self) -> int:
        sockets = [s for server in self._server.servers for s in server.sockets]
        return int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        self._server.should_exit = True
        await self._task


async def start(settings: ConsoleSettings, *, oidc: Any = None) -> RunningConsole:
    """Start listening; returns once the port is bound (``settings.port`` 0 picks a free one)."""
    if oidc is None and settings.oidc is not None:
        from isthmus.console.oidc import Provider

        oidc = Provider(settings.oidc)
    config = uvicorn.Config(
        create_app(settings, oidc=oidc),
        host=settings.host,
        port=settings.port,
        log_config=None,  # the process' JSON logging (platform.logs) applies
        access_log=False,
        lifespan="on",
        proxy_headers=True,
        server_header=False,
    )
    server = _Server(config)
    try:
        # Bound here, so that a taken port is a clear error and not uvicorn's exit of the process.
        sock = config.bind_socket()
    except SystemExit:
        raise ConfigError(
            f"the console cannot listen on {settings.host}:{settings.port} (is the port taken?); "
            "choose another with ISTHMUS_CONSOLE_PORT or --console-port (0 turns it off)"
        ) from None
    task = asyncio.create_task(server.serve(sockets=[sock]), name="console")
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the console stopped while starting")
        await asyncio.sleep(0.02)
    running = RunningConsole(server, task)
    log.info("console listening on http://%s:%d", settings.host, running.port)
    return running
