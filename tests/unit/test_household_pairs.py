"""Which households a batch re-examines from the database: those that could move a record, and every
household sharing a customer with one of them (a move out of a customer changes what its other
households compare)."""

from __future__ import annotations

from isthmus.customers.households import connected

R = ("erp", "1")


def test_only_the_chosen_households_and_none_apart_from_them():
    pairs = [("a", "b", R), ("c", "d", R), ("e", "f", R)]
    assert connected(pairs, {1}) == [("c", "d", R)]
    assert connected(pairs, set()) == []


def test_a_household_sharing_a_customer_with_a_chosen_one_comes_along_in_order():
    pairs = [("x", "b", R), ("a", "b", R), ("c", "d", R)]
    assert connected(pairs, {1}) == [("x", "b", R), ("a", "b", R)]


def test_through_other_households_too():
    # a-b chosen; b-c shares b; c-d shares c only with b-c; e-f shares nothing.
    pairs = [("c", "d", R), ("e", "f", R), ("b", "c", R), ("a", "b", R)]
    assert connected(pairs, {3}) == [("c", "d", R), ("b", "c", R), ("a", "b", R)]


def test_the_positions_given_are_not_changed():
    chosen = {0}
    connected([("a", "b", R), ("b", "c", R)], chosen)
    assert chosen == {0}
