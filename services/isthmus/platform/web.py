"""An HTTP app served inside an asyncio program (uvicorn), stopped by the program that runs it: the
web console, the connectors' webhook endpoint."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn

from isthmus.platform.config import ConfigError


class _Server(uvicorn.Server):
    # The program that embeds the app owns SIGTERM/SIGINT and stops it itself.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class RunningHttp:
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


async def serve(app: Any, host: str, port: int, *, what: str, choose: str, **options: Any) -> RunningHttp:
    """Start listening; returns once the port is bound (``port`` 0 picks a free one). ``what`` names
    the app and ``choose`` where another port is set, for the error when the port is taken."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # the process' JSON logging (platform.logs) applies
        access_log=False,
        server_header=False,
        **options,
    )
    server = _Server(config)
    try:
        # Bound here, so that a taken port is a clear error and not uvicorn's exit of the process.
        sock = config.bind_socket()
    except SystemExit:
        raise ConfigError(f"{what} cannot listen on {host}:{port} (is the port taken?); {choose}") from None
    task = asyncio.create_task(server.serve(sockets=[sock]), name=what)
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError(f"{what} stopped while starting")
        await asyncio.sleep(0.02)
    return RunningHttp(server, task)
