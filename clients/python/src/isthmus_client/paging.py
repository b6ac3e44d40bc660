"""Iterate over every item of a paged list RPC (``page_size`` / ``page_token`` / ``next_page_token``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

from google.protobuf.message import Message

R = TypeVar("R", bound=Message)


def _next(page: Any, token: str) -> None:
    page.page_token = token


def _items(response: Message, field: str) -> list[Any]:
    return list(getattr(response, field))


def iterate(method: Callable[..., Any], request: R, field: str, **call: Any) -> Iterator[Any]:
    """Every item of ``field`` over all pages: ``iterate(stub.ListOrders, request, "orders")``.

    ``request`` is not changed; each page asks again with the token the previous one returned.
    ``call`` goes to every call (``timeout=``, ``metadata=``).
    """
    page = type(request)()
    page.CopyFrom(request)
    while True:
        response = method(page, **call)
        yield from _items(response, field)
        if not response.next_page_token:
            return
        _next(page, response.next_page_token)


async def aiterate(
    method: Callable[..., Awaitable[Any]], request: R, field: str, **call: Any
) -> AsyncIterator[Any]:
    """:func:`iterate` for asyncio stubs."""
    page = type(request)()
    page.CopyFrom(request)
    while True:
        response = await method(page, **call)
        for item in _items(response, field):
            yield item
        if not response.next_page_token:
            return
        _next(page, response.next_page_token)
