"""Reading back what matching decided: the model and comparisons behind each stored link, and the
households a customer belongs to (other customers held apart as different people)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from isthmus.customers.deps import UnitOfWork
from isthmus.customers.tables import customers, household_links
from isthmus.kernel.timestamps import ts
from isthmus.platform.sql import any_of
from isthmus_client.api.customers.v1 import records_pb2 as pb

ACTIVE = pb.CUSTOMER_STATE_ACTIVE


def comparator_results(stored: Iterable[Sequence[Any]]) -> list[pb.ComparatorResult]:
    """Comparisons as stored (``batch_io.comparisons_json``; older rows lack the level)."""
    out = []
    for c in stored:
        name, left, right, similarity, weight, explanation = c[:6]
        out.append(
            pb.ComparatorResult(
                comparator=name,
                left_value=str(left),
                right_value=str(right),
                similarity=similarity,
                weight=weight,
                explanation=explanation,
                level=c[6] if len(c) > 6 else "",
            )
        )
    return out


def explain(ref: pb.SourceReference, model: str | None, comparisons: Any) -> None:
    """Fills in ``ref``'s model and comparisons as stored with its record."""
    ref.match_model = model or ""
    ref.comparisons.extend(comparator_results(comparisons or ()))


async def _current(uow: UnitOfWork, ids: set[str]) -> dict[str, tuple[str, int]]:
    """id -> (the active customer it is now, following merges; its state)."""
    out: dict[str, tuple[str, int]] = {}
    todo = set(ids)
    seen: dict[str, tuple[str | None, int]] = {}
    c = customers.c
    while todo:
        rows = (
            await uow.session.execute(
                select(c.customer_id, c.merged_into_id, c.state).where(any_of(c.customer_id, "ids")),
                {"ids": list(todo)},
            )
        ).all()
        todo = set()
        for cid, into, state in rows:
            seen[cid] = (into, state)
            if into and into not in seen:
                todo.add(into)
    for cid in ids:
        at, hops = cid, 0
        while at in seen and seen[at][0] and hops < 50:
            at, hops = seen[at][0] or at, hops + 1
        out[cid] = (at, seen.get(at, (None, 0))[1])
    return out


async def households(uow: UnitOfWork, customer_ids: Sequence[str]) -> dict[str, list[pb.HouseholdMember]]:
    """The other customers of each customer's household, by their current ids (merges followed);
    erased customers are left out. Read together for all of ``customer_ids`` (a page of search
    results): the queries of one customer, whatever their number."""
    c = customers.c
    # Each customer id -> the customers of the request whose household it speaks for: itself, and
    # the customers merged into it, which keep their links under their own ids.
    roots: dict[str, set[str]] = {cid: {cid} for cid in customer_ids}
    frontier = set(roots)
    while frontier:
        merged = await uow.session.execute(
            select(c.customer_id, c.merged_into_id).where(any_of(c.merged_into_id, "ids")),
            {"ids": list(frontier)},
        )
        frontier = set()
        for cid, into in merged:
            new = roots[into] - roots.get(cid, set())
            if new:
                roots.setdefault(cid, set()).update(new)
                frontier.add(cid)
    h = household_links.c
    rows = (
        await uow.session.execute(
            select(household_links).where(any_of(h.customer_a, "a") | any_of(h.customer_b, "b")),
            {"a": list(roots), "b": list(roots)},
        )
    ).all()
    mine: dict[str, set[str]] = {cid: set() for cid in customer_ids}
    for cid, of in roots.items():
        for root in of:
            mine[root].add(cid)
    # (customer asked for, the link's other customer, the link), in the links' order.
    links = [
        (root, r.customer_b if r.customer_a in mine[root] else r.customer_a, r)
        for r in rows
        for root in sorted(roots.get(r.customer_a, set()) | roots.get(r.customer_b, set()))
    ]
    now = await _current(uow, {other for _, other, _ in links})
    members: dict[str, dict[str, pb.HouseholdMember]] = {cid: {} for cid in customer_ids}
    for root, other, r in links:
        current, state = now.get(other, (other, 0))
        if current in mine[root] or state != ACTIVE or current in members[root]:
            continue
        members[root][current] = pb.HouseholdMember(
            customer_id=current,
            shared=[f"{comparator}: {level}" for comparator, level in r.shared],
            reason=r.reason,
            found_by=pb.SourceReference(
                source_system=r.source_system, source_id=r.source_id, match_model=r.match_model
            ),
            create_time=ts(r.create_time),
        )
    return {cid: [found[k] for k in sorted(found)] for cid, found in members.items()}
