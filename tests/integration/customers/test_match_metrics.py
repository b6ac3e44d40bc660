"""Match outcomes are counted for Prometheus, after the transaction that decided them."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from isthmus_client.api.customers.v1 import customers_pb2 as api

from .helpers import person

pytestmark = pytest.mark.postgres


def counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("isthmus_customers_match_outcomes_total", {"outcome": outcome}) or 0.0


async def test_each_ingested_record_counts_its_outcome(master, uid):
    before = {o: counted(o) for o in ("new_customer", "linked_deterministic", "unchanged", "rejected")}
    first = person("erp", f"MX1-{uid}", "Mara", f"{uid}Metric", email=f"m{uid}@example.com")
    same_email = person("webshop", f"MX2-{uid}", "Mara", f"{uid}Metric", email=f"m{uid}@example.com")
    bad = person("erp", "", "Mara", f"{uid}Metric", email="not an email")  # no source id: refused
    await master.BatchUpsertSourceRecords(api.BatchUpsertSourceRecordsRequest(records=[first]))
    await master.BatchUpsertSourceRecords(
        api.BatchUpsertSourceRecordsRequest(records=[same_email, bad, first])
    )
    assert {o: counted(o) - n for o, n in before.items()} == {
        "new_customer": 1,
        "linked_deterministic": 1,
        "unchanged": 1,
        "rejected": 1,
    }
