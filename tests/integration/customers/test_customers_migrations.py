"""The customers migrations build exactly the tables the code declares, on PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from isthmus.customers import store
from isthmus.customers.bootstrap import MIGRATIONS, SCHEMA
from isthmus.platform import config
from isthmus.platform.migrations import drift, upgrade


def _diff(settings: config.Settings) -> list[object]:
    upgrade(settings, SCHEMA, [MIGRATIONS])
    return drift(settings, SCHEMA, store.metadata)


@pytest.mark.postgres
def test_migrations_match_metadata_on_postgres(pg_url: str) -> None:
    assert _diff(config.load({"ISTHMUS_DATABASE_URL": pg_url})) == []


def test_migrations_match_metadata_on_sqlite(tmp_path: Path) -> None:
    assert _diff(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})) == []
