"""The migrations of service requests build exactly the tables their code declares, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from isthmus.platform import config
from isthmus.platform.hub import migrate
from isthmus.platform.migrations import drift
from isthmus.service_requests.tables import metadata


@pytest.mark.postgres
def test_migrations_match_the_tables_on_postgresql(pg_url: str) -> None:
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_url})
    migrate(settings, ["service-requests"])
    assert drift(settings, "service_requests", metadata) == []


def test_migrations_match_the_tables_on_sqlite(tmp_path: Path) -> None:
    settings = config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    migrate(settings, ["service-requests"])
    assert drift(settings, "service_requests", metadata) == []
