"""The value context's settings: defaults, and a bad value stops the start naming its variable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from isthmus.platform.config import ConfigError
from isthmus.value import config


def test_defaults_and_given_values() -> None:
    assert config.load({}).currency == "EUR" and config.load({}).tier_a_share == 0.8
    loaded = config.load(
        {
            "ISTHMUS_VALUE_CURRENCY": "usd",
            "ISTHMUS_VALUE_EXCHANGE_RATES": '{"EUR": "1.08"}',
            "ISTHMUS_VALUE_SERVICE_COSTS": '{"complaint": "40", "default": "2.50"}',
            "ISTHMUS_VALUE_TIER_CUTOFFS": "0.5,0.9",
        }
    )
    assert loaded.currency == "USD" and loaded.rate("EUR") == Decimal("1.08") and loaded.rate("GBP") is None
    assert loaded.service_cost("complaint") == 40 and loaded.service_cost("inquiry") == Decimal("2.50")
    assert (loaded.tier_a_share, loaded.tier_b_share) == (0.5, 0.9)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ISTHMUS_VALUE_CURRENCY", "XXX"),
        ("ISTHMUS_VALUE_EXCHANGE_RATES", "{not json"),
        ("ISTHMUS_VALUE_EXCHANGE_RATES", '{"USD": "0"}'),
        ("ISTHMUS_VALUE_SERVICE_COSTS", '{"complaints": "25"}'),
        ("ISTHMUS_VALUE_SERVICE_COSTS", '{"complaint": "-1"}'),
        ("ISTHMUS_VALUE_DISCOUNT_RATE", "ten percent"),
        ("ISTHMUS_VALUE_DISCOUNT_RATE", "2"),
        ("ISTHMUS_VALUE_TIER_CUTOFFS", "0.95,0.8"),
        ("ISTHMUS_VALUE_TIER_CUTOFFS", "0.8"),
        ("ISTHMUS_VALUE_HORIZON_MONTHS", "0"),
        ("ISTHMUS_VALUE_REFIT_INTERVAL_SECONDS", "-5"),
        ("ISTHMUS_VALUE_PAYMENT_DUE_DAYS", "14.5"),
        ("ISTHMUS_VALUE_PAYMENT_DUE_DAYS", "-1"),
        ("ISTHMUS_VALUE_CREDIT_WINDOW_DAYS", "0"),
        ("ISTHMUS_VALUE_CREDIT_GOOD_AFTER", "two"),
        ("ISTHMUS_VALUE_CREDIT_RECHECK_SECONDS", "0"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        config.load({name: value})
