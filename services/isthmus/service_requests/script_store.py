"""Agent scripts, their versions, runs and tallies in the service_requests schema."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.errors import Conflict
from isthmus.platform.sql import insert_new
from isthmus.service_requests.calls import Call, CallState
from isthmus.service_requests.domain import Channel, Direction
from isthmus.service_requests.rows import actor_json, actor_of
from isthmus.service_requests.scripts import (
    Entry,
    EntryKind,
    Facts,
    Run,
    RunState,
    Script,
    Step,
    Version,
)
from isthmus.service_requests.tables import (
    campaign_calls,
    script_runs,
    script_tallies,
    script_versions,
    scripts,
)

SC, SV, RN, TL, CL = scripts.c, script_versions.c, script_runs.c, script_tallies.c, campaign_calls.c
_GET_SCRIPT = select(scripts).where(SC.script_id == bindparam("script_id"))
_LOCK_SCRIPT = _GET_SCRIPT.with_for_update()
_GET_VERSION = select(script_versions).where(
    SV.script_id == bindparam("script_id"), SV.version == bindparam("version")
)
_GET_RUN = select(script_runs).where(RN.run_id == bindparam("run_id"))
_LOCK_RUN = _GET_RUN.with_for_update()
_GET_CALL = select(campaign_calls).where(CL.call_id == bindparam("call_id"))
_LOCK_CALL = _GET_CALL.with_for_update()


class ScriptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- scripts ------------------------------------------------------------------------------------

    async def get(self, script_id: str, *, lock: bool = False) -> Script | None:
        row = (
            await self.session.execute(_LOCK_SCRIPT if lock else _GET_SCRIPT, {"script_id": script_id})
        ).first()
        return None if row is None else _script(row)

    async def add(self, script: Script, version: Version) -> None:
        await self.session.execute(insert(scripts), [_script_row(script)])
        await self.add_version(script.id, version)

    async def add_version(self, script_id: str, version: Version) -> None:
        await self.session.execute(
            insert(script_versions),
            [
                {
                    "script_id": script_id,
                    "version": version.number,
                    "steps": [s.json() for s in version.steps],
                    "actor": actor_json(version.actor),
                    "note": version.note,
                    "created_at": version.created_at,
                }
            ],
        )

    async def save(self, script: Script) -> None:
        row = _script_row(script)
        await self.session.execute(update(scripts).where(SC.script_id == script.id).values(row))

    async def version(self, script_id: str, number: int) -> Version | None:
        row = (await self.session.execute(_GET_VERSION, {"script_id": script_id, "version": number})).first()
        return None if row is None else _version(row)

    async def versions(self, script_id: str, limit: int, before: int | None) -> list[Version]:
        """Versions newest first, those older than ``before`` when given."""
        query = select(script_versions).where(SV.script_id == script_id)
        if before is not None:
            query = query.where(SV.version < before)
        rows = await self.session.execute(query.order_by(SV.version.desc()).limit(limit))
        return [_version(r) for r in rows]

    async def page(self, published_only: bool, limit: int, after: tuple[str, str] | None) -> list[Script]:
        query = select(scripts)
        if published_only:
            query = query.where(SC.published_version > 0)
        if after is not None:
            query = query.where(or_(SC.name > after[0], and_(SC.name == after[0], SC.script_id > after[1])))
        rows = await self.session.execute(query.order_by(SC.name, SC.script_id).limit(limit))
        return [_script(r) for r in rows]

    # -- runs -------------------------------------------------------------------------------------

    async def run(self, run_id: str, *, lock: bool = False) -> Run | None:
        row = (await self.session.execute(_LOCK_RUN if lock else _GET_RUN, {"run_id": run_id})).first()
        return None if row is None else _run(row)

    async def add_run(self, run: Run) -> None:
        await self.session.execute(insert(script_runs), [_run_row(run)])

    async def save_run(self, run: Run) -> None:
        """Writes the run over the revision it was read at (on SQLite, which ignores the row lock, two
        answers at once would otherwise both be taken): another writer first is ``Conflict``."""
        row = _run_row(run) | {"revision": run.revision + 1}
        result = await self.session.execute(
            update(script_runs).where(RN.run_id == run.id, RN.revision == run.revision).values(row)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"run {run.id} changed meanwhile: read it again")
        run.revision += 1

    async def runs_of(self, customer_id: str) -> list[Run]:
        rows = await self.session.execute(
            select(script_runs).where(RN.customer_id == customer_id).order_by(RN.started_at, RN.run_id)
        )
        return [_run(r) for r in rows]

    async def erase_runs(self, customer_id: str, marker: str) -> int:
        runs = await self.runs_of(customer_id)
        for run in runs:
            run.erase_personal_data(marker)
            await self.save_run(run)
        return len(runs)

    # -- campaigns' calls ---------------------------------------------------------------------------

    async def add_call(self, call: Call) -> bool:
        """Adds the call unless a call of its id is there (the same request delivered again)."""
        return bool(await insert_new(self.session, campaign_calls, [_call_row(call)], "call_id"))

    async def call(self, call_id: str, *, lock: bool = False) -> Call | None:
        row = (await self.session.execute(_LOCK_CALL if lock else _GET_CALL, {"call_id": call_id})).first()
        return None if row is None else _call(row)

    async def save_call(self, call: Call, was: CallState) -> None:
        """Writes the call over the state it was read in: another writer first is ``Conflict``."""
        result = await self.session.execute(
            update(campaign_calls).where(CL.call_id == call.id, CL.state == was.value).values(_call_row(call))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"call {call.id} changed meanwhile: read it again")

    async def calls_of(self, customer_id: str) -> list[Call]:
        rows = await self.session.execute(select(campaign_calls).where(CL.customer_id == customer_id))
        return [_call(r) for r in rows]

    async def calls(
        self,
        states: Sequence[CallState],
        due_by: datetime | None,
        customer_id: str,
        limit: int,
        after: tuple[datetime, str] | None,
        agent_id: str | None = None,
    ) -> list[Call]:
        """``agent_id``: only the calls assigned to that agent ("" for those assigned to none)."""
        query = select(campaign_calls).where(CL.state.in_([s.value for s in states]))
        if agent_id is not None:
            query = query.where(CL.agent_id == agent_id)
        if due_by is not None:
            query = query.where(CL.due_at <= due_by)
        if customer_id:
            query = query.where(CL.customer_id == customer_id)
        if after is not None:
            query = query.where(or_(CL.due_at > after[0], and_(CL.due_at == after[0], CL.call_id > after[1])))
        rows = await self.session.execute(query.order_by(CL.due_at, CL.call_id).limit(limit))
        return [_call(r) for r in rows]

    # -- tallies ----------------------------------------------------------------------------------

    async def tally(self, script_id: str, version: int, counts: Counter[tuple[str, str, str]]) -> None:
        """Adds ``counts`` (of ``(step_id, what, answer)``) to the script version's figures."""
        if not counts:
            return
        dialect: Any = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(script_tallies)
        stmt = stmt.on_conflict_do_update(
            index_elements=[TL.script_id, TL.version, TL.step_id, TL.what, TL.answer],
            set_={"count": TL.count + stmt.excluded.count},
        )
        rows = [
            {"script_id": script_id, "version": version, "step_id": s, "what": w, "answer": a, "count": n}
            for (s, w, a), n in sorted(counts.items())  # one order, so two runs' upserts cannot deadlock
        ]
        await self.session.execute(stmt, rows)

    async def tallies(self, script_id: str, version: int) -> list[tuple[str, str, str, int]]:
        query = select(TL.step_id, TL.what, TL.answer, func.sum(TL.count)).where(TL.script_id == script_id)
        if version:
            query = query.where(TL.version == version)
        rows = await self.session.execute(query.group_by(TL.step_id, TL.what, TL.answer))
        return [(s, w, a, int(n)) for s, w, a, n in rows]


def _script_row(s: Script) -> dict[str, Any]:
    return {
        "script_id": s.id,
        "name": s.name,
        "description": s.description,
        "published_version": s.published_version,
        "latest_version": s.latest_version,
        "created_at": s.created_at,
        "published_at": s.published_at,
        "published_by": actor_json(s.published_by) if s.published_by is not None else None,
    }


def _script(row: Any) -> Script:
    m = row._mapping
    return Script(
        m["script_id"],
        m["name"],
        m["description"],
        m["created_at"],
        m["published_version"],
        m["latest_version"],
        m["published_at"],
        actor_of(m["published_by"]) if m["published_by"] is not None else None,
    )


def _version(row: Any) -> Version:
    m = row._mapping
    steps = tuple(Step.of(s) for s in m["steps"])
    return Version(m["version"], steps, actor_of(m["actor"]), m["created_at"], m["note"])


def _entry_json(e: Entry) -> dict[str, Any]:
    out: dict[str, Any] = {
        "step_id": e.step_id,
        "prompt": e.prompt,
        "kind": e.kind.value,
        "at": e.at.isoformat(),
    }
    for name in ("answer", "label", "reason", "taken_back_at"):
        if getattr(e, name):
            out[name] = getattr(e, name)
    return out


def _entry(data: dict[str, Any]) -> Entry:
    return Entry(
        data["step_id"],
        data["prompt"],
        EntryKind(data["kind"]),
        datetime.fromisoformat(data["at"]),
        data.get("answer", ""),
        data.get("label", ""),
        data.get("reason", ""),
        data.get("taken_back_at", ""),
    )


def _run_row(r: Run) -> dict[str, Any]:
    return {
        "run_id": r.id,
        "script_id": r.script_id,
        "version": r.version,
        "customer_id": r.customer_id,
        "service_request_id": r.service_request_id,
        "state": r.state.value,
        "current_step": r.current_step,
        "entries": [_entry_json(e) for e in r.entries],
        "script_name": r.script_name,
        "facts": {
            "customer_name": r.facts.customer_name,
            "tier": r.facts.tier,
            "open_complaints": r.facts.open_complaints,
        },
        "agent": actor_json(r.agent),
        "channel": r.channel.value,
        "direction": r.direction.value,
        "rehearsal": r.rehearsal,
        "started_at": r.started_at,
        "ended_at": r.ended_at,
        "abandon_reason": r.abandon_reason,
        "interaction_id": r.interaction_id,
        "revision": r.revision,
        "call_id": r.call_id,
    }


def _run(row: Any) -> Run:
    m = row._mapping
    facts = m["facts"]
    return Run(
        id=m["run_id"],
        script_id=m["script_id"],
        script_name=m["script_name"],
        version=m["version"],
        customer_id=m["customer_id"],
        facts=Facts(
            facts.get("customer_name", ""), facts.get("tier", ""), int(facts.get("open_complaints", 0))
        ),
        agent=actor_of(m["agent"]),
        channel=Channel(m["channel"]),
        direction=Direction(m["direction"]),
        started_at=m["started_at"],
        service_request_id=m["service_request_id"],
        rehearsal=m["rehearsal"],
        state=RunState(m["state"]),
        current_step=m["current_step"],
        entries=[_entry(e) for e in m["entries"]],
        ended_at=m["ended_at"],
        abandon_reason=m["abandon_reason"],
        interaction_id=m["interaction_id"],
        revision=m["revision"],
        call_id=m["call_id"],
    )


def _call_row(c: Call) -> dict[str, Any]:
    return {
        "call_id": c.id,
        "campaign_id": c.campaign_id,
        "customer_id": c.customer_id,
        "script_id": c.script_id,
        "reference": c.reference,
        "state": c.state.value,
        "due_at": c.due_at,
        "requested_at": c.requested_at,
        "attempts": c.attempts,
        "run_id": c.run_id,
        "note": c.note,
        "agent_id": c.agent_id,
    }


def _call(row: Any) -> Call:
    m = row._mapping
    return Call(
        id=m["call_id"],
        campaign_id=m["campaign_id"],
        customer_id=m["customer_id"],
        script_id=m["script_id"],
        due_at=m["due_at"],
        requested_at=m["requested_at"],
        reference=m["reference"],
        state=CallState(m["state"]),
        attempts=m["attempts"],
        run_id=m["run_id"],
        note=m["note"],
        agent_id=m["agent_id"],
    )
