"""The value chain builds exactly the tables its code declares (value scores, segments, campaigns,
affinity), on both databases, and has one head."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory

from isthmus.platform import config
from isthmus.platform.hub import migrate
from isthmus.platform.migrations import _config, drift
from isthmus.value import engagement_tables
from isthmus.value.bootstrap import MIGRATIONS
from isthmus.value.tables import metadata


def test_segments_campaigns_and_affinity_share_the_value_metadata() -> None:
    assert engagement_tables.campaigns.metadata is metadata
    assert {"segment_versions", "campaign_decisions", "affinity_pairs", "value_customers"} <= set(
        metadata.tables
    )


def test_the_value_chain_has_one_head(tmp_path) -> None:
    settings = config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    heads = ScriptDirectory.from_config(_config(settings, "value", MIGRATIONS)).get_heads()
    assert len(heads) == 1


@pytest.mark.postgres
def test_value_migrations_match_the_tables_on_postgresql(pg_url) -> None:
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_url})
    migrate(settings, ["value"])
    assert drift(settings, "value", metadata) == []


def test_value_migrations_match_the_tables_on_sqlite(tmp_path) -> None:
    settings = config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    migrate(settings, ["value"])
    assert drift(settings, "value", metadata) == []
