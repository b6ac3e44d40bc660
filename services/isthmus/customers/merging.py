"""Merge and unmerge: one golden customer absorbs others, and gives them back with their records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select, update

from isthmus.customers import convert, queries
from isthmus.customers.deps import Deps, UnitOfWork, actor_json
from isthmus.customers.matching import Features
from isthmus.customers.records import Record
from isthmus.customers.steward import (
    ACTIVE,
    MERGED,
    PENDING,
    active,
    emit_customer,
    golden_from,
    golden_of,
    record_history,
    remember,
    replay,
    save,
    supersede_reviews,
)
from isthmus.customers.store import CustomerRow
from isthmus.customers.survivorship import Golden, diff
from isthmus.customers.tables import consents, merges, no_match, xref_history
from isthmus.kernel.errors import FailedPrecondition, InvalidArgument, NotFound, stale_version
from isthmus.kernel.idempotency import outcome
from isthmus.kernel.ids import new_uuid
from isthmus.kernel.timestamps import aware, ts
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev


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
    merge_id = new_uuid()
    ids = [m.customer_id for m in merged]
    moved_rows = await uow.repo.source_rows_of(ids)
    moved = [[s.source_system, s.source_id, cid] for cid in ids for s in moved_rows.get(cid, [])]
    await relink(uow, [(s, i) for s, i, _ in moved], surviving.customer_id, f"merge:{merge_id}", now)
    await _move_consents(uow, ids, surviving.customer_id)
    before = Golden.from_json(surviving.golden).flat()
    # The survivor's records as they now stand: its golden record, and the event's copy of them.
    sources = (await uow.repo.source_rows_of([surviving.customer_id])).get(surviving.customer_id, [])
    golden = golden_from(uow, sources)
    await supersede_reviews(uow, [surviving.customer_id, *ids], now, keep=keep_review)
    flags = set(surviving.flags) | {f for m in merged for f in m.flags}
    flags.discard(pb.QUALITY_FLAG_INSUFFICIENT_MATCH_DATA)
    if golden.conflicting:
        flags.add(pb.QUALITY_FLAG_CONFLICTING_VALUES)
    flags.discard(PENDING)
    version = await save(uow, surviving, golden, state=ACTIVE, merged_into=None, flags=flags, now=now)
    await record_history(
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
        v = await save(
            uow, m, Golden(), state=MERGED, merged_into=surviving.customer_id, flags=set(), now=now
        )
        await record_history(
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
        merge_id = await replay(uow, "merge", req)
        applied = merge_id is None
        if merge_id is None:
            now = deps.clock()
            surviving = await active(uow, req.surviving_id, "surviving_id")
            if req.expected_version and req.expected_version != surviving.version:
                raise stale_version(f"customer {req.surviving_id}", surviving.version, req.expected_version)
            merged = [await active(uow, cid, f"merged_ids[{i}]") for i, cid in enumerate(req.merged_ids)]
            merge_id = await merge_into(uow, surviving, merged, req.reason.strip(), req.actor, now)
            await remember(uow, "merge", req, merge_id, now)
        customer = await queries.load_customer(uow, req.surviving_id, lineage=True)
    return api.MergeCustomersResponse(merge_id=merge_id, customer=customer, outcome=outcome(applied))


async def unmerge_customer(deps: Deps, req: api.UnmergeCustomerRequest) -> api.UnmergeCustomerResponse:
    if not req.restore_ids:
        raise InvalidArgument("restore_ids", "name at least one customer to restore")
    if not req.reason.strip():
        raise InvalidArgument("reason", "is required")
    async with deps.transaction() as uow:
        unmerge_id = await replay(uow, "unmerge", req)
        applied = unmerge_id is None
        if unmerge_id is None:
            unmerge_id = await _unmerge(uow, req)
        customer = await queries.load_customer(uow, req.customer_id, lineage=True)
        restored = [await queries.load_customer(uow, cid, lineage=True) for cid in req.restore_ids]
    return api.UnmergeCustomerResponse(
        unmerge_id=unmerge_id, customer=customer, restored=restored, outcome=outcome(applied)
    )


async def relink(
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
        await relink(uow, [ref], best.customer_id, f"unmerge:{unmerge_id}:re-resolved", now)


async def _unmerge(uow: UnitOfWork, req: api.UnmergeCustomerRequest) -> str:
    now = uow.deps.clock()
    host = await active(uow, req.customer_id, "customer_id")
    if req.expected_version and req.expected_version != host.version:
        raise stale_version(f"customer {req.customer_id}", host.version, req.expected_version)
    rows = (
        await uow.session.execute(
            select(merges).where(
                and_(merges.c.surviving_id == host.customer_id, merges.c.undone_by.is_(None))
            )
        )
    ).all()
    unmerge_id = new_uuid()
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
        await relink(uow, refs, cid, f"unmerge:{unmerge_id}", now)
        # Keep automatic matching from putting them straight back together.
        await uow.repo.insert(
            no_match, [{"source_system": s, "source_id": x, "customer_id": host.customer_id} for s, x in refs]
        )
        restored_rows.append((cid, merge, row))
    await _re_resolve_arrivals(uow, host.customer_id, restored_rows, unmerge_id, now)
    restored_golden: dict[str, Golden] = {}
    for cid, _merge, row in restored_rows:
        golden = restored_golden[cid] = await golden_of(uow, cid)
        version = await save(uow, row, golden, state=ACTIVE, merged_into=None, flags=set(), now=now)
        await record_history(
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
    golden = await golden_of(uow, host.customer_id)
    version = await save(uow, host, golden, state=ACTIVE, merged_into=None, flags=set(host.flags), now=now)
    await record_history(
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
                merge_time=ts(merge.merged_at),
            ),
            host.customer_id,
        )
    # The host's golden record changed and the restored customers have theirs again: whoever follows
    # golden values (write-back to the source systems, the 360, segments) hears it as any change.
    for cid, restored in restored_golden.items():
        await emit_customer(uow, cid, None, sorted(restored.flat()))
    await emit_customer(uow, host.customer_id, None, sorted({c[0] for c in diff(before, golden.flat())}))
    await remember(uow, "unmerge", req, unmerge_id, now)
    return unmerge_id
