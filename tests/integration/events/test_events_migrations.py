"""The event backbone's migrations build exactly the outbox, inbox and dead-letter tables it declares."""

from __future__ import annotations

import uuid

import pytest

from isthmus.platform import config
from isthmus.platform.events import MIGRATIONS
from isthmus.platform.events.tables import metadata
from isthmus.platform.migrations import drift, upgrade


def _check(settings: config.Settings) -> None:
    schema = f"events_{uuid.uuid4().hex[:8]}"
    upgrade(settings, schema, [MIGRATIONS], "events_0001")
    upgrade(settings, schema, [MIGRATIONS])  # step by step, as an existing install upgrades
    assert drift(settings, schema, metadata) == []


@pytest.mark.postgres
def test_event_migrations_match_the_tables_on_postgresql(pg_url):
    _check(config.load({"ISTHMUS_DATABASE_URL": pg_url}))


def test_event_migrations_match_the_tables_on_sqlite(tmp_path):
    _check(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)}))
