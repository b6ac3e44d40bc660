"""pika's AsyncioConnection as awaitables: connect, open channels, call AMQP methods, confirm publishes.

Every pika object here lives on the one asyncio loop that created it (pika is not thread-safe), and
each pika callback resolves a future on that loop. A closing channel or connection fails every
future still waiting on it, so no caller hangs on a dead socket.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pika
from pika.adapters.asyncio_connection import AsyncioConnection
from pika.adapters.utils import io_services_utils
from pika.channel import Channel
from pika.spec import Basic

# pika (1.4) sends each buffered frame with a send() of its own: a published message is three frames
# (method, header, body), an ack one, and with TCP_NODELAY each send is a packet the broker reads
# on its own. Sending what has piled up when the socket turns writable in one call costs both sides
# less (docs/decisions/0021-joined-amqp-writes.md). Plain TCP only; pika's TLS transport is left as is.
_JOIN_LIMIT = 1 << 18


def _produce_joined(self: Any) -> None:
    buffers = self._tx_buffers
    while buffers:
        if len(buffers) > 1 and len(buffers[0]) < _JOIN_LIMIT:
            joined, size = [], 0
            while buffers and size < _JOIN_LIMIT:
                size += len(buffers[0])
                joined.append(buffers.popleft())
            buffers.appendleft(b"".join(joined))
        sent = self._sigint_safe_send(self._sock, buffers[0])
        chunk = buffers.popleft()
        if sent < len(chunk):
            buffers.appendleft(chunk[sent:])
        self._tx_buffered_byte_count -= sent


def _join_writes() -> None:
    transport = getattr(io_services_utils, "_AsyncPlaintextTransport", None)
    if transport is not None and hasattr(transport, "_produce") and hasattr(transport, "_sigint_safe_send"):
        transport._produce = _produce_joined


_join_writes()


class AmqpClosed(ConnectionError):
    """The channel or connection closed while an operation was waiting on it."""


class Connection:
    """One AMQP connection; ``closed`` resolves (with the reason) when it goes away."""

    def __init__(self, pika_connection: AsyncioConnection, closed: asyncio.Future[BaseException]) -> None:
        self.pika = pika_connection
        self.closed = closed

    @classmethod
    async def open(cls, url: str, *, name: str) -> Connection:
        loop = asyncio.get_running_loop()
        opened: asyncio.Future[None] = loop.create_future()
        closed: asyncio.Future[BaseException] = loop.create_future()
        params = pika.URLParameters(url)
        params.client_properties = {"connection_name": name}
        params.connection_attempts = 1
        params.socket_timeout = 5

        def on_open(_conn: Any) -> None:
            _resolve(opened, None)

        def on_open_error(_conn: Any, error: BaseException | str) -> None:
            _fail(opened, AmqpClosed(f"cannot connect to RabbitMQ: {error}"))

        def on_close(_conn: Any, reason: BaseException) -> None:
            _fail(opened, AmqpClosed(f"connection closed: {reason}"))
            _resolve(closed, reason)

        conn = AsyncioConnection(params, on_open, on_open_error, on_close, custom_ioloop=loop)
        try:
            await asyncio.wait_for(opened, 10)
        except BaseException:
            if not (conn.is_closed or conn.is_closing):
                conn.close()
            raise
        return cls(conn, closed)

    @property
    def is_open(self) -> bool:
        return bool(self.pika.is_open)

    async def channel(self) -> AsyncChannel:
        loop = asyncio.get_running_loop()
        opened: asyncio.Future[Channel] = loop.create_future()
        self.pika.channel(on_open_callback=lambda ch: _resolve(opened, ch))
        channel = await _wait(opened, self.closed)
        return AsyncChannel(channel, self)

    async def close(self) -> None:
        if self.pika.is_open:
            self.pika.close()
        if not self.closed.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.closed), 5)


class AsyncChannel:
    def __init__(self, channel: Channel, connection: Connection) -> None:
        self.pika = channel
        self.connection = connection
        loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[BaseException] = loop.create_future()
        channel.add_on_close_callback(lambda _ch, reason: _resolve(self.closed, reason))

    @property
    def is_open(self) -> bool:
        return bool(self.pika.is_open) and not self.closed.done()

    async def call(self, method: Callable[..., None], *args: Any, **kwargs: Any) -> Any:
        """Run a synchronous AMQP method (``queue_declare`` ...) and await its ``-Ok`` frame."""
        if not self.is_open:
            raise AmqpClosed("channel is closed")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        method(*args, callback=lambda frame: _resolve(done, frame), **kwargs)
        return await _wait(done, self.closed, self.connection.closed)

    async def close(self) -> None:
        if self.pika.is_open:
            self.pika.close()


class ConfirmingPublisher:
    """Publishes with publisher confirms in a sliding window of unconfirmed messages.

    ``publish`` returns at once with a future that resolves True (ack) or False (nack) once the
    broker confirms; it only waits when ``window`` messages are already unconfirmed.
    """

    def __init__(self, channel: AsyncChannel, window: int) -> None:
        self.channel = channel
        self.window = window
        self._seq = 0
        self._pending: dict[int, asyncio.Future[bool]] = {}
        self._space = asyncio.Event()
        self._space.set()
        channel.closed.add_done_callback(lambda _f: self.fail_all(AmqpClosed("publishing channel closed")))

    @classmethod
    async def open(cls, connection: Connection, window: int) -> ConfirmingPublisher:
        channel = await connection.channel()
        publisher = cls(channel, window)
        await channel.call(channel.pika.confirm_delivery, publisher._on_confirm)
        return publisher

    async def publish(
        self, exchange: str, routing_key: str, body: bytes, properties: pika.BasicProperties
    ) -> asyncio.Future[bool]:
        while len(self._pending) >= self.window:
            self._space.clear()
            await _wait(asyncio.ensure_future(self._space.wait()), self.channel.closed)
        if not self.channel.is_open:
            raise AmqpClosed("publishing channel is closed")
        self.channel.pika.basic_publish(exchange, routing_key, body, properties)
        self._seq += 1
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[self._seq] = future
        return future

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        ack = isinstance(method, Basic.Ack)
        tag = method.delivery_tag
        if method.multiple:
            for seq in [s for s in self._pending if s <= tag]:
                _resolve(self._pending.pop(seq), ack)
        elif tag in self._pending:
            _resolve(self._pending.pop(tag), ack)
        if len(self._pending) < self.window:
            self._space.set()

    def fail_all(self, exc: BaseException) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            _fail(future, exc)
        self._space.set()


async def _wait(future: asyncio.Future[Any], *closers: asyncio.Future[Any]) -> Any:
    """Await ``future`` unless one of ``closers`` (channel or connection closed) resolves first."""
    done, _ = await asyncio.wait([future, *closers], return_when=asyncio.FIRST_COMPLETED)
    if future in done:
        return future.result()
    future.cancel()
    reason = next(iter(done)).result()
    raise AmqpClosed(f"closed while waiting: {reason}")


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
        future.exception()  # mark retrieved: nobody may be waiting any more
