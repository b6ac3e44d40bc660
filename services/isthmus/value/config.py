"""The value context's configuration, from ``ISTHMUS_VALUE_*`` variables (``Settings.extra``).

Read once at start; any bad value stops the process with a message naming the variable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from isthmus.kernel.money import MINOR_UNITS
from isthmus.platform.config import ConfigError

# Service request kinds as the service requests API names them (SERVICE_REQUEST_KIND_<NAME>).
CASE_KINDS = ("inquiry", "complaint", "return", "cancellation", "technical", "feedback", "other", "tracer")
DEFAULT_SERVICE_COSTS = {"inquiry": "5", "complaint": "25", "return": "10", "cancellation": "5"}


@dataclass(frozen=True)
class ValueConfig:
    currency: str = "EUR"
    # Units of the reporting currency one unit of another currency is worth.
    exchange_rates: Mapping[str, Decimal] = field(default_factory=dict)
    # Yearly rate used for both the historical and the predicted value.
    discount_rate: float = 0.10
    # Cost to serve of one service request, per kind (the reporting currency); "default" for others.
    service_costs: Mapping[str, Decimal] = field(
        default_factory=lambda: {k: Decimal(v) for k, v in DEFAULT_SERVICE_COSTS.items()}
    )
    # The order attribute that carries the order's cost of goods (a decimal in the order's currency).
    cost_attribute: str = "cost_of_goods"
    horizon_months: int = 12
    # Cumulative shares of value where tier A ends and tier B ends.
    tier_a_share: float = 0.80
    tier_b_share: float = 0.95
    churn_alive_below: float = 0.5
    # Overdue when the days since the last purchase exceed this many times the customer's mean gap.
    churn_overdue_factor: float = 2.0
    refit_interval_seconds: float = 86400.0
    # Before the first fit there are no tiers: refit this soon after start (0: wait the interval).
    first_refit_seconds: float = 60.0
    # Credit ranking (docs/value.md): an order is due this many days after the hub learned of it;
    # failed and late payments count this many days; a customer with nothing against them is GOOD
    # after this many paid orders; ranks that time alone changes are worked out again this often.
    payment_due_days: int = 14
    credit_window_days: int = 365
    credit_good_after: int = 2
    credit_recheck_seconds: float = 300.0

    def rate(self, currency: str) -> Decimal | None:
        """Reporting-currency units per unit of ``currency``; None when no rate is configured."""
        if currency == self.currency:
            return Decimal(1)
        return self.exchange_rates.get(currency)

    def service_cost(self, kind: str) -> Decimal:
        return self.service_costs.get(kind, self.service_costs.get("default", Decimal(0)))


def _number(extra: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = extra.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, not {raw!r}")
    return value


def _whole(extra: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole number of ``extra[name]`` (``default`` when unset), refused outside [low, high]."""
    value = _number(extra, name, default, low, high)
    if value != int(value):
        raise ConfigError(f"{name} must be a whole number, not {extra[name].strip()!r}")
    return int(value)


def _decimals(extra: Mapping[str, str], name: str, keys: tuple[str, ...] | None) -> dict[str, Decimal] | None:
    raw = extra.get(name, "").strip()
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name} is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ConfigError(f'{name} must be a JSON object such as {{"USD": "0.92"}}')
    found: dict[str, Decimal] = {}
    for key, value in data.items():
        if keys is not None and key not in keys:
            raise ConfigError(f"{name}: unknown key {key!r}; choose from {', '.join(keys)}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ConfigError(f"{name}[{key!r}] must be a decimal number, not {value!r}") from None
        if not number.is_finite() or number < 0:
            raise ConfigError(f"{name}[{key!r}] must not be negative")
        found[key] = number
    return found


def load(extra: Mapping[str, str]) -> ValueConfig:
    currency = extra.get("ISTHMUS_VALUE_CURRENCY", "").strip().upper() or "EUR"
    if currency not in MINOR_UNITS:
        raise ConfigError(f"ISTHMUS_VALUE_CURRENCY: unknown or unsupported ISO 4217 currency {currency!r}")
    rates = _decimals(extra, "ISTHMUS_VALUE_EXCHANGE_RATES", tuple(MINOR_UNITS)) or {}
    if any(v == 0 for v in rates.values()):
        raise ConfigError("ISTHMUS_VALUE_EXCHANGE_RATES: a rate must be positive")
    costs = _decimals(extra, "ISTHMUS_VALUE_SERVICE_COSTS", (*CASE_KINDS, "default"))
    cutoffs = extra.get("ISTHMUS_VALUE_TIER_CUTOFFS", "").strip() or "0.8,0.95"
    try:
        a_share, b_share = (float(x) for x in cutoffs.split(","))
    except ValueError:
        raise ConfigError(
            f"ISTHMUS_VALUE_TIER_CUTOFFS must be two shares such as 0.8,0.95, not {cutoffs!r}"
        ) from None
    if not 0 < a_share < b_share <= 1:
        raise ConfigError(f"ISTHMUS_VALUE_TIER_CUTOFFS must be 0 < A < B <= 1, not {cutoffs!r}")
    return ValueConfig(
        currency=currency,
        exchange_rates=rates,
        discount_rate=_number(extra, "ISTHMUS_VALUE_DISCOUNT_RATE", 0.10, 0.0, 1.0),
        service_costs=costs
        if costs is not None
        else {k: Decimal(v) for k, v in DEFAULT_SERVICE_COSTS.items()},
        cost_attribute=extra.get("ISTHMUS_VALUE_COST_ATTRIBUTE", "").strip() or "cost_of_goods",
        horizon_months=int(_number(extra, "ISTHMUS_VALUE_HORIZON_MONTHS", 12, 1, 120)),
        tier_a_share=a_share,
        tier_b_share=b_share,
        churn_alive_below=_number(extra, "ISTHMUS_VALUE_CHURN_ALIVE_BELOW", 0.5, 0.0, 1.0),
        churn_overdue_factor=_number(extra, "ISTHMUS_VALUE_CHURN_OVERDUE_FACTOR", 2.0, 1.0, 100.0),
        refit_interval_seconds=_number(
            extra, "ISTHMUS_VALUE_REFIT_INTERVAL_SECONDS", 86400.0, 1.0, 366 * 86400.0
        ),
        first_refit_seconds=_number(extra, "ISTHMUS_VALUE_FIRST_REFIT_SECONDS", 60.0, 0.0, 366 * 86400.0),
        payment_due_days=_whole(extra, "ISTHMUS_VALUE_PAYMENT_DUE_DAYS", 14, 0, 3660),
        credit_window_days=_whole(extra, "ISTHMUS_VALUE_CREDIT_WINDOW_DAYS", 365, 1, 3660),
        credit_good_after=_whole(extra, "ISTHMUS_VALUE_CREDIT_GOOD_AFTER", 2, 0, 1000),
        credit_recheck_seconds=_number(extra, "ISTHMUS_VALUE_CREDIT_RECHECK_SECONDS", 300.0, 1.0, 86400.0),
    )
