"""An article's stock, without I/O: units taken by tier, holds, counts that find fewer, and the order in
which waiting lines are served."""

from __future__ import annotations

import pytest

from isthmus.kernel.errors import FailedPrecondition
from isthmus.orders.stock import UNTIERED, Item, Waiting, fill

A, B, C = 1, 2, 3


def test_a_customer_takes_their_tiers_held_units_first_and_no_one_elses() -> None:
    item = Item("TENT", on_hand=10, allocated=2, holds={A: 3, C: 1})
    assert (item.free, item.available_to(A), item.available_to(B)) == (4, 7, 4)
    assert item.take(5, A) == 5  # the hold's 3, then 2 free
    assert (item.holds, item.allocated, item.free) == ({A: 0, C: 1}, 7, 2)
    assert item.take(5, B) == 2  # C's held unit is not B's
    assert item.take(1, UNTIERED) == 0
    assert item.take(1, C) == 1


def test_a_hold_is_set_within_what_is_free() -> None:
    item = Item("TENT", on_hand=5, allocated=1)
    assert item.hold(A, 3) == 3 and item.free == 1
    assert item.hold(A, 4) == 1 and item.free == 0  # set, not added to
    with pytest.raises(FailedPrecondition, match="0 unit\\(s\\) free to hold"):
        item.hold(B, 1)
    assert item.hold(A, 0) == -4 and item.holds == {} and item.free == 4


def test_a_count_below_what_is_promised_cuts_the_lowest_tiers_hold_then_reports_the_shortfall() -> None:
    item = Item("TENT", on_hand=10, allocated=4, holds={A: 2, C: 3})
    assert item.count(6) == 0 and item.holds == {A: 2}  # C's hold went first
    assert item.count(3) == 1 and item.holds == {}  # then A's; one allocated unit is not there
    assert item.count(12) == 0 and item.free == 8


def test_ship_and_give_back_move_the_figures_they_should() -> None:
    item = Item("TENT", on_hand=5, allocated=3)
    item.ship(2)
    assert (item.on_hand, item.allocated) == (3, 1)
    item.give_back(1)
    assert (item.on_hand, item.allocated, item.free) == (3, 0, 3)


def test_waiting_lines_are_served_in_their_order_each_as_much_as_it_can() -> None:
    item = Item("MOWER", on_hand=3, holds={A: 1})
    waiting = [Waiting("o1", "1", 2, A), Waiting("o2", "1", 2, C), Waiting("o3", "1", 1, A)]
    served = [(w.order_id, n, held) for w, n, held in fill(item, waiting)]
    assert served == [("o1", 2, 1), ("o2", 1, 0)]  # A's hold and a free unit; C the last free one
    assert item.free == 0 and item.holds == {A: 0}
    item.give_back(2, A, 1)  # o1 could not take them after all: A's held unit is A's again
    assert item.free == 1 and item.holds == {A: 1}
