"""Exact money: Decimal amounts in ISO 4217 currencies, rounded to each currency's minor units.

Every amount is held as a ``Decimal`` already quantized to its currency's exponent, so sums and
differences stay exact. The only places that divide (percent discounts, allocating an order-level
adjustment over lines, refunding part of a line) allocate in whole minor units with the largest
remainder method, so the parts always add up to the whole: no minor unit is lost or invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import iso4217

from isthmus.kernel.errors import InvalidArgument

# ISO 4217 minor units of every currency the standard gives them, from the maintenance agency's list
# as the iso4217 package ships it (updated with each amendment; read once, never fetched at run
# time). Precious metals, SDRs and the testing codes have no minor unit and are not money here.
MINOR_UNITS: dict[str, int] = {c.code: c.exponent for c in iso4217.Currency if c.exponent is not None}

_AMOUNT = re.compile(r"^-?\d{1,18}(\.\d{1,18})?$")
# Per currency, computed once: the smallest unit, and zero written with the currency's decimals.
_QUANTUM = {c: Decimal(1).scaleb(-n) for c, n in MINOR_UNITS.items()}
_ZERO = {c: Decimal(0).quantize(q) for c, q in _QUANTUM.items()}


def minor_units(currency: str) -> int:
    return MINOR_UNITS[currency]


def quantum(currency: str) -> Decimal:
    return _QUANTUM[currency]


def check_currency(currency: str, field: str) -> str:
    if not currency:
        raise InvalidArgument(field, "required: an ISO 4217 code such as EUR")
    if currency not in MINOR_UNITS:
        raise InvalidArgument(field, f"unknown or unsupported ISO 4217 currency {currency!r}")
    return currency


@dataclass(frozen=True, order=True)
class Money:
    """An exact amount in one currency; ``amount`` always has exactly the currency's minor digits."""

    amount: Decimal
    currency: str

    @classmethod
    def parse(cls, amount: str, currency: str, field: str, *, allow_negative: bool = False) -> Money:
        """From the API's decimal string; ``field`` names the Money field for error messages."""
        check_currency(currency, f"{field}.currency_code")
        if not _AMOUNT.match(amount or ""):
            raise InvalidArgument(f"{field}.amount", f"not a decimal amount: {amount!r}")
        value = Decimal(amount)
        digits = len(amount.split(".", 1)[1]) if "." in amount else 0
        if digits > MINOR_UNITS[currency]:
            raise InvalidArgument(
                f"{field}.amount",
                f"{amount} has more decimals than {currency} allows ({MINOR_UNITS[currency]})",
            )
        if value < 0 and not allow_negative:
            raise InvalidArgument(f"{field}.amount", f"must not be negative: {amount}")
        return cls.of(value, currency)

    @classmethod
    def of(cls, value: Decimal | int, currency: str) -> Money:
        """Exact values only: raises when ``value`` would need rounding."""
        exact = Decimal(value).quantize(quantum(currency))
        if exact != value:
            raise ValueError(f"{value} is not a whole number of {currency} minor units")
        return cls(exact, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(_ZERO[currency], currency)

    @classmethod
    def stored(cls, amount: str, currency: str) -> Money:
        """An amount this service wrote itself (``text()``): already exact, so no rounding check
        beyond its number of decimals."""
        value = Decimal(amount)
        if value.as_tuple().exponent != -MINOR_UNITS[currency]:
            return cls.of(value, currency)
        return cls(value, currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        return cls(Decimal(units).scaleb(-MINOR_UNITS[currency]).quantize(quantum(currency)), currency)

    @property
    def minor(self) -> int:
        """The amount in minor units (cents, fils, yen)."""
        return int(self.amount.scaleb(MINOR_UNITS[self.currency]))

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def text(self) -> str:
        return str(self.amount)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def is_zero(self) -> bool:
        return self.amount == 0

    def percent(self, percent: Decimal) -> Money:
        """``percent`` % of this amount, rounded half up to a minor unit."""
        value = (self.amount * percent / 100).quantize(quantum(self.currency), rounding=ROUND_HALF_UP)
        return Money(value, self.currency)


def total(amounts: Iterable[Money], currency: str) -> Money:
    # Sums the Decimals and builds one Money: amounts with the same decimals add up exactly.
    result = _ZERO[currency]
    for money in amounts:
        if money.currency != currency:
            raise ValueError(f"cannot mix {currency} and {money.currency}")
        result += money.amount
    return Money(result, currency)


def allocate(whole: Money, weights: Sequence[int]) -> list[Money]:
    """Split ``whole`` over ``weights`` in whole minor units; the parts sum to ``whole`` exactly.

    Largest remainder method: each part gets the floor of its exact share, and the minor units left
    over go one each to the largest remainders (earlier parts win ties, so the split is stable).
    """
    if not weights:
        return []
    units = whole.minor
    sign = -1 if units < 0 else 1
    units = abs(units)
    weight_sum = sum(weights)
    if weight_sum <= 0:
        # Nothing to weigh by: split evenly.
        weights = [1] * len(weights)
        weight_sum = len(weights)
    floors = [units * w // weight_sum for w in weights]
    remainders = [units * w % weight_sum for w in weights]
    left = units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [Money.from_minor(sign * f, whole.currency) for f in floors]


def share(whole: Money, part: int, of: int) -> Money:
    """The cumulative share of ``whole`` for ``part`` out of ``of`` units, rounded down to a minor unit.

    Refunding ``k`` more units of a line refunds
    ``share(net, returned + k, qty) - share(net, returned, qty)``: each step is rounded, yet returning
    every unit refunds exactly ``net``.
    """
    if of <= 0:
        raise ValueError("of must be positive")
    if part >= of:
        return whole
    value = (whole.amount * part / of).quantize(quantum(whole.currency), rounding=ROUND_DOWN)
    return Money(value, whole.currency)
