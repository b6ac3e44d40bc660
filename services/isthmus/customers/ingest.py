"""Use case: upsert source records (one or a batch) and resolve each to a golden customer.

A batch runs in one transaction with few queries whatever its size: lock the batch's source rows,
read tombstones, then, for each slice of 250 new records, the candidates under their blocking keys
and the match profiles of those candidates' source records. In memory and in order (so that
duplicates inside one batch find each other), every record is decided: linked, reviewed, or a new
customer; a slice is decided while the next one is read. Only the customers the batch changes need
their source records in full (survivorship works on them): those are read in one more query, the
golden records recomputed in the same order, and everything written with multi-row statements, each
prepared while the one before runs.
"""

from __future__ import annotations

from isthmus.customers.batch_io import CandidateReads
from isthmus.customers.deps import UnitOfWork
from isthmus.customers.households import Moves, connected, could_move, reexamine
from isthmus.customers.incoming import ACTIVE, Incoming, Upserted, Working
from isthmus.customers.ingest_decide import Deciding
from isthmus.customers.ingest_write import Writing
from isthmus.customers.merging import merge_into
from isthmus.customers.metrics import BRIDGED_MERGES, PhaseClock, count_households, count_matching
from isthmus.customers.records import Record
from isthmus.customers.store import ProfileRow
from isthmus.kernel.errors import FailedPrecondition
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as pb


class Batch(Deciding, Writing):
    """One batch run: read, decide (``Deciding``), apply and write (``Writing``), then merge the
    customers a record bridged and re-examine the households it showed."""

    async def run(self, clock: PhaseClock) -> list[Upserted]:
        repo = self.uow.repo
        refs = list(dict.fromkeys(i.record.ref for i in self.items))
        self.held = await repo.source_rows(refs, lock=True)
        tombs = await repo.tombstones(refs)
        keys: set[str] = set()
        for item in self.items:
            self.features[item.record.ref] = item.features
            self.keys_for[item.record.ref] = item.keys
            if item.record.ref not in self.held:
                keys |= self.keys_for[item.record.ref]
        await repo.lock_keys(keys)
        await self._load_held({s.customer_id for s in self.held.values()})
        new_refs = list(dict.fromkeys(i.record.ref for i in self.items if i.record.ref not in self.held))
        clock.mark("read")
        results = []
        async with CandidateReads(self._candidates, new_refs) as reads:
            for n, item in enumerate(self.items):
                ref = item.record.ref
                await reads.ready(ref, n)
                if ref in tombs and ref not in self.held:
                    if not item.record.lawful_basis:
                        results.append(
                            self._rejected(
                                item,
                                FailedPrecondition(
                                    f"lawful_basis: record {ref[0]}/{ref[1]} belongs to an erased customer;"
                                    " send it again with a new lawful_basis to bring it back"
                                ),
                            )
                        )
                        continue
                    self.lifted_tombstones.append(ref)
                    del tombs[ref]
                if ref in self.held:
                    results.append(self._refresh(item))
                else:
                    results.append(self._resolve(item))
        count_matching(self.scored, self.set_aside, self.pairs)
        clock.mark("decide")
        changing = {a.w.customer_id for a in self.applications if not a.w.created}
        changing |= {a.review_against.customer_id for a in self.applications if a.review_against}
        await self._load_members(changing)
        for a in self.applications:
            self._apply(a)
        clock.mark("golden")
        await self._write()
        clock.mark("write")
        moved: dict[str, str] = {}
        if self.bridges:
            moved = await self._merge_bridged()
            for r in results:
                r.customer_id = moved.get(r.customer_id, r.customer_id)
        clock.mark("merge")
        if self.new_households:
            await self._reexamine_households(moved, results)
        clock.mark("households")
        return results

    async def _reexamine_households(self, moved: dict[str, str], results: list[Upserted]) -> None:
        """A household the batch showed may hold records linked to the wrong one of its people
        (``households.reexamine``): they move, and the batch's answers say where to. A household
        that could not move a record, told from what the batch holds, is not read again."""
        pairs = [
            (
                moved.get(row["customer_a"], row["customer_a"]),
                moved.get(row["customer_b"], row["customer_b"]),
                (row["source_system"], row["source_id"]),
            )
            for row in self.new_households
        ]
        looked_at = self._households_to_read(pairs, moved)
        moves = Moves({}, {})
        if looked_at:
            moves = await reexamine(self.uow, looked_at, self.matcher, self.now, self.features)
        count_households(
            len(pairs) - len(looked_at) + moves.reexamined,
            moves.reexamined,
            len(moves.to) - len(moves.reviews),
            len(moves.reviews),
        )
        for r in results:
            ref = (r.source_system, r.source_id)
            if ref in moves.to:
                r.customer_id = moves.to[ref]
                if ref in moves.reviews:
                    r.outcome, r.review_id = pb.MATCH_OUTCOME_REVIEW_OPENED, moves.reviews[ref]

    def _households_to_read(
        self, pairs: list[tuple[str, str, tuple[str, str]]], moved: dict[str, str]
    ) -> list[tuple[str, str, tuple[str, str]]]:
        """Of ``pairs``, in their order, the households to re-examine from the database: those that
        could move a record (``households.could_move``), and those sharing a customer with one (a
        record moving out of it changes what the other compares). The rest are told from the
        records and match profiles the batch holds: the candidate reads brought each customer with
        all its records as they were then, and the batch's own are added. A customer merged in this
        batch, or not active, is read."""
        merged = set(moved) | set(moved.values())

        def could(a: str, b: str, cause: tuple[str, str]) -> bool:
            members = {}
            for cid in (a, b):
                w = self.working.get(cid)
                if cid in merged or w is None or w.state != ACTIVE:
                    return True
                if not all(r in self.features for r in w.refs):
                    return True
                members[cid] = list(w.refs)
            return could_move(self.matcher, self.features, members, a, b, cause)

        return connected(pairs, {i for i, pair in enumerate(pairs) if could(*pair)})

    async def _merge_bridged(self) -> dict[str, str]:
        """Merges the customers that a record linked together; returns merged id -> surviving id.

        Customers merge only when none of their records contradicts another's birth date or
        identifier, some names agree, and no steward has said one's records are not the other. The
        customer known longest survives (on a tie, the one the record linked to), so the ids other systems
        hold stay valid as far as they can.
        """
        involved = {cid for a, b, _ in self.bridges for cid in (a, b)}
        rows = await self.uow.repo.customer_rows(involved)
        refs = {cid: set(self.working[cid].refs) for cid in involved}
        refused = await self.uow.repo.no_match_pairs([r for cid in involved for r in refs[cid]])
        parent: dict[str, str] = {}

        def root(cid: str) -> str:
            while parent.get(cid, cid) != cid:
                cid = parent[cid]
            return cid

        because: dict[str, tuple[str, str]] = {}
        matcher = self.matcher
        for linked, other, ref in self.bridges:
            x, y = root(linked), root(other)
            if x == y or rows[x].state != ACTIVE or rows[y].state != ACTIVE:
                continue
            said_no = any((*r, c) in refused for rs, c in ((refs[x], y), (refs[y], x)) for r in rs)
            if said_no or not matcher.compatible(
                [self.features[r] for r in refs[x]], [self.features[r] for r in refs[y]]
            ):
                continue
            survivor, merged = (y, x) if rows[y].create_time < rows[x].create_time else (x, y)
            parent[merged] = survivor
            refs[survivor] |= refs[merged]
            because[merged] = ref
        groups: dict[str, list[str]] = {}
        for merged in parent:
            groups.setdefault(root(merged), []).append(merged)
        for survivor, merged_ids in groups.items():
            records = ", ".join(dict.fromkeys(f"{because[m][0]}/{because[m][1]}" for m in merged_ids))
            await merge_into(
                self.uow,
                rows[survivor],
                [rows[m] for m in merged_ids],
                f"source record {records} matches each of these customers",
                None,
                self.now,
                source=because[merged_ids[0]],
            )
        BRIDGED_MERGES.inc(len(parent))
        return {m: root(m) for m in parent}

    async def _candidates(self, refs: list[tuple[str, str]]) -> None:
        """Stored candidates of these new records, with the match profiles of their source records."""
        match = self.deps.settings.match
        ranked, profiles = await self.uow.repo.candidates(
            [self.keys_for[ref] for ref in refs],
            match.max_candidates,
            match.max_key_records,
            max_name_key_records=match.max_name_key_records,
            with_records=self.matcher.needs_records,  # comparators from plugins read whole records
        )
        self.stored_candidates.update(zip(refs, ranked, strict=True))
        self._profiled(profiles)

    # --- reading ------------------------------------------------------------------------------------

    async def _load_held(self, ids: set[str]) -> None:
        """The customers of the batch's stored records, with the match profiles of their records."""
        self._profiled(await self.uow.repo.profiles_of(ids, with_records=self.matcher.needs_records))
        rows = await self.uow.repo.customer_rows(ids)
        for cid, row in rows.items():
            self.working.setdefault(cid, Working(cid, set(), None)).loaded(row)

    def _profiled(self, profiles: list[ProfileRow]) -> None:
        """Customers known by the match profiles of their source records (read once a record)."""
        for p in profiles:
            ref = (p.source_system, p.source_id)
            w = self.working.get(p.customer_id)
            if w is None:
                w = self.working[p.customer_id] = Working(p.customer_id, set(), None)
            w.refs.add(ref)
            if ref not in self.features:
                self.features[ref] = p.features()

    async def _load_members(self, ids: set[str]) -> None:
        """The stored customers the batch changes, with their source records in full (survivorship
        works on them)."""
        rows = await self.uow.repo.customer_rows(i for i in ids if self.working[i].row is None)
        for cid, row in rows.items():
            self.working[cid].loaded(row)
        members = await self.uow.repo.source_rows_of(ids) if ids else {}
        for cid, found in members.items():
            self.working[cid].members = {
                (s.source_system, s.source_id): Record.from_json(s.data) for s in found
            }


async def upsert(
    uow: UnitOfWork,
    items: list[Incoming],
    actor: common_pb2.Actor | None = None,
    *,
    clock: PhaseClock,
) -> list[Upserted]:
    """``clock`` charges the batch's phases (``metrics.INGEST_SECONDS``); the caller marks the commit."""
    return await Batch(uow, items, actor).run(clock)
