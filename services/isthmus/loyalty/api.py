"""LoyaltyService: request messages in, commands to the handlers, messages out. Validation only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.kernel.errors import Conflict, InvalidArgument, NotFound
from isthmus.kernel.paging import decode_token, encode_token, page_size
from isthmus.loyalty import codec, handlers
from isthmus.loyalty.domain import Actor, EntryKind
from isthmus.loyalty.handlers import Record, Uow
from isthmus.loyalty.programme import Programme
from isthmus.platform import auth, requests
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.loyalty.v1 import loyalty_pb2, loyalty_pb2_grpc

T = TypeVar("T")
DEFAULT_HORIZON = timedelta(days=90)
MAX_CUSTOMER_ID = 64  # the accounts table's customer_id column


def _actor(message: Any) -> Actor:
    """The actor a request names, with the authenticated client that sent it beside it."""
    return Actor(int(message.kind), message.id, message.display_name, auth.principal.get())


class LoyaltyServicer(loyalty_pb2_grpc.LoyaltyServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        programme: Programme,
        clock: Callable[[], datetime],
        record: Record,
    ) -> None:
        self._sessions = sessions
        self._programme = programme
        self._clock = clock
        self._record = record

    async def _run(self, work: Callable[[Uow], Awaitable[T]]) -> T:
        try:
            async with self._sessions() as session, session.begin():
                uow = Uow(session, self._programme, self._clock, self._record)
                result = await work(uow)
                await uow.repo.flush()
                return result
        except IntegrityError:
            raise Conflict("a concurrent request wrote the same account or key; retry") from None

    async def GetAccount(self, request: loyalty_pb2.GetAccountRequest, context: Any) -> Message:
        if not request.customer_id:
            raise InvalidArgument("customer_id", "required")
        horizon = DEFAULT_HORIZON
        if request.HasField("expiring_within"):
            horizon = request.expiring_within.ToTimedelta()
            if horizon < timedelta(0):
                raise InvalidArgument("expiring_within", "must not be negative")
        found = await self._run(lambda uow: handlers.view(request.customer_id, horizon, uow))
        return loyalty_pb2.GetAccountResponse(account=handlers.account_message(found))

    async def ListLedgerEntries(self, request: loyalty_pb2.ListLedgerEntriesRequest, context: Any) -> Message:
        if not request.customer_id:
            raise InvalidArgument("customer_id", "required")
        size = page_size(request.page_size)
        filters = f"{request.customer_id}|{sorted(request.kinds)}"
        position = decode_token(request.page_token, filters)
        before = position.integer("s") if position is not None else None

        async def work(uow: Uow) -> list[tuple[int, loyalty_pb2.LedgerEntry]]:
            # The ledger of an account includes the ledgers of the accounts merged into it.
            ids = await uow.repo.ledger_family(request.customer_id)
            if not ids:
                raise NotFound(f"customer {request.customer_id} has no loyalty account")
            return await uow.repo.entries(ids, list(request.kinds), size + 1, before)

        rows = await self._run(work)
        token = encode_token({"s": rows[size - 1][0]}, filters) if len(rows) > size else ""
        return loyalty_pb2.ListLedgerEntriesResponse(
            ledger_entries=[e for _, e in rows[:size]], next_page_token=token
        )

    async def _write(self, cmd: handlers.Spend, answer: Callable[..., Message]) -> Message:
        entry, account, replayed = await self._run(lambda uow: handlers.write(cmd, uow))
        view = await self._run(lambda uow: handlers.view(account.customer_id, DEFAULT_HORIZON, uow))
        outcome = common_pb2.WRITE_OUTCOME_REPLAYED if replayed else common_pb2.WRITE_OUTCOME_APPLIED
        return answer(
            ledger_entry=codec.entry(entry), account=handlers.account_message(view), outcome=outcome
        )

    async def RedeemPoints(self, request: loyalty_pb2.RedeemPointsRequest, context: Any) -> Message:
        problems = _request_id_problems(request)
        if not request.customer_id:
            problems.append(("customer_id", "required"))
        elif len(request.customer_id) > MAX_CUSTOMER_ID:
            problems.append(("customer_id", f"is longer than {MAX_CUSTOMER_ID} characters"))
        if request.points <= 0:
            problems.append(("points", "must be positive"))
        if problems:
            raise InvalidArgument.many(problems)
        return await self._write(
            handlers.Spend(
                EntryKind.REDEEM,
                request.customer_id,
                request.points,
                request.description,
                requests.require_request_id(request),
                request.order_id,
                _actor(request.actor),
            ),
            loyalty_pb2.RedeemPointsResponse,
        )

    async def AdjustPoints(self, request: loyalty_pb2.AdjustPointsRequest, context: Any) -> Message:
        problems = _request_id_problems(request)
        if not request.customer_id:
            problems.append(("customer_id", "required"))
        elif len(request.customer_id) > MAX_CUSTOMER_ID:
            problems.append(("customer_id", f"is longer than {MAX_CUSTOMER_ID} characters"))
        if request.points == 0:
            problems.append(("points", "must not be zero"))
        if not request.reason.strip():
            problems.append(("reason", "required: why the points change"))
        if problems:
            raise InvalidArgument.many(problems)
        return await self._write(
            handlers.Spend(
                EntryKind.ADJUST,
                request.customer_id,
                request.points,
                request.reason.strip(),
                requests.require_request_id(request),
                actor=_actor(request.actor),
            ),
            loyalty_pb2.AdjustPointsResponse,
        )

    async def GetProgramme(self, request: loyalty_pb2.GetProgrammeRequest, context: Any) -> Message:
        if request.programme_id and request.programme_id != self._programme.programme_id:
            raise NotFound(f"programme {request.programme_id} not found")
        return loyalty_pb2.GetProgrammeResponse(programme=codec.programme(self._programme))


def _request_id_problems(request: Message) -> list[tuple[str, str]]:
    try:
        requests.require_request_id(request)
    except InvalidArgument as exc:
        return exc.violations
    return []


def add_to_server(servicer: LoyaltyServicer, server: grpc.aio.Server) -> None:
    loyalty_pb2_grpc.add_LoyaltyServiceServicer_to_server(servicer, server)
