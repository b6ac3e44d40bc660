"""Match reviews: a steward's match or no-match on a pair the matcher could not decide."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update

from isthmus.customers import queries
from isthmus.customers.deps import Deps, UnitOfWork, actor_json
from isthmus.customers.merging import merge_into
from isthmus.customers.steward import (
    ACTIVE,
    PENDING,
    open_review_flags,
    record_history,
    save,
)
from isthmus.customers.survivorship import Golden
from isthmus.customers.tables import match_reviews, no_match
from isthmus.kernel.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound, stale_version
from isthmus.kernel.idempotency import outcome
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb


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
    try:
        return await _resolve(deps, req, wanted)
    except _Preview as preview:
        return preview.response


class _Preview(Exception):
    """Leaves a validate-only transaction, rolling back what it did, with the answer it would give."""

    def __init__(self, response: api.ResolveMatchReviewResponse) -> None:
        self.response = response


async def _resolve(
    deps: Deps, req: api.ResolveMatchReviewRequest, wanted: int
) -> api.ResolveMatchReviewResponse:
    async with deps.transaction() as uow:
        now = deps.clock()
        r = (
            await uow.session.execute(select(match_reviews).where(match_reviews.c.review_id == req.review_id))
        ).first()
        if r is None:
            raise NotFound(f"match review {req.review_id} not found")
        applied = r.state == pb.MATCH_REVIEW_STATE_OPEN
        if applied:
            if req.expected_version and req.expected_version != r.version:
                raise stale_version(f"match review {req.review_id}", r.version, req.expected_version)
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
        response = api.ResolveMatchReviewResponse(
            review=queries.review_message(r), customer=customer, outcome=outcome(applied)
        )
        if req.validate_only:
            raise _Preview(response)  # the transaction rolls back: nothing changed, no event sent
    return response


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
            if not await open_review_flags(uow, row.customer_id):
                flags.discard(PENDING)
            golden = Golden.from_json(row.golden)
            v = await save(uow, row, golden, state=ACTIVE, merged_into=None, flags=flags, now=now)
            await record_history(
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
