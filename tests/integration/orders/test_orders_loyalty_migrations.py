"""The migrations of orders and loyalty build exactly the tables their code declares, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from isthmus.loyalty.store import metadata as loyalty_metadata
from isthmus.orders.store import metadata as orders_metadata
from isthmus.platform import config
from isthmus.platform.db import sync_engine
from isthmus.platform.events.tables import metadata as events_metadata
from isthmus.platform.hub import migrate

CASES = [("orders", "orders", orders_metadata), ("loyalty", "loyalty", loyalty_metadata)]


def _differences(settings: config.Settings, schema: str, metadata: MetaData) -> list[object]:
    engine = sync_engine(settings, schema)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    # Version tables and the event backbone's tables belong to other streams.
                    "include_name": lambda name, kind, parent: (
                        kind != "table"
                        or (not name.startswith("alembic_version") and name not in events_metadata.tables)
                    ),
                },
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(("component", "schema", "metadata"), CASES)
def test_migrations_match_the_tables_on_postgresql(pg_url, component, schema, metadata):
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_url})
    migrate(settings, [component])
    assert _differences(settings, schema, metadata) == []


@pytest.mark.parametrize(("component", "schema", "metadata"), CASES)
def test_migrations_match_the_tables_on_sqlite(tmp_path, component, schema, metadata):
    settings = config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    migrate(settings, [component])
    assert _differences(settings, schema, metadata) == []
