"""The migrations of orders and loyalty build exactly the tables their code declares, on both databases."""

from __future__ import annotations

import pytest

from isthmus.loyalty.tables import metadata as loyalty_metadata
from isthmus.orders.store import metadata as orders_metadata
from isthmus.platform import config
from isthmus.platform.hub import migrate
from isthmus.platform.migrations import drift

CASES = [("orders", "orders", orders_metadata), ("loyalty", "loyalty", loyalty_metadata)]


@pytest.mark.postgres
@pytest.mark.parametrize(("component", "schema", "metadata"), CASES)
def test_migrations_match_the_tables_on_postgresql(pg_url, component, schema, metadata):
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_url})
    migrate(settings, [component])
    assert drift(settings, schema, metadata) == []


@pytest.mark.parametrize(("component", "schema", "metadata"), CASES)
def test_migrations_match_the_tables_on_sqlite(tmp_path, component, schema, metadata):
    settings = config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    migrate(settings, [component])
    assert drift(settings, schema, metadata) == []
