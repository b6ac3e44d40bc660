"""Safe retries by ``request_id`` (house rule 4 in docs/api.md, AIP-155).

A write that carries a ``request_id`` is remembered with its response, in the write's own transaction,
in the component's ``request_ids`` table: the same request again returns the first response with
``outcome`` ``REPLAYED``; a different request under the same id is ``ALREADY_EXISTS`` naming the
first field that differs. The rpc is named by its request message (one per rpc, house rule 3); the
request is compared without its ``request_id`` and ``actor`` (who retried is not a difference).

Two attempts of one request at the same moment both miss, and the second to commit finds the first's
row: ``ABORTED``, and its retry replays. Rows older than :data:`RETENTION` are purged, at most once an
hour per database, by the process that remembers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from google.protobuf import message_factory
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from isthmus.kernel.errors import Conflict, DomainError, InvalidArgument, key_reused
from isthmus.kernel.idempotency import REPLAYED, first_difference
from isthmus.platform.events.tables import request_ids
from isthmus.platform.sql import any_of, insert_many

M = TypeVar("M", bound=Message)

RETENTION = timedelta(days=7)
PURGE_EVERY = 3600.0
MAX_LENGTH = 128
# Not part of what is compared: the id itself, and who sent the request.
_NOT_COMPARED = ("request_id", "actor")

log = logging.getLogger("isthmus.requests")
# One statement for any batch (a list parameter each, not a tuple IN rendered per batch size); the
# rows it finds beyond the wanted pairs (an id sent to two rpcs) are left out by the caller.
_RECALL = select(
    request_ids.c.method, request_ids.c.request_id, request_ids.c.request, request_ids.c.response
).where(any_of(request_ids.c.method, "methods"), any_of(request_ids.c.request_id, "ids"))
_last_purge: dict[int, float] = {}


def request_id(request: Message) -> str:
    """The request's ``request_id`` ("" when it has none), checked: at most 128 printable ASCII."""
    value: str = getattr(request, "request_id", "")
    # Printable ASCII without spaces: "!" to "~" (``isprintable`` of ASCII admits the space too).
    if value and (len(value) > MAX_LENGTH or not (value.isascii() and value.isprintable()) or " " in value):
        raise InvalidArgument("request_id", f"at most {MAX_LENGTH} printable ASCII characters, no spaces")
    return value


def require_request_id(request: Message) -> str:
    """For the writes that move value and have no version to stop a double (RedeemPoints, AdjustPoints)."""
    value = request_id(request)
    if not value:
        raise InvalidArgument("request_id", "required: a unique id for this request, sent again on a retry")
    return value


def fingerprint(request: Message) -> bytes:
    """What a retry is compared by: the request, deterministically serialized, without its
    ``request_id`` and ``actor``."""
    copy = type(request)()
    copy.CopyFrom(request)
    for name in _NOT_COMPARED:
        if name in copy.DESCRIPTOR.fields_by_name:
            copy.ClearField(name)
    return copy.SerializeToString(deterministic=True)


def _method(request: Message) -> str:
    return str(request.DESCRIPTOR.full_name)


def _rpc(request: Message) -> str:
    return str(request.DESCRIPTOR.name).removesuffix("Request")


def key(request: Message) -> tuple[str, str]:
    """What a request is remembered by: its rpc (the request message's name) and ``request_id``."""
    return _method(request), request_id(request)


def check_same(first: Message, again: Message) -> None:
    """``ALREADY_EXISTS`` naming the first difference unless ``again`` repeats ``first`` (two requests
    of one batch under one ``request_id``)."""
    compare(again, fingerprint(first))


def compare(request: Message, stored: bytes) -> None:
    """``ALREADY_EXISTS`` naming the first differing field unless ``request`` is the one whose
    :func:`fingerprint` is ``stored``."""
    if stored == fingerprint(request):
        return
    first = type(request)()
    first.ParseFromString(stored)
    given = type(request)()
    given.ParseFromString(fingerprint(request))
    as_dict: Callable[[Message], dict[str, Any]] = lambda m: MessageToDict(  # noqa: E731
        m, preserving_proto_field_name=True
    )
    field = first_difference(as_dict(first), as_dict(given)) or ""
    raise key_reused(
        f"request_id {request_id(request)!r} was used for a different {_rpc(request)} request"
        + (f": {field} differs" if field else ""),
        field,
    )


def _replayed(response: M) -> M:
    if "outcome" in response.DESCRIPTOR.fields_by_name:
        response.outcome = REPLAYED  # type: ignore[attr-defined]
    return response


async def recall(session: AsyncSession, request: Message, response_type: type[M]) -> M | None:
    """The first response to this request, replayed; None when its ``request_id`` is new or empty.
    Raises ``ALREADY_EXISTS`` when the id came with a different request."""
    found = (await recall_many(session, [request], response_type))[0]
    if isinstance(found, DomainError):
        raise found
    return found


async def recall_many(
    session: AsyncSession, requests: Sequence[Message], response_type: type[M]
) -> list[M | DomainError | None]:
    """:func:`recall` for the requests of a batch in one query: per request its replayed response,
    None, or the ``ALREADY_EXISTS`` it alone fails with."""
    keys = [key(r) for r in requests]
    wanted = [k for k in keys if k[1]]
    if not wanted:
        return [None] * len(requests)
    params = {"methods": sorted({m for m, _ in wanted}), "ids": [i for _, i in wanted]}
    rows = (await session.execute(_RECALL, params)).all()
    stored = {(row.method, row.request_id): (row.request, row.response) for row in rows}
    out: list[M | DomainError | None] = []
    for request, wanted_key in zip(requests, keys, strict=True):
        if wanted_key not in stored:
            out.append(None)
            continue
        first_request, first_response = stored[wanted_key]
        try:
            compare(request, first_request)
        except DomainError as exc:
            out.append(exc)
            continue
        response = response_type()
        response.ParseFromString(first_response)
        out.append(_replayed(response))
    return out


async def remember(session: AsyncSession, request: Message, response: Message) -> None:
    """Keeps ``response`` as the answer to ``request`` (nothing when it has no ``request_id``)."""
    await remember_many(session, [(request, response)])


async def remember_many(session: AsyncSession, pairs: Sequence[tuple[Message, Message]]) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "method": _method(request),
            "request_id": request_id(request),
            "request": fingerprint(request),
            "response": response.SerializeToString(deterministic=True),
            "create_time": now,
        }
        for request, response in pairs
        if request_id(request)
    ]
    if not rows:
        return
    try:
        await insert_many(session, request_ids, rows)
    except IntegrityError:
        raise Conflict(
            "a concurrent request with the same request_id was applied first; retry to get its response"
        ) from None
    _purge_now_and_then(session.bind)


class BatchAnswers(Generic[M]):
    """The ``request_id`` s of a group-commit batch: which commands repeat an earlier request (their
    first answer, read for the whole batch in one query), which repeat a command earlier in the same
    batch (a retry racing its first attempt), and the new answers, remembered in one INSERT.

    ``requests`` holds, per command of the batch, the request it came with (None: no request).
    """

    def __init__(self, session: AsyncSession, requests: Sequence[Message | None]) -> None:
        self.session = session
        self.requests = [r if r is not None and request_id(r) else None for r in requests]
        self._stored: list[M | DomainError | None] = [None] * len(self.requests)
        self._given: dict[tuple[str, str], tuple[Message, M]] = {}
        self._new: list[tuple[Message, Message]] = []

    @classmethod
    async def read(
        cls, session: AsyncSession, answer_type: type[M], requests: Sequence[Message | None]
    ) -> BatchAnswers[M]:
        """The batch's answers, its stored ones read."""
        answers = cls(session, requests)
        sent = [r for r in answers.requests if r is not None]
        found = iter(await recall_many(session, sent, answer_type))
        answers._stored = [next(found) if r is not None else None for r in answers.requests]
        return answers

    def earlier(self, index: int) -> M | DomainError | None:
        """The answer command ``index`` already has (stored, or given to the same request earlier in
        this batch), ``ALREADY_EXISTS`` if its ``request_id`` came with a different request, or None."""
        request = self.requests[index]
        if request is None:
            return None
        if self._stored[index] is not None:
            return self._stored[index]
        twin = self._given.get(key(request))
        if twin is None:
            return None
        try:
            check_same(twin[0], request)
        except DomainError as exc:
            return exc
        return twin[1]

    def replayed(self, index: int) -> tuple[M, bool] | DomainError | None:
        """:meth:`earlier` as a command's outcome: ``(answer, True)`` for a repeat, the error, or None."""
        found = self.earlier(index)
        return found if found is None or isinstance(found, DomainError) else (found, True)

    def answered(self, index: int, answer: M) -> None:
        """Command ``index`` was applied: its answer is remembered with the batch."""
        request = self.requests[index]
        if request is not None:
            self._given[key(request)] = (request, answer)
            self._new.append((request, answer))

    async def remember(self) -> None:
        await remember_many(self.session, self._new)


def response_type(request: Message) -> type[Message]:
    """``FooResponse`` for ``FooRequest``: every rpc has its own pair, in one file (house rule 3)."""
    name = type(request).__name__
    if not name.endswith("Request"):
        raise TypeError(f"{name} is not an rpc's request")
    descriptor = request.DESCRIPTOR.file.message_types_by_name[name[: -len("Request")] + "Response"]
    return message_factory.GetMessageClass(descriptor)  # type: ignore[arg-type]


async def once(session: AsyncSession, request: Message, work: Callable[[], Awaitable[M]]) -> M:
    """Runs ``work`` (the write, in ``session``'s transaction, answering the rpc's response) unless
    ``request`` repeats an earlier one, whose response comes back instead; remembers the answer."""
    earlier: Any = await recall(session, request, response_type(request))
    if earlier is not None:
        return earlier
    response = await work()
    await remember(session, request, response)
    return response


def _purge_now_and_then(engine: AsyncEngine | Any) -> None:
    key = id(engine)
    now = time.monotonic()
    if now - _last_purge.get(key, 0.0) < PURGE_EVERY or not isinstance(engine, AsyncEngine):
        return
    _last_purge[key] = now
    task = asyncio.get_running_loop().create_task(purge(engine, datetime.now(UTC) - RETENTION))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


_tasks: set[asyncio.Task[int]] = set()


async def purge(engine: AsyncEngine, older_than: datetime) -> int:
    """Forgets the requests remembered before ``older_than``; returns how many."""
    try:
        async with engine.begin() as conn:
            result = await conn.execute(delete(request_ids).where(request_ids.c.create_time < older_than))
    except Exception:
        log.warning("purging remembered request ids failed; the next write retries", exc_info=True)
        return 0
    return int(result.rowcount or 0)
