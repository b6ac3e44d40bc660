"""Data-quality findings: values a source record carried that could not be used.

The record is stored and matched on its other values; each bad value is kept as sent on the record
(``Record.findings``), in the ``data_quality_findings`` table for a steward to page through, and in
a counter by source system and rule. It never becomes a golden value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter
from sqlalchemy import delete, func, select

from isthmus.customers.records import Finding, Record
from isthmus.customers.tables import data_quality_findings, source_records
from isthmus.kernel.errors import InvalidArgument
from isthmus.kernel.paging import decode_token, encode_token, filters_of, page_size
from isthmus.kernel.timestamps import ts
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

if TYPE_CHECKING:
    from isthmus.customers.deps import UnitOfWork
    from isthmus.customers.store import Repository

FINDINGS = Counter(
    "isthmus_customers_data_quality_findings_total",
    "Values of ingested source records kept as sent but not used, by source system and rule "
    "(calendar_date, email_address, phone_number, control_characters, ...).",
    ["source_system", "rule"],
)


def message(f: Finding) -> pb.DataQualityFinding:
    """A finding as an upsert result carries it (the record's own fields are beside it)."""
    return pb.DataQualityFinding(field=f.field, rule=f.rule, raw_value=f.raw, description=f.message)


def rows(records: Iterable[Record], received: datetime) -> list[dict[str, Any]]:
    return [
        {
            "source_system": r.source_system,
            "source_id": r.source_id,
            "field": f.field[:200],
            "rule": f.rule,
            "raw_value": f.raw,
            "description": f.message,
            "receive_time": received,
        }
        for r in records
        for f in r.findings
    ]


def count(records: Iterable[Record]) -> None:
    """Counts the findings of committed records (call after the transaction)."""
    for r in records:
        for f in r.findings:
            FINDINGS.labels(r.source_system, f.rule).inc()


async def forget(repo: Repository, refs: Sequence[tuple[str, str]]) -> None:
    """Deletes the findings of these source records (their content changed, or they were erased)."""
    if refs:
        where, params = repo._refs_in(data_quality_findings.c, refs)
        await repo.session.execute(delete(data_quality_findings).where(where), params)


async def listed(uow: UnitOfWork, req: Any) -> tuple[list[pb.DataQualityFinding], str]:
    """A page of findings, newest first, with the customer each record belongs to now."""
    size = page_size(req.page_size)
    filters = filters_of(req)
    position = decode_token(req.page_token, filters)
    f, s = data_quality_findings.c, source_records.c
    stmt = select(
        f.finding_id,
        f.source_system,
        f.source_id,
        f.field,
        f.rule,
        f.raw_value,
        f.description,
        f.receive_time,
        s.customer_id,
    ).join_from(
        data_quality_findings,
        source_records,
        (s.source_system == f.source_system) & (s.source_id == f.source_id),
    )
    if req.source_system:
        stmt = stmt.where(f.source_system == req.source_system)
    if req.rule:
        stmt = stmt.where(f.rule == req.rule)
    if position is not None:
        stmt = stmt.where(f.finding_id < position.integer("before"))
    found = (await uow.session.execute(stmt.order_by(f.finding_id.desc()).limit(size + 1))).all()
    more = len(found) > size
    found = found[:size]
    out = [
        pb.DataQualityFinding(
            field=r.field,
            rule=r.rule,
            raw_value=r.raw_value,
            description=r.description,
            source_system=r.source_system,
            source_id=r.source_id,
            customer_id=r.customer_id,
            receive_time=ts(r.receive_time),
        )
        for r in found
    ]
    return out, encode_token({"before": found[-1].finding_id}, filters) if more else ""


TREND_DAYS, MAX_TREND_DAYS = 30, 366


async def trend(uow: UnitOfWork, req: Any, today: date) -> list[api.DataQualityCount]:
    """Findings per day of arrival, source system and rule, over the last ``req.days`` days."""
    days = req.days or TREND_DAYS
    if not 0 < days <= MAX_TREND_DAYS:
        raise InvalidArgument("days", f"must be between 1 and {MAX_TREND_DAYS}, got {req.days}")
    f = data_quality_findings.c
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC)
    day = func.date(f.receive_time)
    stmt = select(day.label("day"), f.source_system, f.rule, func.count().label("n")).where(
        f.receive_time >= start
    )
    if req.source_system:
        stmt = stmt.where(f.source_system == req.source_system)
    if req.rule:
        stmt = stmt.where(f.rule == req.rule)
    stmt = stmt.group_by(day, f.source_system, f.rule).order_by(day, f.source_system, f.rule)
    out = []
    for r in (await uow.session.execute(stmt)).all():
        when = date.fromisoformat(str(r.day)[:10])
        out.append(
            api.DataQualityCount(
                day=common_pb2.Date(year=when.year, month=when.month, day=when.day),
                source_system=r.source_system,
                rule=r.rule,
                count=r.n,
            )
        )
    return out
