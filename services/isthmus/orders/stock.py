"""An article's stock as the hub keeps it: units on hand, set aside for orders, held back for a value
tier, and the order lines waiting for units. No I/O (docs/inventory.md)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from isthmus.kernel.errors import FailedPrecondition
from isthmus.orders.domain import State

# Customers without a tier come after every tier when backorders are filled.
UNTIERED = 9
# The most units of one article the hub keeps on hand (far beyond any shelf; the figures stay within
# the database's 64-bit integers however they are added up).
MAX_UNITS = 10**12
# An order in these states still takes the units it waits for (shipped: those left behind).
TAKES_UNITS = (State.PLACED, State.PAID, State.SHIPPED)


class Movement(enum.IntEnum):
    """Numbered as ``StockMovementKind`` in the API."""

    COUNTED = 1
    RECEIVED = 2
    ALLOCATED = 3
    DEALLOCATED = 4
    SHIPPED = 5
    RESTOCKED = 6
    WRITTEN_OFF = 7
    HELD = 8


# Returned for these reasons, the goods go back on the shelf (ReturnReason names without prefix);
# damaged or defective ones do not.
RESTOCKS = frozenset(
    {"WRONG_ITEM", "NOT_AS_DESCRIBED", "SIZE_OR_FIT", "CHANGED_MIND", "LATE_DELIVERY", "OTHER"}
)


@dataclass
class Item:
    """One article's stock. ``holds``: value tier number -> units only that tier's customers may take.
    ``on_hand - allocated - sum(holds)`` is what any customer may take (``free``); it is never negative
    once a change is done."""

    sku: str
    on_hand: int = 0
    allocated: int = 0
    holds: dict[int, int] = field(default_factory=dict)
    description: str = ""
    expected_at: datetime | None = None
    version: int = 0  # 0: not stored yet
    update_time: datetime | None = None

    @property
    def free(self) -> int:
        return self.on_hand - self.allocated - sum(self.holds.values())

    def available_to(self, tier: int) -> int:
        return self.free + self.holds.get(tier, 0)

    def take(self, wanted: int, tier: int) -> int:
        """Sets aside up to ``wanted`` units for a customer of ``tier`` (their tier's hold first);
        returns how many it could."""
        taken = max(0, min(wanted, self.available_to(tier)))
        from_hold = min(taken, self.holds.get(tier, 0))
        if from_hold:
            self.holds[tier] -= from_hold
        self.allocated += taken
        return taken

    def give_back(self, units: int, tier: int = UNTIERED, held: int = 0) -> None:
        """Set-aside units no longer wanted (a cancelled order): any customer may take them now, but
        for ``held`` of them, which go back to ``tier``'s hold (a fill that could not give them)."""
        self.allocated -= units
        if held:
            self.holds[tier] = self.holds.get(tier, 0) + held

    def ship(self, units: int) -> None:
        """Set-aside units left the warehouse."""
        self.allocated -= units
        self.on_hand -= units

    def receive(self, units: int) -> None:
        self.on_hand += units

    def count(self, on_hand: int) -> int:
        """Records a count; returns how many set-aside units the count no longer covers (the caller
        puts that many back on backorder). Holds shrink first: they are promised to no order."""
        self.on_hand = on_hand
        short = -self.free
        for tier in sorted(self.holds, reverse=True):  # the lowest tier's hold goes first
            if short <= 0:
                break
            cut = min(short, self.holds[tier])
            self.holds[tier] -= cut
            short -= cut
        self.holds = {t: q for t, q in self.holds.items() if q}
        return max(short, 0)

    def hold(self, tier: int, units: int) -> int:
        """Sets a tier's hold; returns its change. More than is free (with what the tier holds now)
        is refused."""
        before = self.holds.get(tier, 0)
        if units - before > self.free:
            raise FailedPrecondition(
                f"quantity: {self.sku} has {self.free + before} unit(s) free to hold for this tier,"
                f" not {units}"
            )
        if units:
            self.holds[tier] = units
        else:
            self.holds.pop(tier, None)
        return units - before


@dataclass
class Waiting:
    """An order line waiting for units of a kept article, in the order backorders are filled."""

    order_id: str
    line_id: str
    units: int
    tier: int


def fill(item: Item, waiting: list[Waiting]) -> list[tuple[Waiting, int, int]]:
    """Gives free (and held) units to the waiting lines, as ``waiting`` is ordered (best tier first,
    then oldest), a line as much as it can get; a customer of another tier does not take a tier's
    held units. Returns each line served, its units and how many of them its tier held; sets them
    aside."""
    served = []
    for w in waiting:
        if item.free <= 0 and not any(item.holds.values()):
            break
        held = item.holds.get(w.tier, 0)
        got = item.take(w.units, w.tier)
        if got:
            served.append((w, got, held - item.holds.get(w.tier, 0)))
    return served
