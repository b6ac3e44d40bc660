"""Read use cases: customers, the cross-reference, search, audit trail, match reviews."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import and_, exists, or_, select

from isthmus.customers import convert, explanations
from isthmus.customers.deps import UnitOfWork
from isthmus.customers.normalise import canonical_email, e164, fold
from isthmus.customers.tables import (
    blocking_keys,
    customers,
    history,
    match_reviews,
    source_records,
)
from isthmus.kernel.errors import InvalidArgument, NotFound
from isthmus.kernel.paging import decode_token, encode_token, filters_of, page_size
from isthmus.kernel.timestamps import ts
from isthmus_client import errors as reasons
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

# Ids a NotFound of get_customers names in its message; the rest are counted.
MISSING_NAMED = 10


def consent_messages(rows: Iterable[Any]) -> list[pb.Consent]:
    return [
        pb.Consent(
            channel=r.channel,
            status=r.status,
            source=r.source,
            give_time=ts(r.given_at),
            record_time=ts(r.recorded_at),
            recorded_by=convert.actor(r.recorded_by),
        )
        for r in sorted(rows, key=lambda r: r.channel)
    ]


async def load_customer(
    uow: UnitOfWork, customer_id: str, *, lineage: bool, field: str = "customer_id"
) -> pb.Customer:
    if not customer_id:
        raise InvalidArgument(field, "is required")
    found = await load_customers(uow, [customer_id], lineage=lineage)
    if not found:
        raise NotFound(f"customer {customer_id} not found")
    return found[0]


async def get_customers(
    uow: UnitOfWork, customer_ids: Sequence[str], *, lineage: bool, field: str = "customer_ids"
) -> list[pb.Customer]:
    """One customer per id of ``customer_ids``, in that order (an id given twice is there twice), each
    as ``load_customer`` makes it, read together as ``load_customers`` reads them. All or nothing: an id
    that names no customer is NotFound, its ErrorInfo naming the first such id's path in ``field``."""
    found = {c.customer_id: c for c in await load_customers(uow, customer_ids, lineage=lineage)}
    missing = [i for i, cid in enumerate(customer_ids) if cid not in found]
    if missing:
        named = ", ".join(f"{customer_ids[i]} ({field}[{i}])" for i in missing[:MISSING_NAMED])
        more = f" and {len(missing) - MISSING_NAMED} more" if len(missing) > MISSING_NAMED else ""
        ids = "id" if len(missing) == 1 else "ids"
        raise NotFound(f"no customer has the {ids} {named}{more}").because(
            reasons.NOT_FOUND, field=f"{field}[{missing[0]}]"
        )
    return [found[cid] for cid in customer_ids]


async def load_customers(uow: UnitOfWork, customer_ids: Sequence[str], *, lineage: bool) -> list[pb.Customer]:
    """The customers of ``customer_ids`` that exist, in that order, each as ``load_customer`` makes it;
    read together, so that a page of search results costs the queries of one customer."""
    rows = await uow.repo.customer_rows(customer_ids)
    ids = [cid for cid in dict.fromkeys(customer_ids) if cid in rows]
    if not ids:
        return []
    consents = await uow.repo.consent_rows(ids)
    if not lineage:
        held = await uow.repo.source_rows_of(ids)
        return [
            convert.customer(rows[cid], held.get(cid, []), consent_messages(consents.get(cid, ())))
            for cid in ids
        ]
    # The FULL view: what made each link (read with the records), and the customer's household.
    explained = await uow.repo.explained_source_rows(ids)
    households = await explanations.households(uow, ids)
    found = []
    for cid in ids:
        linked = explained.get(cid, [])
        why = {(s.source_system, s.source_id): (model, comparisons) for s, model, comparisons in linked}
        sources = [s for s, _, _ in linked]
        msg = convert.customer(rows[cid], sources, consent_messages(consents.get(cid, ())), lineage=True)
        for ref in msg.sources:
            explanations.explain(ref, *why.get((ref.source_system, ref.source_id), (None, None)))
        msg.household.extend(households[cid])
        found.append(msg)
    return found


async def lookup(
    uow: UnitOfWork, source_system: str, source_id: str
) -> tuple[str, pb.SourceReference | None, bool]:
    if not source_system:
        raise InvalidArgument("source_system", "is required")
    if not source_id:
        raise InvalidArgument("source_id", "is required")
    found = await uow.repo.explained_source_row(source_system, source_id)
    if found is not None:
        row, model, comparisons = found
        ref = convert.source_reference(row)
        explanations.explain(ref, model, comparisons)
        return row.customer_id, ref, False
    tomb = await uow.repo.tombstones([(source_system, source_id)])
    if tomb:
        ref = pb.SourceReference(source_system=source_system, source_id=source_id)
        return next(iter(tomb.values())), ref, True
    raise NotFound(f"no customer holds source record {source_system}/{source_id}")


async def search(uow: UnitOfWork, req: Any, default_region: str) -> tuple[list[str], str]:
    """Customer ids for a search request, best match first, and the next page token."""
    size = page_size(req.page_size)
    filters = filters_of(req)
    position = decode_token(req.page_token, filters)
    c = customers.c
    stmt = select(c.customer_id, c.search_text)
    conditions = []
    if not req.include_inactive:
        conditions.append(c.state == pb.CUSTOMER_STATE_ACTIVE)
    if req.email:
        email = canonical_email(req.email)
        if email is None:
            raise InvalidArgument("email", "is not an email address")
        conditions.append(_has_key(f"e:{email.casefold()}"))
    if req.phone:
        phone = e164(req.phone, default_region or None)
        if phone is None:
            raise InvalidArgument("phone", "is not a valid phone number (use +<country code>...)")
        conditions.append(_has_key(f"p:{phone}"))
    if req.family_name:
        conditions.append(c.family_key == fold(req.family_name))
    if req.HasField("birth_date"):
        d = req.birth_date
        conditions.append(c.dob == f"{d.year:04d}-{d.month:02d}-{d.day:02d}")
    if req.postal_code:
        conditions.append(c.postal_code == req.postal_code.replace(" ", "").upper())
    if req.source_system:
        conditions.append(
            exists().where(
                and_(
                    source_records.c.customer_id == c.customer_id,
                    source_records.c.source_system == req.source_system,
                )
            )
        )
    tokens = fold(req.query).split() if req.query else []
    if len(req.query) > 200:
        raise InvalidArgument("query", "longer than 200 characters")
    if tokens:
        # Every token must appear somewhere (prefix of 4 keeps typos in the tail findable); rank fuzzily.
        conditions.append(and_(*[c.search_text.contains(t[:4], autoescape=True) for t in tokens]))
    stmt = stmt.where(and_(*conditions)) if conditions else stmt
    if not tokens:  # by id, each page after the last id shown
        if position is not None:
            stmt = stmt.where(c.customer_id > position.text("after"))
        ids = list(await uow.session.scalars(stmt.order_by(c.customer_id).limit(size + 1)))
        more = len(ids) > size
        return ids[:size], encode_token({"after": ids[size - 1]}, filters) if more else ""
    # Ranked by how well each matches, of the first 2,000 found: pages are places in that ranking.
    offset = position.integer("offset") if position is not None else 0
    rows = (await uow.session.execute(stmt.order_by(c.customer_id).limit(2000))).all()
    query = " ".join(tokens)
    ranked = sorted(rows, key=lambda r: (-fuzz.token_set_ratio(query, r.search_text), r.customer_id))
    ids = [r.customer_id for r in ranked]
    page = ids[offset : offset + size]
    more = len(ids) > offset + size
    return page, encode_token({"offset": offset + size}, filters) if more else ""


def _has_key(key: str) -> Any:
    return exists().where(
        and_(blocking_keys.c.key == key, blocking_keys.c.customer_id == customers.c.customer_id)
    )


def history_entry(r: Any) -> pb.HistoryEntry:
    src = r.source_record
    ref = None
    if src:
        ref = pb.SourceReference(
            source_system=src["source_system"],
            source_id=src["source_id"],
            link_outcome=src.get("link_outcome", 0),
            score=src.get("score", 0.0),
        )
    return pb.HistoryEntry(
        entry_id=r.entry_id,
        customer_id=r.customer_id,
        kind=r.kind,
        occur_time=ts(r.occurred_at),
        actor=convert.actor(r.actor),
        source_record=ref,
        steward_action_id=r.steward_action_id,
        reason=r.reason,
        changes=[pb.FieldChange(field=f, before=b, after=a) for f, b, a in r.changes],
        version=r.version,
        related_customer_ids=r.related,
        principal=r.principal,
    )


async def customer_history(
    uow: UnitOfWork, customer_id: str, size: int, token: str
) -> tuple[list[pb.HistoryEntry], str]:
    if not customer_id:
        raise InvalidArgument("customer_id", "is required")
    if await uow.repo.customer_row(customer_id) is None:
        raise NotFound(f"customer {customer_id} not found")
    position = decode_token(token, customer_id)
    stmt = select(history).where(history.c.customer_id == customer_id)
    if position is not None:
        stmt = stmt.where(history.c.seq < position.integer("before"))
    rows = (await uow.session.execute(stmt.order_by(history.c.seq.desc()).limit(size + 1))).all()
    more = len(rows) > size
    rows = rows[:size]
    return [history_entry(r) for r in rows], encode_token(
        {"before": rows[-1].seq}, customer_id
    ) if more else ""


def review_message(r: Any) -> pb.MatchReview:
    return pb.MatchReview(
        review_id=r.review_id,
        state=r.state,
        candidate_record=pb.SourceReference(source_system=r.candidate_system, source_id=r.candidate_id),
        candidate_customer_id=r.candidate_customer_id,
        existing_customer_id=r.existing_customer_id,
        score=r.score,
        lower_threshold=r.lower_threshold,
        upper_threshold=r.upper_threshold,
        comparisons=explanations.comparator_results(r.comparisons),
        create_time=ts(r.create_time),
        resolve_time=ts(r.resolve_time),
        resolved_by=convert.actor(r.resolved_by),
        resolution_note=r.note,
        version=r.version,
        match_model=r.match_model,
        uncertain=r.uncertain,
    )


async def list_reviews(uow: UnitOfWork, req: Any) -> tuple[list[pb.MatchReview], str]:
    size = page_size(req.page_size)
    filters = filters_of(req)
    position = decode_token(req.page_token, filters)
    m = match_reviews.c
    stmt = select(match_reviews).where(m.state == (req.state or pb.MATCH_REVIEW_STATE_OPEN))
    if req.customer_id:
        stmt = stmt.where(
            or_(m.candidate_customer_id == req.customer_id, m.existing_customer_id == req.customer_id)
        )
    if req.min_score:
        stmt = stmt.where(m.score >= req.min_score)
    if req.source_system:
        stmt = stmt.where(m.candidate_system == req.source_system)
    if req.order_by == api.MATCH_REVIEW_ORDER_VALUE_FIRST:
        # By the worth the 360's value rows give each review (its index, ix_match_reviews_worth);
        # a review whose worth changes between two pages may be met twice or not at all.
        if position is not None:
            worth, seq = position.number("worth"), position.integer("after")
            stmt = stmt.where(or_(m.worth < worth, and_(m.worth == worth, m.seq > seq)))
        rows = (await uow.session.execute(stmt.order_by(m.worth.desc(), m.seq).limit(size + 1))).all()
        more = len(rows) > size
        rows = rows[:size]
        token = encode_token({"worth": rows[-1].worth, "after": rows[-1].seq}, filters) if more else ""
        return [review_message(r) for r in rows], token
    if position is not None:
        stmt = stmt.where(m.seq > position.integer("after"))
    rows = (await uow.session.execute(stmt.order_by(m.seq).limit(size + 1))).all()
    more = len(rows) > size
    rows = rows[:size]
    return [review_message(r) for r in rows], encode_token({"after": rows[-1].seq}, filters) if more else ""
