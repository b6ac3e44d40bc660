"""``aio_connect``'s channel: the token on every kind of call, a generated request_id on unary writes,
the caller's own metadata and interceptors kept, and the channel's own life cycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import grpc.aio
import pytest

from isthmus_client import aio_connect
from isthmus_client.api.orders.v1 import orders_pb2

TOKEN = "client-channel-token-0123456789"
PAY = orders_pb2.PayOrderRequest


def _header(context: grpc.aio.ServicerContext, key: str) -> str:
    return next((str(v) for k, v in context.invocation_metadata() or () if k == key), "-")


def _seen(context: grpc.aio.ServicerContext) -> bytes:
    return f"{_header(context, 'authorization')}|{_header(context, 'x-caller')}".encode()


async def _unary(request: orders_pb2.PayOrderRequest, context: grpc.aio.ServicerContext) -> bytes:
    return _seen(context) + f"|{request.request_id or '-'}".encode()


async def _unary_stream(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    for _ in range(2):
        yield _seen(context)


async def _stream_unary(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
    count = len([r async for r in requests])
    return _seen(context) + f"|{count}".encode()


async def _stream_stream(
    requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext
) -> AsyncIterator[bytes]:
    async for _ in requests:
        yield _seen(context)


_HANDLERS = {
    "UU": grpc.unary_unary_rpc_method_handler(_unary, request_deserializer=PAY.FromString),
    "US": grpc.unary_stream_rpc_method_handler(_unary_stream),
    "SU": grpc.stream_unary_rpc_method_handler(_stream_unary),
    "SS": grpc.stream_stream_rpc_method_handler(_stream_stream),
}


@pytest.fixture(scope="module")
async def target() -> AsyncIterator[str]:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("t.T", _HANDLERS),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}"
    await server.stop(None)


def _calls(channel: grpc.aio.Channel) -> dict[str, Any]:
    return {
        "UU": channel.unary_unary(
            "/t.T/UU", request_serializer=PAY.SerializeToString, response_deserializer=bytes.decode
        ),
        "US": channel.unary_stream("/t.T/US", response_deserializer=bytes.decode),
        "SU": channel.stream_unary("/t.T/SU", response_deserializer=bytes.decode),
        "SS": channel.stream_stream("/t.T/SS", response_deserializer=bytes.decode),
    }


async def _requests(n: int) -> AsyncIterator[bytes]:
    for _ in range(n):
        yield b""


async def test_every_kind_of_call_carries_the_token_and_the_callers_metadata(target: str) -> None:
    mine = (("x-caller", "me"),)
    async with aio_connect(target, token=TOKEN) as channel:
        calls = _calls(channel)
        unary = await calls["UU"](PAY(order_id="o-1"), metadata=mine)
        streamed = [r async for r in calls["US"](b"", metadata=grpc.aio.Metadata(*mine))]
        sent = await calls["SU"](_requests(3), metadata=mine)
        by_position = await calls["SU"](_requests(1), 10.0, mine)  # grpc.aio's stream calls allow it
        both = [r async for r in calls["SS"](_requests(2))]
    bearer = f"Bearer {TOKEN}"
    assert unary.startswith(f"{bearer}|me|")
    assert streamed == [f"{bearer}|me"] * 2
    assert sent == f"{bearer}|me|3"
    assert by_position == f"{bearer}|me|1"
    assert both == [f"{bearer}|-"] * 2, "no metadata of the caller's: the token alone"


async def test_a_unary_write_gets_a_fresh_request_id_unless_it_has_one(target: str) -> None:
    request = PAY(order_id="o-1")
    async with aio_connect(target, token=TOKEN) as channel:
        call = _calls(channel)["UU"]
        first, second = [(await call(request)).rsplit("|", 1)[1] for _ in range(2)]
        given = (await call(PAY(order_id="o-1", request_id="mine"))).rsplit("|", 1)[1]
    assert first != "-" and second != "-" and first != second, "each call its own id"
    assert not request.request_id, "the caller's message is left as it was"
    assert given == "mine"


async def test_without_token_or_request_ids_nothing_is_added(target: str) -> None:
    async with aio_connect(target, request_ids=False) as channel:
        assert await _calls(channel)["UU"](PAY(order_id="o-1")) == "-|-|-"
    async with aio_connect(target) as channel:
        seen = await _calls(channel)["UU"](PAY(order_id="o-1"))
    assert seen.startswith("-|-|") and not seen.endswith("|-"), "an id, but no token"
    async with aio_connect(target, token=TOKEN, request_ids=False) as channel:
        assert await _calls(channel)["UU"](PAY(order_id="o-1")) == f"Bearer {TOKEN}|-|-", "a token, no id"


class _Tagging(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds a header of its own and notes the metadata each call had when it reached it."""

    def __init__(self) -> None:
        self.seen: list[tuple[tuple[str, Any], ...]] = []

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        self.seen.append(tuple(details.metadata or ()))
        metadata = grpc.aio.Metadata(*(details.metadata or ()), ("x-caller", "interceptor"))
        details = grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )
        return await continuation(details, request)


async def test_the_callers_interceptors_run_and_see_the_call_as_sent(target: str) -> None:
    tagging = _Tagging()
    async with aio_connect(target, token=TOKEN, interceptors=[tagging]) as channel:
        answer = await _calls(channel)["UU"](PAY(order_id="o-1"))
    assert answer.startswith(f"Bearer {TOKEN}|interceptor|")
    assert ("authorization", f"Bearer {TOKEN}") in tagging.seen[0]


async def test_the_channel_connects_and_closes_as_grpcs_own(target: str) -> None:
    channel = aio_connect(target, token=TOKEN)
    assert channel.get_state() is grpc.ChannelConnectivity.IDLE
    await channel.channel_ready()
    assert channel.get_state(try_to_connect=True) is grpc.ChannelConnectivity.READY
    await channel.close()
    with pytest.raises(grpc.aio.UsageError):
        await _calls(channel)["UU"](PAY(order_id="o-1"))
    async with aio_connect(target, token=TOKEN) as channel:
        await _calls(channel)["UU"](PAY(order_id="o-1"))
    with pytest.raises(grpc.aio.UsageError):
        await _calls(channel)["UU"](PAY(order_id="o-1"))
