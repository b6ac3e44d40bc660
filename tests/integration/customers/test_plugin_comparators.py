"""A comparator a plugin registers takes part in matching, reading whole records, on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.connectors import hookimpl
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.customers.api import CustomerMaster
from isthmus.customers.deps import Deps, comparator_registry, settings_from_env
from isthmus.customers.matching import Comparator, Weights, similarity_comparator
from isthmus.customers.records import Record
from isthmus.platform.config import ConfigError, Settings
from isthmus.platform.db import session_factory
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

from .helpers import person


def _card(record: Record) -> str:
    return dict(record.attributes).get("loyalty_card", "")


def _same_card(left: Record, right: Record) -> tuple[str, str, float] | None:
    a, b = _card(left), _card(right)
    return None if not a or not b else (a, b, 1.0 if a == b else 0.0)


CARD = similarity_comparator("loyalty_card", _same_card, agree_weight=5.0, disagree_weight=-5.0)


class CardPlugin:
    @hookimpl
    def register_match_comparators(self) -> list[Comparator]:
        return [CARD]


def master(backend: tuple[AsyncEngine, Settings], comparators: list[object]) -> CustomerMaster:
    engine, settings = backend
    customer_settings = settings_from_env(settings.extra)
    registry = comparator_registry(customer_settings.match.weights, comparators)
    deps = Deps(customer_settings, session_factory(engine), lambda: datetime.now(UTC), registry=registry)
    return CustomerMaster(deps)


async def two_copies(service: CustomerMaster) -> list[api.UpsertResult]:
    """Two records with the same name, no birth date and different emails: names 9, emails -1, which
    is between the review (8) and link (10) thresholds; the same loyalty card adds 5."""
    uid = uuid.uuid4().hex[:8]
    family = "Xylander" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uid)
    results = []
    for system, sid, email in (
        ("erp", f"K1-{uid}", "q1@a.example"),
        ("webshop", f"K2-{uid}", "q2@b.example"),
    ):
        record = person(system, sid, "Quintessa", family, email=f"{uid}{email}", dob=None)
        record.attributes["loyalty_card"] = f"LC-{uid}"
        response = await service.BatchUpsertSourceRecords(
            api.BatchUpsertSourceRecordsRequest(records=[record]), None
        )
        results.append(response.results[0])
    return results


async def test_a_plugins_comparator_reads_the_stored_record_and_links_it(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    pm = get_plugin_manager({}, entry_points=False)
    pm.register(CardPlugin(), name="cards")
    service = master(backend, pm.match_comparators())
    assert service.deps.matcher.needs_records  # stored candidates are read with their records

    first, second = await two_copies(service)

    assert first.outcome == pb.MATCH_OUTCOME_NEW_CUSTOMER
    assert second.outcome == pb.MATCH_OUTCOME_LINKED_PROBABILISTIC
    assert second.customer_id == first.customer_id
    assert second.score == pytest.approx(13.0)  # 9 - 1 + 5


async def test_without_the_plugin_the_same_records_wait_for_a_steward(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    first, second = await two_copies(master(backend, []))

    assert second.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED
    assert second.customer_id != first.customer_id
    assert second.score == pytest.approx(8.0)


def test_a_plugin_returning_something_else_than_a_comparator_is_named() -> None:
    with pytest.raises(ConfigError, match="register_match_comparators returned 'card'"):
        comparator_registry(Weights(), ["card"])
    with pytest.raises(ConfigError, match="already registered"):
        comparator_registry(Weights(), [CARD, CARD])
