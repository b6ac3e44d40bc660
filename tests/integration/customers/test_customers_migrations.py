"""The customers migrations build exactly the tables the code declares, on PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from isthmus.customers import store
from isthmus.customers.bootstrap import MIGRATIONS, SCHEMA
from isthmus.platform import config, db
from isthmus.platform.migrations import upgrade


def _diff(settings: config.Settings) -> list[object]:
    upgrade(settings, SCHEMA, [MIGRATIONS])
    engine = db.sync_engine(settings, SCHEMA)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, kind, _p: kind != "table" or name in store.metadata.tables,
                },
            )
            return list(compare_metadata(ctx, store.metadata))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_migrations_match_metadata_on_postgres(pg_url: str) -> None:
    assert _diff(config.load({"ISTHMUS_DATABASE_URL": pg_url})) == []


def test_migrations_match_metadata_on_sqlite(tmp_path: Path) -> None:
    assert _diff(config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})) == []
