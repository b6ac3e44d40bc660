"""ValueService: request messages in, queries and the refit out. Validation only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import grpc
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.kernel.errors import InvalidArgument, NotFound
from isthmus.kernel.idempotency import APPLIED
from isthmus.kernel.paging import decode_token, encode_token, filters_of, page_size
from isthmus.value import codec, credit
from isthmus.value.config import ValueConfig
from isthmus.value.handlers import CurrentModel
from isthmus.value.store import ValueRepository
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.value.v1 import value_pb2, value_pb2_grpc

RANKINGS = {
    value_pb2.VALUE_RANKING_UNSPECIFIED: "lifetime_minor",
    value_pb2.VALUE_RANKING_HISTORICAL: "historical_minor",
    value_pb2.VALUE_RANKING_PREDICTED: "predicted_minor",
}


class ValueServicer(value_pb2_grpc.ValueServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        config: ValueConfig,
        current: CurrentModel,
        refit_now: Callable[[], Awaitable[Any]],
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._current = current
        self._refit = refit_now
        self._clock = clock

    async def GetCustomerValue(self, request: value_pb2.GetCustomerValueRequest, context: Any) -> Message:
        if not request.customer_id:
            raise InvalidArgument("customer_id", "required")
        async with self._sessions() as session:
            _, row = await ValueRepository(session).resolve(request.customer_id)
            if row is None or row["erased"]:
                raise NotFound(f"no value known for customer {request.customer_id}")
            row = await credit.fresh(session, row, self._config, self._clock())
        return value_pb2.GetCustomerValueResponse(
            customer_value=codec.customer_value(row, self._config.currency)
        )

    async def ListCustomerValues(self, request: value_pb2.ListCustomerValuesRequest, context: Any) -> Message:
        if request.ranking not in RANKINGS:
            raise InvalidArgument("ranking", f"unknown ranking {request.ranking}")
        if request.tier not in common_pb2.ValueTier.values():
            raise InvalidArgument("tier", f"unknown tier {request.tier}")
        if request.credit_rank not in common_pb2.CreditRank.values():
            raise InvalidArgument("credit_rank", f"unknown credit rank {request.credit_rank}")
        size = page_size(request.page_size)
        filters = filters_of(request)
        position = decode_token(request.page_token, filters)
        after = (
            (position.integer("v", minimum=-(2**63)), position.text("c")) if position is not None else None
        )
        async with self._sessions() as session:
            rows = await ValueRepository(session).ranked(
                RANKINGS[request.ranking],
                request.tier,
                request.at_risk_only,
                after,
                size + 1,
                request.credit_rank,
            )
            now = self._clock()
            rows = [await credit.fresh(session, r, self._config, now) for r in rows]
        column = RANKINGS[request.ranking]
        token = ""
        if len(rows) > size:
            last = rows[size - 1]
            token = encode_token({"v": int(last[column]), "c": last["customer_id"]}, filters)
        currency = self._config.currency
        return value_pb2.ListCustomerValuesResponse(
            customer_values=[codec.customer_value(r, currency) for r in rows[:size]], next_page_token=token
        )

    async def GetValueModel(self, request: value_pb2.GetValueModelRequest, context: Any) -> Message:
        async with self._sessions() as session:
            model = await self._current.refresh(session)
        if model is None:
            raise NotFound("no value model fitted yet: run `isthmus value refit` or RefitValueModel")
        return value_pb2.GetValueModelResponse(model=codec.model_message(model, self._config.currency))

    async def RefitValueModel(self, request: value_pb2.RefitValueModelRequest, context: Any) -> Message:
        model = await self._refit()
        return value_pb2.RefitValueModelResponse(
            model=codec.model_message(model, self._config.currency), outcome=APPLIED
        )


def add_to_server(servicer: ValueServicer, server: grpc.aio.Server) -> None:
    value_pb2_grpc.add_ValueServiceServicer_to_server(servicer, server)
