"""Co-purchase affinity: "customers who bought this also bought", and suggestions per customer. No I/O.

The unit is the customer, not the order: an article counts once per customer who has bought it, and a
pair once per customer who has bought both, whenever they did. Over ``N`` customers, for articles
``a`` and ``b`` bought by ``n(a)``, ``n(b)`` and together by ``n(a, b)`` customers:

- support(a, b)   = n(a, b) / N                      how common the pair is
- confidence(a→b) = n(a, b) / n(a)                   how many buyers of a also bought b
- lift(a→b)       = confidence(a→b) / (n(b) / N)     how much more likely b is for buyers of a than for anyone

A lift above 1 means the two go together more than chance. Counts change incrementally: a customer's
new articles add their pairs with each other and with what the customer already held
(:func:`purchase_deltas`); a return of every unit takes them away again (:func:`release_deltas`).

Suggestions for a customer are articles they have not bought: **cross-sell** from another category, with
the lift of the held article that points to it; **up-sell** from the category of a held article at a higher
unit price than they paid for it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from typing import TypeVar

Pair = tuple[str, str]  # always (smaller, larger)
K = TypeVar("K")


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class Deltas:
    """Changes to the customer count, the per-article counts and the per-pair counts."""

    customers: int = 0
    items: Mapping[str, int] = field(default_factory=dict)
    pairs: Mapping[Pair, int] = field(default_factory=dict)


def purchase_deltas(held: Iterable[str], bought: Iterable[str]) -> Deltas:
    """What a purchase of ``bought`` adds when the customer already holds ``held``.

    Articles already held add nothing, so a repeat purchase or a redelivered event cannot inflate counts.
    """
    before = set(held)
    new = sorted(set(bought) - before)
    if not new:
        return Deltas()
    pairs: dict[Pair, int] = {pair(a, b): 1 for a, b in combinations(new, 2)}
    for a in new:
        for b in before:
            pairs[pair(a, b)] = 1
    return Deltas(0 if before else 1, dict.fromkeys(new, 1), pairs)


def release_deltas(held: Iterable[str], released: Iterable[str]) -> Deltas:
    """What dropping ``released`` from a customer holding ``held`` removes (a full return, a cancellation)."""
    before = set(held)
    gone = sorted(set(released) & before)
    if not gone:
        return Deltas()
    after = before - set(gone)
    pairs: dict[Pair, int] = {pair(a, b): -1 for a, b in combinations(gone, 2)}
    for a in gone:
        for b in after:
            pairs[pair(a, b)] = -1
    return Deltas(0 if after else -1, dict.fromkeys(gone, -1), pairs)


@dataclass(frozen=True)
class Association:
    """``antecedent → consequent``: buyers of the first also bought the second."""

    antecedent: str
    consequent: str
    together: int
    support: float
    confidence: float
    lift: float


@dataclass
class CoPurchase:
    """The counts, in memory: for tests, dry runs and small catalogues. The store keeps the same counts."""

    customers: int = 0
    items: dict[str, int] = field(default_factory=dict)
    pairs: dict[Pair, int] = field(default_factory=dict)

    def apply(self, deltas: Deltas) -> None:
        self.customers += deltas.customers
        for item, d in deltas.items.items():
            _bump(self.items, item, d)
        for p, d in deltas.pairs.items():
            _bump(self.pairs, p, d)

    def association(self, a: str, b: str) -> Association | None:
        return association(
            a, b, self.pairs.get(pair(a, b), 0), self.items.get(a, 0), self.items.get(b, 0), self.customers
        )

    def also_bought(
        self, item: str, thresholds: Thresholds | None = None, limit: int = 10
    ) -> list[Association]:
        """What buyers of ``item`` also bought, strongest first."""
        t = thresholds or Thresholds()
        found = []
        for (x, y), together in self.pairs.items():
            if item not in (x, y):
                continue
            other = y if x == item else x
            assoc = association(
                item, other, together, self.items.get(item, 0), self.items.get(other, 0), self.customers
            )
            if assoc is not None and t.passes(assoc):
                found.append(assoc)
        return rank(found)[:limit]


def _bump(counts: dict[K, int], key: K, d: int) -> None:
    value = counts.get(key, 0) + d
    if value > 0:
        counts[key] = value
    else:
        counts.pop(key, None)


@dataclass(frozen=True)
class Thresholds:
    """How strong an association must be to be shown: enough customers, confidence and lift above chance."""

    min_together: int = 2
    min_confidence: float = 0.05
    min_lift: float = 1.0

    def passes(self, assoc: Association) -> bool:
        return (
            assoc.together >= self.min_together
            and assoc.confidence >= self.min_confidence
            and assoc.lift > self.min_lift
        )


def association(a: str, b: str, together: int, n_a: int, n_b: int, customers: int) -> Association | None:
    if together <= 0 or n_a <= 0 or n_b <= 0 or customers <= 0:
        return None
    confidence = together / n_a
    return Association(a, b, together, together / customers, confidence, confidence / (n_b / customers))


def rank(associations: Iterable[Association]) -> list[Association]:
    return sorted(associations, key=lambda x: (-x.lift, -x.confidence, -x.together, x.consequent))


class SuggestionKind(enum.IntEnum):
    """Numbered as ``SuggestionKind`` in the API."""

    CROSS_SELL = 1
    UP_SELL = 2


@dataclass(frozen=True)
class Article:
    """What the context knows of an article from order lines: its category and the latest unit price."""

    sku: str
    category: str = ""
    description: str = ""
    unit_price: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True)
class Suggestion:
    sku: str
    kind: SuggestionKind
    because_of: str  # the held article that points to it
    confidence: float
    lift: float
    together: int


def suggest(
    held: Mapping[str, Decimal | None],
    associations: Iterable[Association],
    catalogue: Mapping[str, Article],
    limit: int = 10,
) -> list[Suggestion]:
    """Suggestions for a customer who holds ``held`` (sku → unit price they paid, when known).

    ``associations`` are the ones whose antecedent the customer holds (already past the thresholds). An
    article the customer holds is never suggested; each article is suggested once, for its strongest
    reason. Same category at a higher price than the customer paid is an up-sell; another category a
    cross-sell; same category and not dearer is skipped (a substitute, not a suggestion).
    """
    best: dict[str, Suggestion] = {}
    for assoc in rank(associations):
        target = assoc.consequent
        if target in held or assoc.antecedent not in held or target in best:
            continue
        kind = _kind(catalogue.get(assoc.antecedent), catalogue.get(target), held[assoc.antecedent])
        if kind is None:
            continue
        best[target] = Suggestion(
            target, kind, assoc.antecedent, assoc.confidence, assoc.lift, assoc.together
        )
    return list(best.values())[:limit]


def _kind(source: Article | None, target: Article | None, paid: Decimal | None) -> SuggestionKind | None:
    if source is None or target is None or not source.category or source.category != target.category:
        return SuggestionKind.CROSS_SELL
    price = paid if paid is not None else source.unit_price
    if price is None or target.unit_price is None or target.currency != source.currency:
        return None
    return SuggestionKind.UP_SELL if target.unit_price > price else None
