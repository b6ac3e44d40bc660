"""How an ingest batch decides each record, in memory and in batch order: refreshed, rejected,
linked to a customer, sent to a steward's review, or a new customer; and the household links and the
customers a record bridges, noted on the way. The source record rows are made here too.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from isthmus.customers.batch_io import comparisons_json
from isthmus.customers.incoming import (
    ACTIVE,
    INSUFFICIENT,
    OUTCOMES,
    Application,
    Incoming,
    Upserted,
    Working,
)
from isthmus.customers.ingest_state import BatchState
from isthmus.customers.matching import (
    Comparison,
    Decision,
    Features,
    Outcome,
    Scored,
    own_evidence,
    shared_contacts,
)
from isthmus.customers.records import Record
from isthmus.customers.store import SourceRow
from isthmus.kernel.errors import DomainError
from isthmus.kernel.ids import new_uuid
from isthmus.kernel.timestamps import aware
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev


class Deciding(BatchState):
    """The batch's decisions; their golden records are recomputed afterwards (ingest_write.py)."""

    def _ranked(self, ref: tuple[str, str]) -> list[tuple[str, int]]:
        """Candidates for a record: those stored before the batch, and customers the batch made or grew."""
        counts: Counter[str] = Counter(dict(self.stored_candidates.get(ref, ())))
        for k in self.keys_for[ref]:
            for cid in self.key_index.get(k, ()):
                counts[cid] += 1
        return counts.most_common(self.deps.settings.match.max_candidates)

    def _rejected(self, item: Incoming, error: DomainError) -> Upserted:
        r = item.record
        return Upserted(
            item.index, r.source_system, r.source_id, outcome=pb.MATCH_OUTCOME_REJECTED, error=error
        )

    def _refresh(self, item: Incoming) -> Upserted:
        rec = item.record
        held = self.held[rec.ref]
        w = self.working[held.customer_id]
        result = Upserted(
            item.index, rec.source_system, rec.source_id, held.customer_id, pb.MATCH_OUTCOME_UNCHANGED
        )
        result.flags = sorted(w.flags)
        digest = item.digest
        # The same content, or an older copy arriving late, leaves everything as it is.
        if digest == held.content_hash or aware(held.observed_at) > rec.observed_at:
            return result
        self._decided(
            w, rec, pb.HISTORY_ENTRY_KIND_SOURCE_RECORD_APPLIED, held.link_outcome, held.score, result
        )
        row = self._source_row(item, held.customer_id, held.link_outcome, held.score, held.linked_at)
        del row["match_model"], row["match_comparisons"]  # a refresh keeps what made the link
        self.updated_sources[rec.ref] = (row, held.version)
        held.content_hash, held.observed_at, held.version = digest, rec.observed_at, held.version + 1
        result.outcome = pb.MATCH_OUTCOME_REFRESHED
        return result

    def _decided(
        self, w: Working, rec: Record, kind: int, outcome: int, score: float, result: Upserted
    ) -> None:
        """The record belongs to ``w`` from now on; its golden record is recomputed after deciding."""
        w.refs.add(rec.ref)
        self.applications.append(Application(w, rec, kind, outcome, score, result))

    def _resolve(self, item: Incoming) -> Upserted:
        rec = item.record
        f = self.features[rec.ref]
        matcher = self.matcher
        scored = []
        for cid, _ in self._ranked(rec.ref):
            w = self.working.get(cid)
            if w is None or w.state != ACTIVE or not w.refs:
                continue
            members = [self.features[m] for m in w.refs]
            if matcher.plainly_someone_else(f, members):
                self.set_aside += 1
                continue  # scored, it would be someone else and no household: it decides nothing
            scored.append(matcher.score(f, cid, members))
            self.pairs += len(members)
        self.scored += len(scored)
        decision, bridging = self._ambiguous(f, matcher.decide(f, scored), scored)
        outcome = OUTCOMES[decision.outcome]
        result = Upserted(item.index, rec.source_system, rec.source_id, outcome=outcome, score=decision.score)
        if decision.outcome in (Outcome.DETERMINISTIC, Outcome.PROBABILISTIC):
            w = self.working[decision.customer_id]
            self._decided(
                w, rec, pb.HISTORY_ENTRY_KIND_SOURCE_RECORD_APPLIED, outcome, decision.score, result
            )
            # A record that links to two customers shows they are one person (their first records
            # arrived with too little in common); they are merged once the batch is written.
            self.bridges += [(w.customer_id, cid, rec.ref) for cid in bridging]
        else:
            w = Working(new_uuid(), set(), None, created=True)
            self.working[w.customer_id] = w
            if decision.insufficient:
                w.flags.add(INSUFFICIENT)
            self._decided(w, rec, pb.HISTORY_ENTRY_KIND_CREATED, outcome, 0.0, result)
            if decision.outcome is Outcome.REVIEW:
                result.review_id = self._open_review(w, rec, decision)
        for other in decision.households:
            self._household(w.customer_id, other, rec)
        linked = decision.outcome in (Outcome.DETERMINISTIC, Outcome.PROBABILISTIC)
        self.new_sources[rec.ref] = self._source_row(
            item, w.customer_id, outcome, decision.score, self.now, decision.comparisons if linked else None
        )
        self.xref_rows.append(
            {
                "source_system": rec.source_system,
                "source_id": rec.source_id,
                "customer_id": w.customer_id,
                "linked_at": self.now,
                "unlinked_at": None,
                "action": f"match:{decision.outcome.value}",
            }
        )
        for k in self.keys_for[rec.ref]:
            self.key_index.setdefault(k, set()).add(w.customer_id)
        # A second copy of the same source id later in the batch is a refresh of this one.
        self.held[rec.ref] = SourceRow(
            rec.source_system,
            rec.source_id,
            w.customer_id,
            item.digest,
            {},
            rec.observed_at,
            self.now,
            outcome,
            decision.score,
            1,
        )
        result.customer_id = w.customer_id
        return result

    def _ambiguous(self, f: Features, decision: Decision, scored: list[Scored]) -> tuple[Decision, list[str]]:
        """The decision for a record that links to several customers, and the other customers it links
        to that it shows are one person with the one it joins (they are merged: bridging).

        When two of the customers it links to are two people (a father and his son of the same name,
        the record without a birth date), what only one of them holds (a birth date, a personal e-mail,
        a mobile) says whose record it is: it joins the customer its own evidence agrees with, and
        bridges only to others where its own evidence agrees too. What the household shares says
        nothing: with no such evidence, or with it agreeing with two people, a steward decides."""
        if decision.outcome not in (Outcome.DETERMINISTIC, Outcome.PROBABILISTIC):
            return decision, []
        matcher = self.matcher
        linked = [s for s in scored if matcher.links(s)]
        members = {
            s.customer_id: [self.features[r] for r in self.working[s.customer_id].refs] for s in linked
        }
        apart = [
            (s, t)
            for i, s in enumerate(linked)
            for t in linked[i + 1 :]
            if not matcher.compatible(members[s.customer_id], members[t.customer_id], f)
        ]
        others = [s.customer_id for s in linked if s.customer_id != decision.customer_id]
        if not apart:
            return decision, others
        household = frozenset().union(
            *(shared_contacts(members[s.customer_id], members[t.customer_id]) for s, t in apart)
        )
        own = [s for s in linked if own_evidence(s.comparisons, household)]
        if own:
            pick = max(own, key=lambda s: (bool(s.deterministic), s.score, s.customer_id))
            if all(
                matcher.compatible(members[pick.customer_id], members[s.customer_id], f)
                for s in own
                if s is not pick
            ):
                outcome = Outcome.DETERMINISTIC if pick.deterministic else Outcome.PROBABILISTIC
                chosen = Decision(
                    outcome,
                    pick.customer_id,
                    pick.score,
                    pick.comparisons,
                    False,
                    pick.deterministic,
                    decision.households,
                )
                return chosen, [s.customer_id for s in own if s is not pick]
        s, t = apart[0]
        someone = t if s.customer_id == decision.customer_id else s
        why = f"matches as well another customer who is someone else ({someone.customer_id})"
        review = Decision(
            Outcome.REVIEW,
            decision.customer_id,
            decision.score,
            decision.comparisons,
            decision.insufficient,
            households=decision.households,
            uncertain=why,
        )
        return review, []

    def _household(self, customer_id: str, other: Scored, rec: Record) -> None:
        """``customer_id`` and ``other`` are two people of one household (see ``Scored.household``)."""
        pair = (min(customer_id, other.customer_id), max(customer_id, other.customer_id))
        if pair[0] == pair[1] or pair in self.household_rows:
            return
        self.household_rows[pair] = {
            "customer_a": pair[0],
            "customer_b": pair[1],
            "shared": [[c.comparator, c.level] for c in other.comparisons if c.level and c.weight > 0],
            "reason": other.against,
            "source_system": rec.source_system,
            "source_id": rec.source_id,
            "match_model": self.matcher.model.version,
            "create_time": self.now,
        }

    def _open_review(self, w: Working, rec: Record, decision: Decision) -> str:
        existing_id, score, comparisons = decision.customer_id, decision.score, decision.comparisons
        review_id = new_uuid()
        m = self.matcher
        self.review_rows.append(
            {
                "review_id": review_id,
                "state": pb.MATCH_REVIEW_STATE_OPEN,
                "candidate_system": rec.source_system,
                "candidate_id": rec.source_id,
                "candidate_customer_id": w.customer_id,
                "existing_customer_id": existing_id,
                "score": score,
                "lower_threshold": m.lower,
                "upper_threshold": m.upper,
                "comparisons": comparisons_json(comparisons),
                "match_model": m.model.version,
                "uncertain": decision.uncertain,
                "create_time": self.now,
                "resolve_time": None,
                "resolved_by": None,
                "note": "",
                "version": 1,
            }
        )
        self.applications[-1].review_against = self.working[existing_id]
        self.uow.record(
            ev.MatchReviewOpened(
                review_id=review_id,
                candidate_customer_id=w.customer_id,
                existing_customer_id=existing_id,
                score=score,
                candidate_record=pb.SourceReference(
                    source_system=rec.source_system,
                    source_id=rec.source_id,
                    link_outcome=pb.MATCH_OUTCOME_REVIEW_OPENED,
                    score=score,
                ),
            ),
            review_id,
        )
        return review_id

    def _source_row(
        self,
        item: Incoming,
        cid: str,
        outcome: int,
        score: float,
        linked_at: datetime,
        comparisons: tuple[Comparison, ...] | None = None,
    ) -> dict[str, Any]:
        rec = item.record
        row: dict[str, Any] = {
            "source_system": rec.source_system,
            "source_id": rec.source_id,
            "customer_id": cid,
            "content_hash": item.digest,
            "data": item.data,
            "raw": item.raw,
            "observed_at": rec.observed_at,
            "linked_at": linked_at,
            "link_outcome": outcome,
            "score": score,
            "version": 1,
            "profile": item.profile_json,
        }
        # What made the link and under which model: a stored link explains itself.
        row["match_model"] = self.matcher.model.version if comparisons is not None else None
        row["match_comparisons"] = comparisons_json(comparisons) if comparisons is not None else None
        return row
