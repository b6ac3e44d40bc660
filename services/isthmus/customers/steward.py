"""Steward and privacy use cases: merge, unmerge, match reviews, consent, export, erasure."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, delete, or_, select, update

from isthmus.customers import convert, queries, queries360
from isthmus.customers.deps import Deps, UnitOfWork, actor_json, new_id
from isthmus.customers.matching import Features
from isthmus.customers.records import Record
from isthmus.customers.store import (
    CustomerRow,
    consents,
    customer_columns,
    erasures,
    history,
    idempotency,
    match_reviews,
    merges,
    no_match,
    source_records,
    tombstones,
    view360_tables,
    xref_history,
)
from isthmus.customers.survivorship import Golden, diff, golden_record
from isthmus.customers.view360 import Projection
from isthmus.kernel.errors import AlreadyExists, Conflict, FailedPrecondition, InvalidArgument, NotFound
from isthmus.kernel.timestamps import aware, from_ts, ts
from isthmus.platform import auth
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev

ACTIVE, MERGED, ERASED = pb.CUSTOMER_STATE_ACTIVE, pb.CUSTOMER_STATE_MERGED, pb.CUSTOMER_STATE_ERASED
PENDING = pb.QUALITY_FLAG_PENDING_REVIEW


def _hash(request: Any) -> str:
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField("idempotency_key")
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


async def _replay(uow: UnitOfWork, op: str, request: Any) -> str | None:
    """The first result's id for a retried idempotent request, or None for a new one."""
    if not request.idempotency_key:
        return None
    if len(request.idempotency_key) > 128:
        raise InvalidArgument("idempotency_key", "longer than 128 characters")
    row = (
        await uow.session.execute(
            select(idempotency).where(idempotency.c.key == f"{op}:{request.idempotency_key}")
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != _hash(request):
        raise AlreadyExists(
            f"idempotency_key {request.idempotency_key!r} was used for a different {op} request"
        )
    return str(row.result_id)


async def _remember(uow: UnitOfWork, op: str, request: Any, result_id: str, now: datetime) -> None:
    if request.idempotency_key:
        await uow.repo.insert(
            idempotency,
            [
                {
                    "key": f"{op}:{request.idempotency_key}",
                    "request_hash": _hash(request),
                    "result_id": result_id,
                    "created_at": now,
                }
            ],
        )


async def _active(uow: UnitOfWork, customer_id: str, field: str) -> CustomerRow:
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


async def _golden_of(uow: UnitOfWork, customer_id: str) -> Golden:
    rows = (await uow.repo.source_rows_of([customer_id])).get(customer_id, [])
    members = [Record.from_json(r.data) for r in rows]
    return golden_record(members, uow.deps.settings.survivorship) if members else Golden()


async def _save(
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


async def _history(
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
                "entry_id": new_id(),
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


async def _supersede_reviews(uow: UnitOfWork, ids: Sequence[str], now: datetime, keep: str = "") -> None:
    m = match_reviews.c
    await uow.session.execute(
        update(match_reviews)
        .where(and_(m.state == pb.MATCH_REVIEW_STATE_OPEN, m.review_id != keep))
        .where(or_(m.candidate_customer_id.in_(ids), m.existing_customer_id.in_(ids)))
        .values(state=pb.MATCH_REVIEW_STATE_SUPERSEDED, resolve_time=now, version=m.version + 1)
    )


async def _open_review_flags(uow: UnitOfWork, customer_id: str) -> bool:
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


async def merge_into(
    uow: UnitOfWork,
    surviving: CustomerRow,
    merged: list[CustomerRow],
    reason: str,
    actor: Any,
    now: datetime,
    keep_review: str = "",
    source: tuple[str, str] | None = None,
) -> str:
    """Moves the merged customers' source records to the surviving one (``source``: the record whose
    arrival showed they are one person, for an automatic merge)."""
    merge_id = new_id()
    ids = [m.customer_id for m in merged]
    moved_rows = await uow.repo.source_rows_of(ids)
    moved = [[s.source_system, s.source_id, cid] for cid in ids for s in moved_rows.get(cid, [])]
    await _relink(uow, [(s, i) for s, i, _ in moved], surviving.customer_id, f"merge:{merge_id}", now)
    await _move_consents(uow, ids, surviving.customer_id)
    before = Golden.from_json(surviving.golden).flat()
    golden = await _golden_of(uow, surviving.customer_id)
    await _supersede_reviews(uow, [surviving.customer_id, *ids], now, keep=keep_review)
    flags = set(surviving.flags) | {f for m in merged for f in m.flags}
    flags.discard(pb.QUALITY_FLAG_INSUFFICIENT_MATCH_DATA)
    if golden.conflicting:
        flags.add(pb.QUALITY_FLAG_CONFLICTING_VALUES)
    flags.discard(PENDING)
    version = await _save(uow, surviving, golden, state=ACTIVE, merged_into=None, flags=flags, now=now)
    await _history(
        uow,
        surviving.customer_id,
        pb.HISTORY_ENTRY_KIND_MERGED,
        now,
        actor,
        version=version,
        action_id=merge_id,
        reason=reason,
        changes=diff(before, golden.flat()),
        related=ids,
        source=source,
    )
    for m in merged:
        v = await _save(
            uow, m, Golden(), state=MERGED, merged_into=surviving.customer_id, flags=set(), now=now
        )
        await _history(
            uow,
            m.customer_id,
            pb.HISTORY_ENTRY_KIND_MERGED,
            now,
            actor,
            version=v,
            action_id=merge_id,
            reason=reason,
            changes=diff(Golden.from_json(m.golden).flat(), {}),
            related=[surviving.customer_id],
            source=source,
        )
    await uow.repo.insert(
        merges,
        [
            {
                "merge_id": merge_id,
                "surviving_id": surviving.customer_id,
                "merged_ids": ids,
                "moved": moved,
                "reason": reason,
                "actor": actor_json(actor if actor is not None and actor.id else None),
                "merged_at": now,
                "undone_by": None,
            }
        ],
    )
    row = await uow.repo.customer_row(surviving.customer_id)
    assert row is not None
    sources = (await uow.repo.source_rows_of([surviving.customer_id]))[surviving.customer_id]
    uow.record(
        ev.CustomersMerged(
            surviving_id=surviving.customer_id,
            merged_ids=ids,
            merge_id=merge_id,
            reason=reason,
            actor=actor,
            # With its source records: connectors write the golden values back to those systems.
            customer=convert.customer(row, sources=sources),
        ),
        surviving.customer_id,
    )
    return merge_id


async def _move_consents(uow: UnitOfWork, from_ids: list[str], to_id: str) -> None:
    rows = (
        await uow.session.execute(select(consents).where(consents.c.customer_id.in_([*from_ids, to_id])))
    ).all()
    latest: dict[int, Any] = {}
    for r in rows:
        if r.channel not in latest or aware(r.given_at) > aware(latest[r.channel].given_at):
            latest[r.channel] = r
    await uow.session.execute(delete(consents).where(consents.c.customer_id.in_([*from_ids, to_id])))
    await uow.repo.insert(consents, [{**r._asdict(), "customer_id": to_id} for r in latest.values()])


async def merge_customers(deps: Deps, req: api.MergeCustomersRequest) -> api.MergeCustomersResponse:
    if not req.surviving_id:
        raise InvalidArgument("surviving_id", "is required")
    if not req.merged_ids:
        raise InvalidArgument("merged_ids", "name at least one customer to merge")
    if req.surviving_id in req.merged_ids or len(set(req.merged_ids)) != len(req.merged_ids):
        raise InvalidArgument("merged_ids", "must be distinct and must not contain surviving_id")
    if not req.reason.strip():
        raise InvalidArgument("reason", "is required")
    async with deps.transaction() as uow:
        merge_id = await _replay(uow, "merge", req)
        if merge_id is None:
            now = deps.clock()
            surviving = await _active(uow, req.surviving_id, "surviving_id")
            if req.expected_version and req.expected_version != surviving.version:
                raise Conflict(
                    f"customer {req.surviving_id} is at version {surviving.version}, "
                    f"not {req.expected_version}"
                )
            merged = [await _active(uow, cid, f"merged_ids[{i}]") for i, cid in enumerate(req.merged_ids)]
            merge_id = await merge_into(uow, surviving, merged, req.reason.strip(), req.actor, now)
            await _remember(uow, "merge", req, merge_id, now)
        customer = await queries.load_customer(uow, req.surviving_id, lineage=True)
    return api.MergeCustomersResponse(merge_id=merge_id, customer=customer)


async def unmerge_customer(deps: Deps, req: api.UnmergeCustomerRequest) -> api.UnmergeCustomerResponse:
    if not req.restore_ids:
        raise InvalidArgument("restore_ids", "name at least one customer to restore")
    if not req.reason.strip():
        raise InvalidArgument("reason", "is required")
    async with deps.transaction() as uow:
        unmerge_id = await _replay(uow, "unmerge", req)
        if unmerge_id is None:
            unmerge_id = await _unmerge(uow, req)
        customer = await queries.load_customer(uow, req.customer_id, lineage=True)
        restored = [await queries.load_customer(uow, cid, lineage=True) for cid in req.restore_ids]
    return api.UnmergeCustomerResponse(unmerge_id=unmerge_id, customer=customer, restored=restored)


async def _relink(
    uow: UnitOfWork, refs: Sequence[tuple[str, str]], customer_id: str, action: str, now: datetime
) -> None:
    """These source records move to ``customer_id``; the cross-reference history closes their old
    links and records the new one, with the action that made it."""
    await uow.repo.move_records(refs, customer_id)
    await uow.repo.close_xref(refs, now)
    await uow.repo.insert(
        xref_history,
        [
            {
                "source_system": s,
                "source_id": i,
                "customer_id": customer_id,
                "linked_at": now,
                "unlinked_at": None,
                "action": action,
            }
            for s, i in refs
        ],
    )


async def _re_resolve_arrivals(
    uow: UnitOfWork,
    host_id: str,
    restored: Sequence[tuple[str, Any, CustomerRow]],
    unmerge_id: str,
    now: datetime,
) -> None:
    """Records that joined the merged customer after the merge go to whichever of the customers the
    merge had joined they now match best: each is scored against the host's own records and against
    each restored customer's, and moves when a restored customer scores higher and would be linked
    to. Ties, and records that match nobody well, stay with the host."""
    since = min(aware(m.merged_at) for _, m, _ in restored)
    moved = {(s, x) for _, m, _ in restored for s, x, _origin in m.moved}
    held = await uow.repo.source_rows_of([host_id, *(cid for cid, _, _ in restored)])
    arrived = [
        r
        for r in held.get(host_id, [])
        if aware(r.linked_at) >= since and (r.source_system, r.source_id) not in moved
    ]
    if not arrived:
        return
    arrived_refs = {(r.source_system, r.source_id) for r in arrived}
    members = {
        cid: [
            Features(Record.from_json(r.data))
            for r in rows
            if (r.source_system, r.source_id) not in arrived_refs
        ]
        for cid, rows in held.items()
    }
    matcher = uow.deps.matcher
    for r in arrived:
        record = Features(Record.from_json(r.data))
        scored = [matcher.score(record, cid, found) for cid, found in members.items() if found]
        if not scored:
            continue
        best = max(scored, key=lambda c: (bool(c.deterministic), c.score, c.customer_id == host_id))
        if best.customer_id == host_id or not matcher.links(best):
            continue
        ref = (r.source_system, r.source_id)
        await _relink(uow, [ref], best.customer_id, f"unmerge:{unmerge_id}:re-resolved", now)


async def _unmerge(uow: UnitOfWork, req: api.UnmergeCustomerRequest) -> str:
    now = uow.deps.clock()
    host = await _active(uow, req.customer_id, "customer_id")
    if req.expected_version and req.expected_version != host.version:
        raise Conflict(f"customer {req.customer_id} is at version {host.version}, not {req.expected_version}")
    rows = (
        await uow.session.execute(
            select(merges).where(
                and_(merges.c.surviving_id == host.customer_id, merges.c.undone_by.is_(None))
            )
        )
    ).all()
    unmerge_id = new_id()
    restored_rows = []
    before = Golden.from_json(host.golden).flat()
    for i, cid in enumerate(req.restore_ids):
        row = await uow.repo.customer_row(cid)
        if row is None:
            raise NotFound(f"customer {cid} not found")
        merge = next((m for m in rows if cid in m.merged_ids), None)
        if row.state != MERGED or row.merged_into_id != host.customer_id or merge is None:
            raise FailedPrecondition(
                f"restore_ids[{i}]: customer {cid} is not merged into {host.customer_id}"
            )
        # The records that came from the restored customer go back to it, if they are still here.
        held = await uow.repo.source_rows([(s, x) for s, x, origin in merge.moved if origin == cid])
        refs = [ref for ref, r in held.items() if r.customer_id == host.customer_id]
        await _relink(uow, refs, cid, f"unmerge:{unmerge_id}", now)
        # Keep automatic matching from putting them straight back together.
        await uow.repo.insert(
            no_match, [{"source_system": s, "source_id": x, "customer_id": host.customer_id} for s, x in refs]
        )
        restored_rows.append((cid, merge, row))
    await _re_resolve_arrivals(uow, host.customer_id, restored_rows, unmerge_id, now)
    for cid, _merge, row in restored_rows:
        golden = await _golden_of(uow, cid)
        version = await _save(uow, row, golden, state=ACTIVE, merged_into=None, flags=set(), now=now)
        await _history(
            uow,
            cid,
            pb.HISTORY_ENTRY_KIND_UNMERGED,
            now,
            req.actor,
            version=version,
            action_id=unmerge_id,
            reason=req.reason,
            changes=diff({}, golden.flat()),
            related=[host.customer_id],
        )
    golden = await _golden_of(uow, host.customer_id)
    version = await _save(uow, host, golden, state=ACTIVE, merged_into=None, flags=set(host.flags), now=now)
    await _history(
        uow,
        host.customer_id,
        pb.HISTORY_ENTRY_KIND_UNMERGED,
        now,
        req.actor,
        version=version,
        action_id=unmerge_id,
        reason=req.reason,
        changes=diff(before, golden.flat()),
        related=list(req.restore_ids),
    )
    for merge in {m.merge_id: m for _, m, _ in restored_rows}.values():
        ids = [cid for cid, m, _ in restored_rows if m.merge_id == merge.merge_id]
        if set(merge.merged_ids) <= set(ids):
            await uow.session.execute(
                update(merges).where(merges.c.merge_id == merge.merge_id).values(undone_by=unmerge_id)
            )
        uow.record(
            ev.CustomerUnmerged(
                from_id=host.customer_id,
                restored_ids=ids,
                unmerge_id=unmerge_id,
                merge_id=merge.merge_id,
                reason=req.reason,
                actor=req.actor,
                merged_at=ts(merge.merged_at),
            ),
            host.customer_id,
        )
    await _remember(uow, "unmerge", req, unmerge_id, now)
    return unmerge_id


async def resolve_review(deps: Deps, req: api.ResolveMatchReviewRequest) -> api.ResolveMatchReviewResponse:
    if not req.review_id:
        raise InvalidArgument("review_id", "is required")
    if req.decision not in (api.MATCH_DECISION_MATCH, api.MATCH_DECISION_NO_MATCH):
        raise InvalidArgument("decision", "must be MATCH or NO_MATCH")
    wanted = (
        pb.MATCH_REVIEW_STATE_MATCHED
        if req.decision == api.MATCH_DECISION_MATCH
        else pb.MATCH_REVIEW_STATE_NOT_MATCHED
    )
    async with deps.transaction() as uow:
        now = deps.clock()
        r = (
            await uow.session.execute(select(match_reviews).where(match_reviews.c.review_id == req.review_id))
        ).first()
        if r is None:
            raise NotFound(f"match review {req.review_id} not found")
        if r.state == pb.MATCH_REVIEW_STATE_OPEN:
            if req.expected_version and req.expected_version != r.version:
                raise Conflict(
                    f"match review {req.review_id} is at version {r.version}, not {req.expected_version}"
                )
            result_id = await _decide(uow, r, req, wanted, now)
        elif r.state == wanted:
            result_id = (
                r.existing_customer_id if wanted == pb.MATCH_REVIEW_STATE_MATCHED else r.candidate_customer_id
            )
        else:
            raise FailedPrecondition(
                f"match review {req.review_id} is already {pb.MatchReviewState.Name(r.state)}"
            )
        r = (
            await uow.session.execute(select(match_reviews).where(match_reviews.c.review_id == req.review_id))
        ).one()
        customer = await queries.load_customer(uow, result_id, lineage=True)
    return api.ResolveMatchReviewResponse(review=queries.review_message(r), customer=customer)


async def _decide(
    uow: UnitOfWork, r: Any, req: api.ResolveMatchReviewRequest, wanted: int, now: datetime
) -> str:
    m = match_reviews.c
    result = await uow.session.execute(
        update(match_reviews)
        .where(and_(m.review_id == r.review_id, m.version == r.version))
        .values(
            state=wanted,
            resolve_time=now,
            resolved_by=actor_json(req.actor if req.actor.id else None),
            note=req.note,
            version=r.version + 1,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"match review {r.review_id} was resolved concurrently")
    reason = f"match review {r.review_id}" + (f": {req.note}" if req.note else "")
    candidate = await uow.repo.customer_row(r.candidate_customer_id)
    existing = await uow.repo.customer_row(r.existing_customer_id)
    if wanted == pb.MATCH_REVIEW_STATE_MATCHED:
        if (
            candidate is None
            or existing is None
            or ACTIVE not in (candidate.state,)
            or existing.state != ACTIVE
        ):
            raise FailedPrecondition("both customers of the review must still be active to merge them")
        await merge_into(uow, existing, [candidate], reason, req.actor, now, keep_review=r.review_id)
        return existing.customer_id
    await uow.repo.insert(
        no_match,
        [
            {
                "source_system": r.candidate_system,
                "source_id": r.candidate_id,
                "customer_id": r.existing_customer_id,
            }
        ],
    )
    for row in (candidate, existing):
        if row is not None and row.state == ACTIVE:
            flags = set(row.flags)
            if not await _open_review_flags(uow, row.customer_id):
                flags.discard(PENDING)
            golden = Golden.from_json(row.golden)
            v = await _save(uow, row, golden, state=ACTIVE, merged_into=None, flags=flags, now=now)
            await _history(
                uow,
                row.customer_id,
                pb.HISTORY_ENTRY_KIND_MATCH_REVIEW_RESOLVED,
                now,
                req.actor,
                version=v,
                action_id=r.review_id,
                reason=reason,
            )
    return r.candidate_customer_id


async def set_consent(deps: Deps, req: api.SetConsentRequest) -> pb.Customer:
    if req.channel == pb.CONSENT_CHANNEL_UNSPECIFIED:
        raise InvalidArgument("channel", "is required")
    if req.status == pb.CONSENT_STATUS_UNSPECIFIED:
        raise InvalidArgument("status", "is required")
    if not req.source.strip() or len(req.source) > 200:
        raise InvalidArgument("source", "is required (at most 200 characters)")
    if not req.HasField("given_at"):
        raise InvalidArgument("given_at", "is required")
    given_at = from_ts(req.given_at, "given_at")
    async with deps.transaction() as uow:
        now = deps.clock()
        if given_at > now:
            raise InvalidArgument("given_at", "is in the future")
        row = await _active(uow, req.customer_id, "customer_id")
        key = and_(consents.c.customer_id == row.customer_id, consents.c.channel == req.channel)
        current = (await uow.session.execute(select(consents).where(key))).first()
        same = current is not None and current.status == req.status and aware(current.given_at) == given_at
        newer = current is None or aware(current.given_at) < given_at
        if not same:
            change = (
                pb.ConsentChannel.Name(req.channel),
                pb.ConsentStatus.Name(current.status) if current else "",
                pb.ConsentStatus.Name(req.status),
            )
            if newer:
                await uow.session.execute(delete(consents).where(key))
                await uow.repo.insert(
                    consents,
                    [
                        {
                            "customer_id": row.customer_id,
                            "channel": req.channel,
                            "status": req.status,
                            "source": req.source.strip(),
                            "given_at": given_at,
                            "recorded_at": now,
                            "recorded_by": actor_json(req.actor if req.actor.id else None),
                        }
                    ],
                )
            version = await _save(
                uow,
                row,
                Golden.from_json(row.golden),
                state=ACTIVE,
                merged_into=None,
                flags=set(row.flags),
                now=now,
            )
            reason = f"source {req.source.strip()}" + (
                "" if newer else "; older than the consent held, not applied"
            )
            await _history(
                uow,
                row.customer_id,
                pb.HISTORY_ENTRY_KIND_CONSENT_CHANGED,
                now,
                req.actor,
                version=version,
                reason=reason,
                changes=[change] if newer else [],
            )
            if newer:
                consent = pb.Consent(
                    channel=req.channel,
                    status=req.status,
                    source=req.source.strip(),
                    given_at=req.given_at,
                    recorded_at=ts(now),
                    recorded_by=req.actor,
                )
                uow.record(
                    ev.ConsentChanged(
                        customer_id=row.customer_id,
                        consent=consent,
                        previous_status=cast(pb.ConsentStatus, current.status if current else 0),
                    ),
                    row.customer_id,
                )
        return await queries.load_customer(uow, row.customer_id, lineage=False)


EXPORT_TIMELINE_PAGE = 500  # timeline entries read at a time for an export


async def export_customer(deps: Deps, req: api.ExportCustomerRequest) -> api.CustomerExport:
    async with deps.transaction() as uow:
        now = deps.clock()
        customer = await queries.load_customer(uow, req.customer_id, lineage=True)
        records = []
        for _, _, raw in await uow.repo.raw_records(req.customer_id):
            records.append(pb.SourceRecord.FromString(raw))
        hist = (
            await uow.session.execute(
                select(history).where(history.c.customer_id == req.customer_id).order_by(history.c.seq.desc())
            )
        ).all()
        m = match_reviews.c
        reviews = (
            await uow.session.execute(
                select(match_reviews)
                .where(
                    or_(m.candidate_customer_id == req.customer_id, m.existing_customer_id == req.customer_id)
                )
                .order_by(m.seq)
            )
        ).all()
        view, family = await queries360.summaries(uow, req.customer_id)
        timeline, token = [], ""
        while family:
            page, token = await queries360.timeline(uow, family, [], EXPORT_TIMELINE_PAGE, token)
            timeline += page
            if not token:
                break
        await _history(
            uow, req.customer_id, pb.HISTORY_ENTRY_KIND_EXPORTED, now, req.actor, version=customer.version
        )
    return api.CustomerExport(
        customer=customer,
        source_records=records,
        history=[queries.history_entry(h) for h in hist],
        match_reviews=[queries.review_message(r) for r in reviews],
        exported_at=ts(now),
        customer360=view,
        timeline=timeline,
    )


async def erase_customer(deps: Deps, req: api.EraseCustomerRequest) -> api.EraseCustomerResponse:
    if not req.customer_id:
        raise InvalidArgument("customer_id", "is required")
    if not req.reason.strip():
        raise InvalidArgument("reason", "is required")
    async with deps.transaction() as uow:
        prior = (
            await uow.session.execute(select(erasures).where(erasures.c.customer_id == req.customer_id))
        ).first()
        if prior is None:
            prior_id = await _replay(uow, "erase", req)
            if prior_id is not None:
                prior = (
                    await uow.session.execute(select(erasures).where(erasures.c.customer_id == prior_id))
                ).first()
        if prior is None:
            await _erase(uow, req)
            prior = (
                await uow.session.execute(select(erasures).where(erasures.c.customer_id == req.customer_id))
            ).one()
    return api.EraseCustomerResponse(
        customer_id=prior.customer_id,
        tombstones=[pb.SourceReference(source_system=s, source_id=i) for s, i in prior.tombstones],
        erased_at=ts(prior.erased_at),
    )


async def _erase(uow: UnitOfWork, req: api.EraseCustomerRequest) -> None:
    now = uow.deps.clock()
    row = await _active(uow, req.customer_id, "customer_id")
    cid = row.customer_id
    refs = sorted(
        (await uow.repo.source_rows_of([cid])).get(cid, []), key=lambda s: (s.source_system, s.source_id)
    )
    pairs = [(s.source_system, s.source_id) for s in refs]
    erasure_id = new_id()
    await uow.repo.insert(
        tombstones,
        [
            {
                "source_system": s,
                "source_id": i,
                "customer_id": cid,
                "erased_at": now,
                "request_reference": req.request_reference[:200],
            }
            for s, i in pairs
        ],
    )
    await uow.session.execute(delete(source_records).where(source_records.c.customer_id == cid))
    await uow.repo.delete_keys(pairs)  # by record: no index leads from a customer to its keys
    await uow.repo.close_xref(pairs, now)
    await uow.session.execute(delete(consents).where(consents.c.customer_id == cid))
    await Projection(view360_tables).erase(uow.session, cid)
    # The audit trail keeps that things happened, not the personal values they happened to.
    await uow.session.execute(update(history).where(history.c.customer_id == cid).values(changes=[]))
    m = match_reviews.c
    await uow.session.execute(
        update(match_reviews)
        .where(or_(m.candidate_customer_id == cid, m.existing_customer_id == cid))
        .values(comparisons=[])
    )
    await _supersede_reviews(uow, [cid], now)
    version = await _save(uow, row, Golden(), state=ERASED, merged_into=None, flags=set(), now=now)
    await _history(
        uow,
        cid,
        pb.HISTORY_ENTRY_KIND_ERASED,
        now,
        req.actor,
        version=version,
        action_id=erasure_id,
        reason=req.reason.strip(),
    )
    await uow.repo.insert(
        erasures,
        [
            {
                "customer_id": cid,
                "erasure_id": erasure_id,
                "reason": req.reason.strip(),
                "request_reference": req.request_reference[:200],
                "erased_at": now,
                "tombstones": [list(p) for p in pairs],
            }
        ],
    )
    await _remember(uow, "erase", req, cid, now)
    uow.record(
        ev.CustomerErased(
            customer_id=cid,
            source_records=[pb.SourceReference(source_system=s, source_id=i) for s, i in pairs],
            request_reference=req.request_reference,
            erased_at=ts(now),
        ),
        cid,
    )
