"""``isthmus.connectors.v1.ConnectorService``: the instances this component runs, each stream's position
and last sync, and the records it dead-lettered. Read from the component's own tables (state.py)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.connectors.engine import ReplayResult
from isthmus.connectors.hub import HubRefused
from isthmus.connectors.runtime import Instance, InstanceBusy
from isthmus.connectors.state import (
    DeadLetter,
    dead_letters,
    last_start,
    name_dead_letters,
    pushes,
    stream_state,
    sync_runs,
)
from isthmus.kernel.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound
from isthmus.kernel.idempotency import APPLIED
from isthmus.kernel.paging import decode_token, encode_token, filters_of, page_size
from isthmus.kernel.timestamps import aware, duration, ts
from isthmus.platform.operations import check_dead_letter_ids
from isthmus_client.api.connectors.v1 import connectors_pb2 as api
from isthmus_client.api.connectors.v1 import connectors_pb2_grpc

SERVICE = "isthmus.connectors.v1.ConnectorService"
_STATES = {
    "running": api.SYNC_RUN_STATE_RUNNING,
    "succeeded": api.SYNC_RUN_STATE_SUCCEEDED,
    "failed": api.SYNC_RUN_STATE_FAILED,
}


class Connectors(connectors_pb2_grpc.ConnectorServiceServicer):
    def __init__(
        self,
        instances: Sequence[Instance],
        streams: Callable[[str], list[str]],
        engine: AsyncEngine,
        clock: Callable[[], datetime],
        replay: Callable[[str, Sequence[str] | None], Awaitable[ReplayResult]] | None = None,
    ) -> None:
        self._instances = {i.name: i for i in instances}
        self._streams = streams  # the streams an instance syncs (asks its connector)
        self._engine = engine
        self._clock = clock
        self._replay = replay  # the runtime's replay (ConnectorRuntime.replay)

    def _instance(self, name: str) -> Instance:
        if not name:
            raise InvalidArgument("instance", "is required")
        found = self._instances.get(name)
        if found is None:
            known = ", ".join(self._instances) or "none configured"
            raise NotFound(f"no connector instance named {name!r} ({known})")
        return found

    async def ListConnectorInstances(
        self, request: api.ListConnectorInstancesRequest, context: Any
    ) -> api.ListConnectorInstancesResponse:
        size = page_size(request.page_size)
        filters = filters_of(request)
        position = decode_token(request.page_token, filters)
        start = position.integer("offset") if position is not None else 0
        chosen = list(self._instances.values())[start : start + size]
        more = start + size < len(self._instances)
        return api.ListConnectorInstancesResponse(
            connector_instances=[await self._describe(i) for i in chosen],
            next_page_token=encode_token({"offset": start + size}, filters) if more else "",
        )

    async def _describe(self, inst: Instance) -> api.ConnectorInstance:
        s, r, d = stream_state.c, sync_runs.c, dead_letters.c
        async with self._engine.connect() as conn:
            positions = {
                row.stream: row
                for row in (await conn.execute(select(stream_state).where(s.instance == inst.name))).all()
            }
            latest = (
                select(r.stream, func.max(r.id).label("id")).where(r.instance == inst.name).group_by(r.stream)
            ).subquery()
            runs = {
                row.stream: row
                for row in (
                    await conn.execute(select(sync_runs).join(latest, sync_runs.c.id == latest.c.id))
                ).all()
            }
            count = (
                await conn.execute(
                    select(func.count()).where(d.instance == inst.name, d.resolved_at.is_(None))
                )
            ).scalar() or 0
            q = pushes.c
            found = await conn.execute(
                select(q.stream, func.count())
                .where(q.instance == inst.name, q.consumed_at.is_(None))
                .group_by(q.stream)
            )
            pending: dict[str, int] = {stream: int(n) for stream, n in found.all()}
        try:
            names = self._streams(inst.name)
        except Exception:  # a connector whose config is broken still shows what it did before
            names = []
        now = self._clock()
        streams = []
        for name in dict.fromkeys([*names, *positions, *runs]):
            stream = api.ConnectorStream(stream=name)
            if name in positions:
                p = positions[name]
                stream.cursor, stream.tie_breaker = p.cursor or "", p.tie_breaker or ""
                stream.position_time.FromDatetime(aware(p.updated_at))
            if name in runs:
                stream.last_run.CopyFrom(_run(runs[name], now))
            stream.pending_push_count = int(pending.get(name, 0))
            streams.append(stream)
        # Due when one of its streams is (runtime.run_due): a stream that never ran is due now.
        last = last_start({name: aware(run.started_at) for name, run in runs.items()}, names or list(runs))
        due = now if last is None else last + timedelta(seconds=inst.schedule_seconds)
        return api.ConnectorInstance(
            name=inst.name,
            connector=inst.connector,
            schedule=duration(timedelta(seconds=inst.schedule_seconds)),
            write_back=inst.write_back,
            streams=streams,
            next_run_time=ts(max(due, now)),
            dead_letter_count=int(count),
        )

    async def ListConnectorDeadLetters(
        self, request: api.ListConnectorDeadLettersRequest, context: Any
    ) -> api.ListConnectorDeadLettersResponse:
        self._instance(request.instance)
        size = page_size(request.page_size)
        filters = filters_of(request)
        position = decode_token(request.page_token, filters)
        d = dead_letters.c
        query = select(dead_letters).where(d.instance == request.instance).order_by(d.id).limit(size + 1)
        if not request.show_resolved:
            query = query.where(d.resolved_at.is_(None))
        if position is not None:
            query = query.where(d.id > position.integer("after"))
        async with self._engine.begin() as conn:
            await name_dead_letters(conn)
            rows = (await conn.execute(query)).all()
        letters = [
            api.ConnectorDeadLetter(
                dead_letter_id=row.dead_letter_id,
                instance=row.instance,
                stream=row.stream,
                record_key=row.record_key,
                record_json=_pretty(row.record),
                reason=row.reason,
                create_time=ts(aware(row.created_at)),
                resolve_time=ts(row.resolved_at),
                resolution=row.resolution or "",
                replay_count=row.replay_count,
            )
            for row in rows[:size]
        ]
        token = encode_token({"after": rows[size - 1].id}, filters) if len(rows) > size else ""
        return api.ListConnectorDeadLettersResponse(connector_dead_letters=letters, next_page_token=token)

    async def DiscardConnectorDeadLetters(
        self, request: api.DiscardConnectorDeadLettersRequest, context: Any
    ) -> api.DiscardConnectorDeadLettersResponse:
        self._instance(request.instance)
        check_dead_letter_ids(request.dead_letter_ids)
        d = dead_letters.c
        named = d.dead_letter_id.in_(list(request.dead_letter_ids))
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(dead_letters).where(d.instance == request.instance, named))
        return api.DiscardConnectorDeadLettersResponse(
            discarded_count=int(result.rowcount or 0), outcome=APPLIED
        )

    async def ReplayConnectorDeadLetters(
        self, request: api.ReplayConnectorDeadLettersRequest, context: Any
    ) -> api.ReplayConnectorDeadLettersResponse:
        self._instance(request.instance)
        if request.all and request.dead_letter_ids:
            raise InvalidArgument("dead_letter_ids", "must be empty when all is set")
        if not request.all:
            check_dead_letter_ids(request.dead_letter_ids, every=", or set all")
        if self._replay is None:
            raise FailedPrecondition("this process does not run the connectors, so it cannot replay")
        try:
            ids = None if request.all else list(request.dead_letter_ids)
            result = await self._replay(request.instance, ids)
        except InstanceBusy as exc:
            raise Conflict(str(exc)) from None
        except HubRefused as exc:
            raise FailedPrecondition(str(exc)) from None
        return api.ReplayConnectorDeadLettersResponse(
            outcome=APPLIED,
            resolved_count=len(result.resolved),
            refused=[_letter(request.instance, x) for x in result.failed],
        )


def _letter(instance: str, letter: DeadLetter) -> api.ConnectorDeadLetter:
    return api.ConnectorDeadLetter(
        dead_letter_id=letter.dead_letter_id,
        instance=instance,
        stream=letter.stream,
        record_key=letter.record_key,
        record_json=json.dumps(letter.record, indent=2, ensure_ascii=False, sort_keys=True, default=str),
        reason=letter.reason,
        create_time=ts(letter.created_at),
        replay_count=letter.replay_count,
    )


def _run(row: Any, now: datetime) -> api.SyncRun:
    started = aware(row.started_at)
    finished = aware(row.finished_at) if row.finished_at is not None else None
    return api.SyncRun(
        start_time=ts(started),
        end_time=ts(finished),
        duration=duration(max((finished or now) - started, timedelta(0))),
        state=_STATES.get(row.status, api.SYNC_RUN_STATE_UNSPECIFIED),
        records_read=row.records_read,
        records_accepted=row.records_accepted,
        records_dead_lettered=row.records_rejected,
        error=row.error or "",
    )


def _pretty(stored: str) -> str:
    try:
        return json.dumps(json.loads(stored), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return stored
