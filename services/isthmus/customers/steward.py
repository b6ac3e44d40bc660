"""What the steward's and the person's requests share: replay, checks, saving a customer, history.

The use cases live beside it: ``merging`` (merge, unmerge), ``reviews`` (match reviews) and
``privacy`` (consent, export, erasure).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.customers import convert
from isthmus.customers.deps import UnitOfWork, actor_json
from isthmus.customers.records import Record
from isthmus.customers.store import CustomerRow, SourceRow, customer_columns
from isthmus.customers.survivorship import Golden, golden_record
from isthmus.customers.tables import history, idempotency, match_reviews, view360_tables
from isthmus.customers.view360 import review_worth
from isthmus.kernel.errors import FailedPrecondition, InvalidArgument, NotFound, key_reused
from isthmus.kernel.ids import new_uuid
from isthmus.platform import auth, requests
from isthmus.platform.sql import any_of
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev

ACTIVE, MERGED, ERASED = pb.CUSTOMER_STATE_ACTIVE, pb.CUSTOMER_STATE_MERGED, pb.CUSTOMER_STATE_ERASED
PENDING = pb.QUALITY_FLAG_PENDING_REVIEW


def _hash(request: Any) -> str:
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField("request_id")
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


async def replay(uow: UnitOfWork, op: str, request: Any) -> str | None:
    """The first result's id for a request retried under its ``request_id``, or None for a new one.

    These three writes keep the id of what they did (a merge, an unmerge, an erasure) in the customer
    master's own table, which outlives the platform's week-long request log: a steward's retry is
    answered with the record of the first, whenever it comes."""
    key = requests.request_id(request)
    if not key:
        return None
    row = (await uow.session.execute(select(idempotency).where(idempotency.c.key == f"{op}:{key}"))).first()
    if row is None:
        return None
    if row.request is not None:
        requests.compare(request, row.request)
    elif row.request_hash != _hash(request):
        raise key_reused(f"request_id {key!r} was used for a different {op} request", "")
    return str(row.result_id)


async def remember(uow: UnitOfWork, op: str, request: Any, result_id: str, now: datetime) -> None:
    if request.request_id:
        await uow.repo.insert(
            idempotency,
            [
                {
                    "key": f"{op}:{request.request_id}",
                    "request_hash": _hash(request),
                    "result_id": result_id,
                    "created_at": now,
                    "request": requests.fingerprint(request),
                }
            ],
        )


async def active(uow: UnitOfWork, customer_id: str, field: str) -> CustomerRow:
    if not customer_id:
        raise InvalidArgument(field, "is required")
    row = await uow.repo.customer_row(customer_id)
    if row is None:
        raise NotFound(f"customer {customer_id} not found")
    if row.state == MERGED:
        raise FailedPrecondition(f"customer {customer_id} was merged into {row.merged_into_id}")
    if row.state == ERASED:
        raise FailedPrecondition(f"customer {customer_id} was erased")
    return row


async def golden_of(uow: UnitOfWork, customer_id: str) -> Golden:
    return golden_from(uow, (await uow.repo.source_rows_of([customer_id])).get(customer_id, []))


def golden_from(uow: UnitOfWork, rows: Sequence[SourceRow]) -> Golden:
    """The golden record of a customer's source record rows."""
    members = [Record.from_json(r.data) for r in rows]
    return golden_record(members, uow.deps.settings.survivorship) if members else Golden()


async def save(
    uow: UnitOfWork,
    row: CustomerRow,
    golden: Golden,
    *,
    state: int,
    merged_into: str | None,
    flags: set[int],
    now: datetime,
) -> int:
    version = row.version + 1
    await uow.repo.update_customer(
        {
            "customer_id": row.customer_id,
            "state": state,
            "merged_into_id": merged_into,
            "version": version,
            "golden": golden.to_json(),
            "flags": sorted(flags),
            "update_time": now,
            **customer_columns(golden),
        },
        row.version,
    )
    return version


async def record_history(
    uow: UnitOfWork,
    customer_id: str,
    kind: int,
    now: datetime,
    actor: Any,
    *,
    version: int,
    action_id: str = "",
    reason: str = "",
    changes: Sequence[tuple[str, str, str]] = (),
    related: Sequence[str] = (),
    source: tuple[str, str] | None = None,
) -> None:
    await uow.repo.insert(
        history,
        [
            {
                "entry_id": new_uuid(),
                "customer_id": customer_id,
                "kind": kind,
                "occurred_at": now,
                "actor": actor_json(actor if actor is not None and actor.id else None),
                "source_record": {"source_system": source[0], "source_id": source[1]} if source else None,
                "steward_action_id": action_id,
                "reason": reason,
                "changes": [list(c) for c in changes],
                "version": version,
                "related": list(related),
                "principal": auth.principal.get(),
            }
        ],
    )


async def supersede_reviews(uow: UnitOfWork, ids: Sequence[str], now: datetime, keep: str = "") -> None:
    m = match_reviews.c
    await uow.session.execute(
        update(match_reviews)
        .where(and_(m.state == pb.MATCH_REVIEW_STATE_OPEN, m.review_id != keep))
        .where(or_(m.candidate_customer_id.in_(ids), m.existing_customer_id.in_(ids)))
        .values(state=pb.MATCH_REVIEW_STATE_SUPERSEDED, resolve_time=now, version=m.version + 1)
    )


async def weigh_reviews(session: AsyncSession, review_ids: Sequence[str]) -> None:
    """Gives new reviews their worth (``view360.review_worth``): what the 360 knows of the value of
    their customers by now; the 360's projection keeps it from then on."""
    m = match_reviews.c
    await session.execute(
        update(match_reviews)
        .where(any_of(m.review_id, "ids"))
        .values(worth=review_worth(match_reviews, view360_tables["value"])),
        {"ids": list(review_ids)},
    )


async def open_review_flags(uow: UnitOfWork, customer_id: str) -> bool:
    m = match_reviews.c
    stmt = (
        select(m.review_id)
        .where(
            and_(
                m.state == pb.MATCH_REVIEW_STATE_OPEN,
                or_(m.candidate_customer_id == customer_id, m.existing_customer_id == customer_id),
            )
        )
        .limit(1)
    )
    return (await uow.session.execute(stmt)).first() is not None


async def emit_customer(
    uow: UnitOfWork, cid: str, created_by: tuple[str, str] | None, changed: list[str] | None
) -> None:
    """The customer's CustomerCreated (``created_by``: the source record that made it) or
    CustomerUpdated (``changed``: the golden fields that changed), with its golden record and sources
    as stored now."""
    row = await uow.repo.customer_row(cid)
    assert row is not None
    sources = (await uow.repo.source_rows_of([cid]))[cid]
    msg = convert.customer(row, sources=sources)
    if created_by is not None:
        cause = pb.SourceReference(source_system=created_by[0], source_id=created_by[1])
        uow.record(ev.CustomerCreated(customer=msg, source_record=cause), cid)
    else:
        uow.record(ev.CustomerUpdated(customer=msg, changed_fields=changed or []), cid)
