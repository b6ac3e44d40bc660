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


async def household(uow: UnitOfWork, customer_id: str) -> list[pb.HouseholdMember]:
    """The other customers of ``customer_id``'s household, by their current ids (merges followed);
    erased customers are left out."""
    c = customers.c
    mine = {customer_id}
    frontier = {customer_id}
    while frontier:  # the customers merged into this one keep their links under their own ids
        merged = await uow.session.execute(
            select(c.customer_id).where(any_of(c.merged_into_id, "ids")), {"ids": list(frontier)}
        )
        frontier = {r[0] for r in merged} - mine
        mine |= frontier
    h = household_links.c
    rows = (
        await uow.session.execute(
            select(household_links).where(any_of(h.customer_a, "a") | any_of(h.customer_b, "b")),
            {"a": list(mine), "b": list(mine)},
        )
    ).all()
    others = {r.customer_b if r.customer_a in mine else r.customer_a for r in rows}
    now = await _current(uow, others)
    members: dict[str, pb.HouseholdMember] = {}
    for r in rows:
        other = r.customer_b if r.customer_a in mine else r.customer_a
        current, state = now.get(other, (other, 0))
        if current in mine or state != ACTIVE or current in members:
            continue
        members[current] = pb.HouseholdMember(
            customer_id=current,
            shared=[f"{comparator}: {level}" for comparator, level in r.shared],
            reason=r.reason,
            found_by=pb.SourceReference(
                source_system=r.source_system, source_id=r.source_id, match_model=r.match_model
            ),
            create_time=ts(r.create_time),
        )
    return [members[k] for k in sorted(members)]
