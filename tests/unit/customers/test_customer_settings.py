"""ISTHMUS_CUSTOMERS_* settings: read into the matcher's configuration, or one clear error."""

from __future__ import annotations

import pytest

from isthmus.customers.deps import settings_from_env
from isthmus.customers.matching import MatchConfig
from isthmus.platform.config import ConfigError


def test_match_config_sets_thresholds_and_candidate_bounds() -> None:
    settings = settings_from_env(
        {
            "ISTHMUS_CUSTOMERS_MATCH_CONFIG": '{"upper_threshold": 11, "lower_threshold": 6,'
            ' "max_candidates": 7, "max_key_records": 50, "max_name_key_records": 20}'
        }
    )
    assert (settings.match.upper_threshold, settings.match.lower_threshold) == (11.0, 6.0)
    match = settings.match
    assert (match.max_candidates, match.max_key_records, match.max_name_key_records) == (7, 50, 20)


def test_unset_match_config_keeps_the_defaults() -> None:
    assert settings_from_env({}).match == MatchConfig()


@pytest.mark.parametrize(
    "value",
    [
        '{"max_key_records": "many"}',
        '{"max_key_records": 0}',
        '{"max_name_key_records": 0}',
        '{"max_name_key_records": 10000000000}',
        '{"max_candidates": 3000000000}',
        '{"lower_threshold": 13}',
        "not json",
    ],
)
def test_a_bad_match_config_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="ISTHMUS_CUSTOMERS_MATCH_CONFIG"):
        settings_from_env({"ISTHMUS_CUSTOMERS_MATCH_CONFIG": value})
