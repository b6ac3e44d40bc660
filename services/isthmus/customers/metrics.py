"""Prometheus metrics of the customer master (process-global collectors, created once)."""

from __future__ import annotations

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


def count_outcomes(outcomes: Iterable[int]) -> None:
    """Counts committed results (call after the transaction)."""
    for outcome, n in Tally(outcomes).items():
        MATCH_OUTCOMES.labels(pb.MatchOutcome.Name(outcome).removeprefix("MATCH_OUTCOME_").lower()).inc(n)


def count_matching(scored: int, set_aside: int, pairs: int) -> None:
    """Counts a batch's matching work (``MATCH_CANDIDATES``, ``MATCH_PAIRS``)."""
    MATCH_CANDIDATES.labels("scored").inc(scored)
    MATCH_CANDIDATES.labels("set_aside").inc(set_aside)
    MATCH_PAIRS.inc(pairs)
