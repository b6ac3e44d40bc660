"""The lifecycle of match models in the customer master's database: train or import (a new version,
inactive), activate one (the service matches with it from then on), roll back to an earlier one or to
the built-in weights. Every version is kept and every change logged, so each link can be traced to the
weights that made it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.customers.candidate_query import record_json
from isthmus.customers.matching import BUILTIN, Features, MatchModel
from isthmus.customers.records import Record
from isthmus.customers.tables import match_model_log, match_models, source_records
from isthmus.platform import jsoncodec


@dataclass(frozen=True)
class StoredModel:
    version: str
    origin: str
    active: bool
    create_time: datetime
    summary: str


def summary(model: MatchModel) -> str:
    about = model.about
    odds = f"1 pair in {1 / model.pair_prior:,.0f} one person, " if model.pair_prior else ""
    return (
        f"{about.get('records', '?')} records, {about.get('candidate_pairs', '?')} candidate pairs,"
        f" prior {model.prior:.4f}; {odds}link at {model.upper_threshold:.1f},"
        f" review from {model.lower_threshold:.1f}"
    )


async def add(session: AsyncSession, model: MatchModel, origin: str, by: str, now: datetime) -> MatchModel:
    """Stores ``model`` as a new version (inactive); returns it under that version."""
    data = model.to_json()
    row = {"origin": origin, "model": "{}", "summary": summary(model), "create_time": now, "active": 0}
    number = await session.scalar(insert(match_models).values(**row).returning(match_models.c.version))
    version = str(number)
    stored = MatchModel.from_json({**data, "version": version})
    await session.execute(
        update(match_models)
        .where(match_models.c.version == int(version))
        .values(model=json.dumps(stored.to_json()))
    )
    await _log(session, origin, version, by, now, stored.about.get("trained_at", ""))
    return stored


async def activate(session: AsyncSession, version: str, by: str, now: datetime, note: str = "") -> None:
    """Makes ``version`` the model in force ("builtin": none, the built-in weights); ``LookupError``
    for a version that does not exist."""
    if version != BUILTIN:
        found = await session.scalar(select(func.count()).where(match_models.c.version == _number(version)))
        if not found:
            raise LookupError(f"no match model of version {version!r} (see `isthmus customers model list`)")
    await session.execute(update(match_models).values(active=0))
    if version != BUILTIN:
        await session.execute(
            update(match_models).where(match_models.c.version == _number(version)).values(active=1)
        )
    await _log(session, "activated", version, by, now, note)


async def active(session: AsyncSession) -> MatchModel | None:
    """The model in force, or None for the built-in weights."""
    row = (await session.execute(select(match_models.c.model).where(match_models.c.active == 1))).first()
    return MatchModel.from_json(json.loads(row[0])) if row else None


async def active_version(session: AsyncSession) -> str:
    """The version in force ("builtin" when no model is active): a cheap check for a change."""
    found = await session.scalar(select(match_models.c.version).where(match_models.c.active == 1))
    return str(found) if found is not None else BUILTIN


async def get(session: AsyncSession, version: str) -> MatchModel:
    row = (
        await session.execute(select(match_models.c.model).where(match_models.c.version == _number(version)))
    ).first()
    if row is None:
        raise LookupError(f"no match model of version {version!r} (see `isthmus customers model list`)")
    return MatchModel.from_json(json.loads(row[0]))


async def listed(session: AsyncSession) -> list[StoredModel]:
    m = match_models.c
    rows = (
        await session.execute(
            select(m.version, m.origin, m.active, m.create_time, m.summary).order_by(m.version)
        )
    ).all()
    return [StoredModel(str(r[0]), r[1], bool(r[2]), r[3], r[4]) for r in rows]


async def log(session: AsyncSession) -> list[tuple[datetime, str, str, str, str]]:
    g = match_model_log.c
    rows = await session.execute(select(g.at, g.action, g.version, g.by, g.note).order_by(g.seq))
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows.all()]


async def stored_features(session: AsyncSession) -> list[Features]:
    """Every stored source record's match features (from its profile; from the record where the profile
    is of another format), in the order of their keys: training samples by position, so the same records
    give the same model whatever order the database happens to keep its rows in."""
    out = []
    result = await session.stream(
        select(source_records.c.profile, record_json(with_records=False)).order_by(
            source_records.c.source_system, source_records.c.source_id
        )
    )
    async for profile, data in result:
        found = Features.from_profile(jsoncodec.loads(profile)) if profile else None
        out.append(found if found is not None else Features(Record.from_json(jsoncodec.loads(data))))
    return out


async def _log(session: AsyncSession, action: str, version: str, by: str, now: datetime, note: str) -> None:
    await session.execute(
        insert(match_model_log).values(at=now, action=action, version=version, by=by, note=note)
    )


def _number(version: str) -> int:
    try:
        return int(version)
    except ValueError:
        raise LookupError(f"{version!r} is not a model version (a number, or {BUILTIN!r})") from None
