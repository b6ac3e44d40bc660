"""Consent, export and erasure: what the person may ask of the hub."""

from __future__ import annotations

from typing import cast

from sqlalchemy import and_, delete, or_, select, update

from isthmus.customers import findings, queries, queries360
from isthmus.customers.deps import Deps, UnitOfWork, actor_json
from isthmus.customers.steward import (
    ACTIVE,
    ERASED,
    active,
    record_history,
    remember,
    replay,
    save,
    supersede_reviews,
)
from isthmus.customers.survivorship import Golden
from isthmus.customers.tables import (
    consents,
    erasures,
    history,
    match_reviews,
    source_records,
    tombstones,
    view360_tables,
)
from isthmus.customers.view360 import Projection
from isthmus.kernel.errors import InvalidArgument
from isthmus.kernel.idempotency import outcome
from isthmus.kernel.ids import new_uuid
from isthmus.kernel.timestamps import aware, from_ts, ts
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev


async def set_consent(deps: Deps, req: api.SetConsentRequest) -> api.SetConsentResponse:
    if req.channel == pb.CONSENT_CHANNEL_UNSPECIFIED:
        raise InvalidArgument("channel", "is required")
    if req.status == pb.CONSENT_STATUS_UNSPECIFIED:
        raise InvalidArgument("status", "is required")
    if not req.source.strip() or len(req.source) > 200:
        raise InvalidArgument("source", "is required (at most 200 characters)")
    if not req.HasField("give_time"):
        raise InvalidArgument("give_time", "is required")
    given_at = from_ts(req.give_time, "give_time")
    async with deps.transaction() as uow:
        now = deps.clock()
        if given_at > now:
            raise InvalidArgument("give_time", "is in the future")
        row = await active(uow, req.customer_id, "customer_id")
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
            version = await save(
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
            await record_history(
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
                    give_time=req.give_time,
                    record_time=ts(now),
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
        customer = await queries.load_customer(uow, row.customer_id, lineage=False)
    return api.SetConsentResponse(customer=customer, outcome=outcome(not same))


EXPORT_TIMELINE_PAGE = 500  # timeline entries read at a time for an export


async def export_customer(deps: Deps, req: api.ExportCustomerRequest) -> api.ExportCustomerResponse:
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
        await record_history(
            uow, req.customer_id, pb.HISTORY_ENTRY_KIND_EXPORTED, now, req.actor, version=customer.version
        )
    return api.ExportCustomerResponse(
        customer=customer,
        source_records=records,
        history=[queries.history_entry(h) for h in hist],
        match_reviews=[queries.review_message(r) for r in reviews],
        export_time=ts(now),
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
            prior_id = await replay(uow, "erase", req)
            if prior_id is not None:
                prior = (
                    await uow.session.execute(select(erasures).where(erasures.c.customer_id == prior_id))
                ).first()
        applied = prior is None
        if prior is None:
            await _erase(uow, req)
            prior = (
                await uow.session.execute(select(erasures).where(erasures.c.customer_id == req.customer_id))
            ).one()
    return api.EraseCustomerResponse(
        customer_id=prior.customer_id,
        tombstones=[pb.SourceReference(source_system=s, source_id=i) for s, i in prior.tombstones],
        erase_time=ts(prior.erased_at),
        outcome=outcome(applied),
    )


async def _erase(uow: UnitOfWork, req: api.EraseCustomerRequest) -> None:
    now = uow.deps.clock()
    row = await active(uow, req.customer_id, "customer_id")
    cid = row.customer_id
    refs = sorted(
        (await uow.repo.source_rows_of([cid])).get(cid, []), key=lambda s: (s.source_system, s.source_id)
    )
    pairs = [(s.source_system, s.source_id) for s in refs]
    erasure_id = new_uuid()
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
    await findings.forget(uow.repo, pairs)
    await uow.repo.close_xref(pairs, now)
    await uow.session.execute(delete(consents).where(consents.c.customer_id == cid))
    await Projection(view360_tables).erase(uow.session, cid)
    # The audit trail keeps that things happened, not the personal values they happened to.
    await uow.session.execute(update(history).where(history.c.customer_id == cid).values(changes=[]))
    m = match_reviews.c
    await uow.session.execute(
        update(match_reviews)
        .where(or_(m.candidate_customer_id == cid, m.existing_customer_id == cid))
        .values(comparisons=[], uncertain="")
    )
    await supersede_reviews(uow, [cid], now)
    version = await save(uow, row, Golden(), state=ERASED, merged_into=None, flags=set(), now=now)
    await record_history(
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
    await remember(uow, "erase", req, cid, now)
    uow.record(
        ev.CustomerErased(
            customer_id=cid,
            source_records=[pb.SourceReference(source_system=s, source_id=i) for s, i in pairs],
            request_reference=req.request_reference,
            erase_time=ts(now),
        ),
        cid,
    )
