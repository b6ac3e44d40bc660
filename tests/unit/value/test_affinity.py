"""Co-purchase counts kept incrementally, support/confidence/lift, and suggestions per customer."""

from __future__ import annotations

import random
from decimal import Decimal
from itertools import combinations

import pytest

from isthmus.value.affinity import (
    Article,
    CoPurchase,
    SuggestionKind,
    Thresholds,
    pair,
    purchase_deltas,
    release_deltas,
    suggest,
)


def build(histories: dict[str, list[list[str]]]) -> CoPurchase:
    """Apply each customer's purchases in order, as the consumer does event by event."""
    model = CoPurchase()
    for purchases in histories.values():
        held: set[str] = set()
        for bought in purchases:
            model.apply(purchase_deltas(held, bought))
            held |= set(bought)
    return model


def from_scratch(holdings: dict[str, set[str]]) -> CoPurchase:
    model = CoPurchase(customers=sum(1 for h in holdings.values() if h))
    for items in holdings.values():
        for item in items:
            model.items[item] = model.items.get(item, 0) + 1
        for a, b in combinations(sorted(items), 2):
            model.pairs[(a, b)] = model.pairs.get((a, b), 0) + 1
    return model


def test_support_confidence_and_lift_by_the_book() -> None:
    # 10 customers: 4 bought a tent, 5 a stove, 3 both; lift = (3/4) / (5/10) = 1.5
    histories = {f"c{i}": [] for i in range(10)}
    for i in range(3):
        histories[f"c{i}"] = [["tent"], ["stove"]]
    histories["c3"] = [["tent"]]
    histories["c4"] = [["stove"]]
    histories["c5"] = [["stove", "mug"]]
    for i in range(6, 10):
        histories[f"c{i}"] = [["mug"]]
    model = build(histories)
    assert model.customers == 10
    assoc = model.association("tent", "stove")
    assert assoc is not None
    assert (assoc.together, assoc.support, assoc.confidence) == (3, 0.3, 0.75)
    assert assoc.lift == pytest.approx(1.5)
    back = model.association("stove", "tent")
    assert back is not None and back.confidence == pytest.approx(0.6) and back.lift == pytest.approx(1.5)
    assert [a.consequent for a in model.also_bought("tent")] == ["stove"]
    assert model.also_bought("mug") == []  # mug and stove: one customer only, below the threshold


def test_repeat_purchases_and_redelivered_events_do_not_inflate_counts() -> None:
    model = build({"c1": [["a", "b"], ["a", "b"], ["b"]], "c2": [["a"], ["a"]]})
    assert model.customers == 2
    assert model.items == {"a": 2, "b": 1}
    assert model.pairs == {("a", "b"): 1}


def test_incremental_counts_equal_counts_from_scratch_and_releases_undo_them() -> None:
    rng = random.Random(7)
    articles = [f"sku{i}" for i in range(12)]
    histories = {
        f"c{i}": [rng.sample(articles, rng.randint(1, 4)) for _ in range(rng.randint(1, 4))]
        for i in range(60)
    }
    model = build(histories)
    holdings = {c: set().union(*map(set, purchases)) for c, purchases in histories.items()}
    assert model == from_scratch(holdings)
    # every customer returns one article in full
    for held in holdings.values():
        gone = sorted(held)[0]
        model.apply(release_deltas(held, [gone]))
        held.discard(gone)
    assert model == from_scratch(holdings)


def test_releasing_the_last_article_removes_the_customer() -> None:
    model = build({"c1": [["a"]]})
    model.apply(release_deltas({"a"}, ["a", "z"]))
    assert model == CoPurchase()


CATALOGUE = {
    "tent": Article("tent", "camping", unit_price=Decimal("200"), currency="EUR"),
    "tent-pro": Article("tent-pro", "camping", unit_price=Decimal("450"), currency="EUR"),
    "tent-mini": Article("tent-mini", "camping", unit_price=Decimal("90"), currency="EUR"),
    "stove": Article("stove", "cooking", unit_price=Decimal("60"), currency="EUR"),
    "mug": Article("mug", "cooking", unit_price=Decimal("8"), currency="EUR"),
}


def test_suggestions_exclude_what_the_customer_has_and_tell_cross_from_up_sell() -> None:
    model = CoPurchase()
    for i in range(20):
        held: set[str] = set()
        basket = ["tent", "stove"] if i < 8 else ["mug"]
        if i < 4:
            basket.append("tent-pro")
        if 4 <= i < 7:
            basket.append("tent-mini")
        if i < 2:
            basket.append("mug")
        model.apply(purchase_deltas(held, basket))
    thresholds = Thresholds(min_together=2)
    held_prices = {"tent": Decimal("200"), "stove": Decimal("55")}
    candidates = [a for item in held_prices for a in model.also_bought(item, thresholds, limit=50)]
    suggestions = suggest(held_prices, candidates, CATALOGUE)
    by_sku = {s.sku: s for s in suggestions}
    assert "tent" not in by_sku and "stove" not in by_sku
    assert by_sku["tent-pro"].kind is SuggestionKind.UP_SELL
    assert by_sku["tent-pro"].because_of in {"tent", "stove"}
    assert "tent-mini" not in by_sku or by_sku["tent-mini"].because_of == "stove"
    lifts = [s.lift for s in suggestions]
    assert lifts == sorted(lifts, reverse=True)


def test_a_cheaper_article_of_the_same_category_is_not_an_up_sell() -> None:
    model = CoPurchase()
    for _ in range(3):
        model.apply(purchase_deltas(set(), ["tent", "tent-mini"]))
    model.apply(purchase_deltas(set(), ["mug"]))
    suggestions = suggest({"tent": None}, model.also_bought("tent"), CATALOGUE)
    assert suggestions == []
    cross = suggest({"tent-mini": None}, model.also_bought("tent-mini"), CATALOGUE)
    assert [(s.sku, s.kind) for s in cross] == [("tent", SuggestionKind.UP_SELL)]


def test_pairs_are_ordered() -> None:
    assert pair("b", "a") == pair("a", "b") == ("a", "b")
