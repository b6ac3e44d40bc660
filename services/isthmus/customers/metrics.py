"""Prometheus metrics of the customer master (process-global collectors, created once)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter

from isthmus_client.api.customers.v1 import records_pb2 as pb

MATCH_OUTCOMES = Counter(
    "isthmus_customers_match_outcomes_total",
    "Source records ingested, by what matching decided (new_customer, linked_deterministic, "
    "linked_probabilistic, review_opened, unchanged, refreshed, rejected).",
    ["outcome"],
)


def count_outcomes(outcomes: Iterable[int]) -> None:
    """Counts committed results (call after the transaction)."""
    for outcome in outcomes:
        MATCH_OUTCOMES.labels(pb.MatchOutcome.Name(outcome).removeprefix("MATCH_OUTCOME_").lower()).inc()
