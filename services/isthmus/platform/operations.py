"""``isthmus.operations.v1.OperationsService``: each process answers for the event plumbing of the
components it runs — their outbox backlog and their dead letters — and tells a caller who it is.

Every component keeps its dead letters and its outbox in its own schema (``events/tables.py``); a
process serves one servicer for all the components it runs, since a gRPC server holds a service
name once. Replay only marks rows: the component's running consumer redelivers them (``bus.py``), as
``isthmus dlq replay`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.kernel.errors import InvalidArgument, NotFound
from isthmus.kernel.idempotency import APPLIED
from isthmus.kernel.ids import is_uuid
from isthmus.kernel.paging import decode_token, encode_token, filters_of, page_size
from isthmus.kernel.timestamps import aware, duration, ts
from isthmus.platform.auth import caller
from isthmus.platform.boundary import excerpt
from isthmus.platform.component import Component, Runtime
from isthmus.platform.events import MIGRATIONS as EVENT_MIGRATIONS
from isthmus.platform.events import outbox
from isthmus.platform.events.bus import request_replay
from isthmus.platform.events.tables import dead_letters, name_dead_letters
from isthmus_client.api.operations.v1 import operations_pb2 as api
from isthmus_client.api.operations.v1 import operations_pb2_grpc

SERVICE = "isthmus.operations.v1.OperationsService"
MAX_IDS = 500


def with_event_tables(components: Sequence[Component]) -> list[Component]:
    return [c for c in components if EVENT_MIGRATIONS in c.migrations]


class Operations(operations_pb2_grpc.OperationsServiceServicer):
    def __init__(
        self, components: Sequence[Component], runtime: Runtime, *, auth_disabled: bool = False
    ) -> None:
        self._schemas = {c.name: c.schema for c in with_event_tables(components)}
        self._runtime = runtime
        self._clock: Callable[[], datetime] = runtime.clock
        self._auth_disabled = auth_disabled

    def _engine(self, component: str, field: str = "component") -> AsyncEngine:
        if not component:
            raise InvalidArgument(field, "is required")
        schema = self._schemas.get(component)
        if schema is None:
            served = ", ".join(self._schemas) or "none"
            raise NotFound(f"component {component!r} is not served here (this process serves: {served})")
        return self._runtime.engine(schema)

    async def _status(self, component: str) -> api.Component:
        engine = self._engine(component)
        d = dead_letters.c
        async with engine.connect() as conn:
            backlog, oldest = await outbox.backlog(conn)
            row = (
                await conn.execute(
                    select(func.count(), func.count(d.replay_requested_at)).select_from(dead_letters)
                )
            ).one()
        waited = max(self._clock() - oldest, timedelta(0)) if oldest is not None else None
        return api.Component(
            name=component,
            outbox_backlog=backlog,
            oldest_outbox_time=ts(oldest),
            outbox_age=duration(waited),
            dead_letter_count=int(row[0]),
            replay_pending_count=int(row[1]),
        )

    async def ListComponents(
        self, request: api.ListComponentsRequest, context: Any
    ) -> api.ListComponentsResponse:
        size = page_size(request.page_size)
        filters = filters_of(request)
        position = decode_token(request.page_token, filters)
        start = position.integer("offset") if position is not None else 0
        names = list(self._schemas)[start : start + size]
        more = start + size < len(self._schemas)
        return api.ListComponentsResponse(
            components=[await self._status(n) for n in names],
            next_page_token=encode_token({"offset": start + size}, filters) if more else "",
        )

    async def ListDeadLetters(
        self, request: api.ListDeadLettersRequest, context: Any
    ) -> api.ListDeadLettersResponse:
        engine = self._engine(request.component)
        size = page_size(request.page_size)
        filters = filters_of(request)
        position = decode_token(request.page_token, filters)
        d = dead_letters.c
        query = select(dead_letters).order_by(d.id).limit(size + 1)
        if position is not None:
            query = query.where(d.id > position.integer("after"))
        async with engine.begin() as conn:
            await name_dead_letters(conn)
            rows = (await conn.execute(query)).all()
        letters = [_letter(request.component, r) for r in rows[:size]]
        token = encode_token({"after": rows[size - 1].id}, filters) if len(rows) > size else ""
        return api.ListDeadLettersResponse(dead_letters=letters, next_page_token=token)

    async def ReplayDeadLetters(
        self, request: api.ReplayDeadLettersRequest, context: Any
    ) -> api.ReplayDeadLettersResponse:
        engine = self._engine(request.component)
        if request.all and request.dead_letter_ids:
            raise InvalidArgument("dead_letter_ids", "must be empty when all is set")
        if not request.all:
            check_dead_letter_ids(request.dead_letter_ids)
        count = await request_replay(engine, None if request.all else list(request.dead_letter_ids))
        return api.ReplayDeadLettersResponse(replay_requested_count=count, outcome=APPLIED)

    async def DiscardDeadLetters(
        self, request: api.DiscardDeadLettersRequest, context: Any
    ) -> api.DiscardDeadLettersResponse:
        engine = self._engine(request.component)
        check_dead_letter_ids(request.dead_letter_ids)
        named = dead_letters.c.dead_letter_id.in_(list(request.dead_letter_ids))
        async with engine.begin() as conn:
            result = await conn.execute(delete(dead_letters).where(named))
        return api.DiscardDeadLettersResponse(discarded_count=int(result.rowcount or 0), outcome=APPLIED)

    async def GetCaller(self, request: api.GetCallerRequest, context: Any) -> api.GetCallerResponse:
        client = caller.get()
        if client is None:
            return api.GetCallerResponse(authentication_disabled=self._auth_disabled)
        return api.GetCallerResponse(name=client.name, scopes=sorted(client.scopes))


def check_dead_letter_ids(ids: Sequence[str], every: str = "") -> None:
    """The ``dead_letter_ids`` of a request: at least one (or ``every``, the field that asks for all),
    at most ``MAX_IDS``, each a UUID as the hub mints them."""
    if not ids:
        raise InvalidArgument("dead_letter_ids", f"name at least one dead letter{every}")
    if len(ids) > MAX_IDS:
        raise InvalidArgument("dead_letter_ids", f"at most {MAX_IDS} per request, got {len(ids)}")
    bad = [
        (f"dead_letter_ids[{i}]", f"{excerpt(v)} is not a dead-letter id (a UUID)")
        for i, v in enumerate(ids)
        if not is_uuid(v)
    ]
    if bad:
        raise InvalidArgument.many(bad)


def _letter(component: str, row: Any) -> api.DeadLetter:
    return api.DeadLetter(
        dead_letter_id=row.dead_letter_id,
        component=component,
        queue=row.consumer,
        event_id=row.event_id or "",
        routing_key=row.routing_key,
        attempts=row.attempts,
        create_time=ts(aware(row.dead_at)),
        reason=row.reason,
        last_error=row.last_error or "",
        replay_requested=row.replay_requested_at is not None,
    )
