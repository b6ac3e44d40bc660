"""Prometheus metrics of the customer master (process-global collectors, created once)."""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import Counter

from isthmus_client.api.customers.v1 import records_pb2 as pb

MATCH_OUTCOMES = Counter(
    "isthmus_customers_match_outcomes_total",
    "Source records ingested, by what matching decided (new_customer, linked_deterministic, "
    "linked_probabilistic, review_opened, unchanged, refreshed, rejected).",
    ["outcome"],
)


# The matching work a new record costs: it grows with the master as blocking keys' buckets fill, and
# with the records each customer holds.
MATCH_CANDIDATES = Counter(
    "isthmus_customers_match_candidates_total",
    "Stored customers new records were compared with, by fate: scored (against each of their source "
    "records) or set_aside (plainly someone else, told from birth dates, given names and contact "
    "points without scoring). "
    "Work done: a batch that is retried counts again.",
    ["fate"],
)
MATCH_PAIRS = Counter(
    "isthmus_customers_match_pairs_scored_total",
    "Pairs of source records scored: a new record against each source record of a candidate customer.",
)


# What ingest changes beyond the records it links: customers merged because a record linked to two of
# them, and households re-examined once a record showed them (customers/households.py).
BRIDGED_MERGES = Counter(
    "isthmus_customers_bridged_merges_total",
    "Customers merged into another by ingest because a new source record matched both (a bridge). "
    "Work done: a batch that is retried counts again.",
)
HOUSEHOLDS = Counter(
    "isthmus_customers_households_total",
    "Households ingest re-examined as a record showed them (reexamined: pairs of customers; read: "
    "those of them read again from the database, as some record could be the other person's; the "
    "rest were told from the match profiles the batch held), and the source records they moved "
    "(moved: to the other customer, by their own evidence; to_review: to a customer of their own, with "
    "a match review). Work done: a batch that is retried counts again.",
    ["fate"],
)
_HOUSEHOLD_FATES = {f: HOUSEHOLDS.labels(f) for f in ("reexamined", "read", "moved", "to_review")}


# Where an ingest batch's time goes, phase by phase, for operators sizing the database beside it:
# wall time spent waiting in a phase is time the database (or the client) held the batch up.
INGEST_SECONDS = Counter(
    "isthmus_customers_ingest_seconds_total",
    "Time ingest batches spent in each phase, by clock: wall (elapsed) or cpu (the main thread's CPU "
    "time meanwhile, other tasks on its event loop included; wall minus cpu is waiting, for the "
    "database mostly). Phases: read (the batch's stored records and their customers, tombstones, key "
    "locks), decide (candidates read and scored), golden (members read, golden records recomputed), "
    "write, merge (customers a record bridged), households (re-examined as they showed), commit; and "
    "on a stream, answer (the reply sent) and wait (for the next batch to arrive and be normalised).",
    ["phase", "clock"],
)
PHASES = ("read", "decide", "golden", "write", "merge", "households", "commit", "answer", "wait")
_PHASE_CLOCKS = {p: (INGEST_SECONDS.labels(p, "wall"), INGEST_SECONDS.labels(p, "cpu")) for p in PHASES}


class PhaseClock:
    """Charges the time since it started, or since its last mark, to a phase (``INGEST_SECONDS``)."""

    __slots__ = ("cpu", "wall")

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.thread_time()

    def mark(self, phase: str) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        on_wall, on_cpu = _PHASE_CLOCKS[phase]
        on_wall.inc(wall - self.wall)
        on_cpu.inc(cpu - self.cpu)
        self.wall, self.cpu = wall, cpu


def count_outcomes(outcomes: Iterable[int]) -> None:
    """Counts committed results (call after the transaction)."""
    for outcome, n in Tally(outcomes).items():
        MATCH_OUTCOMES.labels(pb.MatchOutcome.Name(outcome).removeprefix("MATCH_OUTCOME_").lower()).inc(n)


def count_households(reexamined: int, read: int, moved: int, to_review: int) -> None:
    """Counts a batch's households re-examined, those read again, and the records they moved
    (``HOUSEHOLDS``)."""
    for fate, n in (("reexamined", reexamined), ("read", read), ("moved", moved), ("to_review", to_review)):
        _HOUSEHOLD_FATES[fate].inc(n)


def count_matching(scored: int, set_aside: int, pairs: int) -> None:
    """Counts a batch's matching work (``MATCH_CANDIDATES``, ``MATCH_PAIRS``)."""
    MATCH_CANDIDATES.labels("scored").inc(scored)
    MATCH_CANDIDATES.labels("set_aside").inc(set_aside)
    MATCH_PAIRS.inc(pairs)
