"""Orders: lines, adjustments, totals, the lifecycle state machine, flex-pay instalments, returns and
backorders. No I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from isthmus.kernel.errors import (
    FailedPrecondition,
    InvalidArgument,
    illegal_transition,
    stale_version,
)
from isthmus.kernel.money import Money, allocate, share, total
from isthmus.kernel.timestamps import add_months


class State(enum.IntEnum):
    """Numbered as ``OrderState`` in the API."""

    PLACED = 1
    PAID = 2
    SHIPPED = 3
    DELIVERED = 4
    COMPLETED = 5
    CANCELLED = 6


class Kind(enum.IntEnum):
    """Numbered as ``AdjustmentKind`` in the API; DISCOUNT subtracts, the others add."""

    TAX = 1
    DISCOUNT = 2
    SHIPPING = 3
    FEE = 4


_KINDS = tuple(Kind)

# The whole lifecycle: action -> states it is allowed from. Anything else is FAILED_PRECONDITION.
ALLOWED: dict[str, tuple[State, ...]] = {
    "pay": (State.PLACED,),
    "ship": (State.PAID,),
    "deliver": (State.SHIPPED,),
    "complete": (State.DELIVERED,),
    "cancel": (State.PLACED, State.PAID),
    "return": (State.SHIPPED, State.DELIVERED, State.COMPLETED),
    "backorder": (State.PLACED, State.PAID),
    "release": (State.PLACED, State.PAID, State.SHIPPED),
    "pay an instalment of": (State.PAID, State.SHIPPED, State.DELIVERED, State.COMPLETED),
    "change the payment method of": (State.PLACED, State.PAID, State.SHIPPED, State.DELIVERED),
    "update the delivery estimate of": (State.PLACED, State.PAID, State.SHIPPED),
    "set the final prices of": (State.PLACED,),
}

# Flex-pay: at most this many monthly instalments for a line.
MAX_INSTALMENTS = 24


@dataclass(frozen=True)
class Actor:
    kind: int = 0
    id: str = ""
    display_name: str = ""
    principal: str = ""  # the authenticated client that made the call (Actor.principal in the API)


@dataclass
class Line:
    line_id: str
    sku: str
    description: str
    quantity: int
    unit_price: Money
    shipping_method: str = ""
    category: str = ""
    returned_quantity: int = 0
    backordered_quantity: int = 0
    expected_ship: date | None = None  # as promised when the order was taken
    expected_delivery: date | None = None
    instalments: int = 0  # flex-pay: paid in this many monthly instalments (0 or 1: at once)
    payment_method: str = ""
    estimated_ship: date | None = None  # the latest estimate, when it moved from the promise
    estimated_delivery: date | None = None
    drop_ship_supplier: str = ""  # shipped to the customer by this supplier, not the warehouse
    price_pending: bool = False  # unit_price is an estimate until SetFinalPrices
    allocated: int = 0  # units of the hub's stock set aside and not shipped yet (stock.py)

    @property
    def line_total(self) -> Money:
        return self.unit_price.times(self.quantity)


@dataclass(frozen=True)
class Adjustment:
    kind: Kind
    amount: Money
    description: str = ""
    line_id: str = ""
    coupon_code: str = ""
    tax_rate: str = ""
    tax_code: str = ""


@dataclass(frozen=True)
class Cancellation:
    reason_code: str  # CancellationReason name without prefix, e.g. "CUSTOMER_REQUEST"
    reason_text: str
    actor: Actor
    cancelled_at: datetime


@dataclass(frozen=True)
class ReturnLine:
    line_id: str
    quantity: int
    reason_code: str  # ReturnReason name without prefix, e.g. "DAMAGED"
    reason_text: str = ""
    replacement_sku: str = ""


@dataclass(frozen=True)
class OrderReturn:
    return_id: str
    lines: tuple[ReturnLine, ...]
    exchange: bool
    refund: Money
    actor: Actor
    returned_at: datetime
    instalments_reduced: Money | None = None  # the part of the refund taken off unpaid instalments


@dataclass
class Instalment:
    """What is due on one date of a flex-pay plan, per line ("" for shipping and fees)."""

    number: int
    due: date
    parts: dict[str, Money]
    paid_at: datetime | None = None
    reference: str = ""

    def amount(self, currency: str) -> Money:
        return total(self.parts.values(), currency)

    def open(self, currency: str) -> bool:
        """Still to be paid: unpaid, and not taken down to nothing by returns."""
        return self.paid_at is None and not self.amount(currency).is_zero()


@dataclass(frozen=True)
class Totals:
    subtotal: Money
    discount: Money
    tax: Money
    shipping: Money
    fees: Money

    @property
    def total(self) -> Money:
        return self.subtotal - self.discount + self.tax + self.shipping + self.fees


def compute_totals(currency: str, lines: list[Line], adjustments: list[Adjustment]) -> Totals:
    # Decimals summed in one pass and wrapped once: every order read or written computes this.
    zero = Money.zero(currency).amount
    subtotal = zero
    for line in lines:
        if line.unit_price.currency != currency:
            raise ValueError(f"cannot mix {currency} and {line.unit_price.currency}")
        subtotal += line.unit_price.amount * line.quantity
    sums = dict.fromkeys(_KINDS, zero)
    for a in adjustments:
        if a.amount.currency != currency:
            raise ValueError(f"cannot mix {currency} and {a.amount.currency}")
        sums[a.kind] += a.amount.amount
    return Totals(
        subtotal=Money(subtotal, currency),
        discount=Money(sums[Kind.DISCOUNT], currency),
        tax=Money(sums[Kind.TAX], currency),
        shipping=Money(sums[Kind.SHIPPING], currency),
        fees=Money(sums[Kind.FEE], currency),
    )


def line_nets(currency: str, lines: list[Line], adjustments: list[Adjustment]) -> dict[str, Money]:
    """What each line is worth to the customer: its total less its discounts plus its tax.

    A line's own adjustments apply to it; order-level ones are allocated over the lines in whole minor
    units, so the nets sum exactly to subtotal - discount + tax. Line discounts come first, and each
    order-level discount is spread in proportion to what is left of each line, so no line's net goes
    below zero. Shipping and fees stay with the order (they are not refunded with goods).
    """
    nets = {line.line_id: line.line_total for line in lines}
    ordered = sorted(adjustments, key=lambda a: (a.kind is not Kind.DISCOUNT, a.line_id == ""))
    for adj in ordered:
        if adj.kind not in (Kind.DISCOUNT, Kind.TAX):
            continue
        if adj.line_id:
            parts = {adj.line_id: adj.amount}
        else:
            basis = nets if adj.kind is Kind.DISCOUNT else {x.line_id: x.line_total for x in lines}
            weights = [basis[x.line_id].minor for x in lines]
            parts = {x.line_id: part for x, part in zip(lines, allocate(adj.amount, weights), strict=True)}
        for line_id, part in parts.items():
            nets[line_id] = nets[line_id] - part if adj.kind is Kind.DISCOUNT else nets[line_id] + part
    return nets


def check_discounts(currency: str, lines: list[Line], adjustments: list[Adjustment]) -> None:
    """Discounts may not exceed what they discount: a line's own, or the whole order's."""
    for line in lines:
        own = total(
            [a.amount for a in adjustments if a.kind is Kind.DISCOUNT and a.line_id == line.line_id], currency
        )
        if own > line.line_total:
            raise InvalidArgument(
                "adjustments", f"discounts {own} on line {line.line_id} exceed its total {line.line_total}"
            )
    totals = compute_totals(currency, lines, adjustments)
    if totals.discount > totals.subtotal:
        raise InvalidArgument(
            "adjustments", f"discounts {totals.discount} exceed the subtotal {totals.subtotal}"
        )


@dataclass
class Order:
    order_id: str
    source_system: str
    external_order_id: str
    customer_id: str
    channel: int  # OrderChannel number
    currency: str
    lines: list[Line]
    adjustments: list[Adjustment]
    placed_at: datetime
    create_time: datetime
    state: State = State.PLACED
    coupon_codes: list[str] = field(default_factory=list)
    shipping_address: dict[str, object] | None = None
    billing_address: dict[str, object] | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    payment_reference: str = ""
    carrier: str = ""
    tracking_number: str = ""
    warehouse: str = ""
    manifest_number: str = ""
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    completed_at: datetime | None = None
    update_time: datetime | None = None
    cancellation: Cancellation | None = None
    returns: list[OrderReturn] = field(default_factory=list)
    version: int = 1
    # The customer master has not announced customer_id yet (docs/orders.md, "Customers it names").
    customer_pending: bool = False
    # The flex-pay plan (``plan``), when a line is paid in instalments.
    instalments: list[Instalment] = field(default_factory=list)

    @property
    def totals(self) -> Totals:
        return compute_totals(self.currency, self.lines, self.adjustments)

    @property
    def refunded_total(self) -> Money:
        return total([r.refund for r in self.returns], self.currency)

    # --- payment ---------------------------------------------------------------------------------

    def plan(self) -> None:
        """Works out the flex-pay plan, once the lines and adjustments are final (at creation).

        Each flex-pay line's worth to the customer (``line_nets``: its total less its discounts plus
        its tax) is split evenly over its instalments, the odd minor units to the first; the first
        instalment also holds the lines paid at once and the order's shipping and fees. The first is
        due on the day the order was placed, each next one a month later."""
        counts = {x.line_id: x.instalments for x in self.lines if x.instalments > 1}
        if not counts:
            self.instalments = []
            return
        start = self.placed_at.date()
        plan = [Instalment(k + 1, add_months(start, k), {}) for k in range(max(counts.values()))]
        totals = self.totals
        rest = totals.shipping + totals.fees
        if not rest.is_zero():
            plan[0].parts[""] = rest
        for line_id, net in line_nets(self.currency, self.lines, self.adjustments).items():
            for k, part in enumerate(allocate(net, [1] * counts.get(line_id, 1))):
                plan[k].parts[line_id] = part
        self.instalments = plan

    def payment_figures(self, order_total: Money) -> tuple[Money, Money, Money]:
        """(due at checkout, paid, still owed), given the order's total (the codec has it at hand)."""
        zero = Money.zero(self.currency)
        if not self.instalments:
            paid = self.paid_at is not None
            owed = zero if paid or self.state is State.CANCELLED else order_total
            return order_total, order_total if paid else zero, owed
        c = self.currency
        paid_total = total([i.amount(c) for i in self.instalments if i.paid_at is not None], c)
        if self.state is State.CANCELLED:
            owed = zero
        elif self.paid_at is None:
            owed = order_total
        else:
            owed = total([i.amount(c) for i in self.instalments if i.paid_at is None], c)
        return self.instalments[0].amount(c), paid_total, owed

    @property
    def due_at_checkout(self) -> Money:
        return self.payment_figures(self.totals.total)[0]

    def next_instalment(self) -> Instalment | None:
        """The instalment to pay next, if any is left."""
        return next((i for i in self.instalments if i.open(self.currency)), None)

    def line(self, line_id: str, field_path: str) -> Line:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise InvalidArgument(field_path, f"order {self.order_id} has no line {line_id!r}")

    # --- lifecycle -------------------------------------------------------------------------------

    def check(self, action: str, expected_version: int) -> None:
        """Legal from the current state, and nobody changed the order since the caller read it (when
        the caller says which version it read: 0 skips the check)."""
        allowed = ALLOWED[action]
        if self.state not in allowed:
            names = ", ".join(s.name for s in allowed)
            raise illegal_transition(
                f"order {self.order_id} is {self.state.name}; cannot {action} it (only from {names})",
                self.state.name,
            )
        if expected_version and expected_version != self.version:
            raise stale_version(f"order {self.order_id}", self.version, expected_version)

    def touch(self, now: datetime) -> None:
        """A change made: the next version, changed at ``now``."""
        self.version += 1
        self.update_time = now

    def pay(self, amount: Money, reference: str, paid_at: datetime, now: datetime) -> None:
        pending = [x.line_id for x in self.lines if x.price_pending]
        if pending:
            raise FailedPrecondition(
                f"order {self.order_id} has lines without a final price ({', '.join(pending)});"
                " SetFinalPrices first"
            )
        due = self.due_at_checkout
        if amount != due:
            what = "the first instalment of its flex-pay plan" if self.instalments else "the order total"
            raise InvalidArgument("amount", f"must equal {what}, {due}, not {amount}")
        self.state, self.payment_reference, self.paid_at = State.PAID, reference, paid_at
        if self.instalments:
            self.instalments[0].paid_at, self.instalments[0].reference = paid_at, reference
        self.touch(now)

    def pay_instalment(
        self, number: int, amount: Money, reference: str, paid_at: datetime, now: datetime
    ) -> Instalment:
        due = self.next_instalment()
        if due is None:
            raise FailedPrecondition(f"order {self.order_id} has no instalment left to pay")
        if number != due.number:
            raise FailedPrecondition(
                f"instalment {due.number} of order {self.order_id} is the next one due, not {number}"
            )
        owed = due.amount(self.currency)
        if amount != owed:
            raise InvalidArgument("amount", f"must equal instalment {number}, {owed}, not {amount}")
        due.paid_at, due.reference = paid_at, reference
        self.touch(now)
        return due

    def set_final_prices(self, prices: list[tuple[str, Money]]) -> list[Line]:
        """Gives lines taken without a final price their price (no I/O; the caller then works out the
        coupons' discounts again, checks them, plans and touches the order); returns the lines."""
        changed = []
        for i, (line_id, price) in enumerate(prices):
            line = self.line(line_id, f"lines[{i}].line_id")
            if not line.price_pending:
                raise FailedPrecondition(f"lines[{i}].line_id: line {line_id} has its final price")
            if price.currency != self.currency:
                raise InvalidArgument(
                    f"lines[{i}].unit_price", f"must be in the order currency {self.currency}"
                )
            line.unit_price, line.price_pending = price, False
            changed.append(line)
        return changed

    def estimate(self, estimates: list[tuple[str, date | None, date | None]], now: datetime) -> list[Line]:
        """Records new ship and delivery estimates (None keeps a line's current one); returns the lines
        whose estimate moved. A line's delivery may not come before its shipment, each the estimate
        or, where there is none, the promise."""
        found = [
            (self.line(line_id, f"lines[{i}].line_id"), ship, arrive)
            for i, (line_id, ship, arrive) in enumerate(estimates)
        ]
        moved = []
        for i, (line, ship, arrive) in enumerate(found):
            ship = ship or line.estimated_ship
            arrive = arrive or line.estimated_delivery
            leaves, reaches = ship or line.expected_ship, arrive or line.expected_delivery
            if leaves and reaches and reaches < leaves:
                raise InvalidArgument(
                    f"lines[{i}].delivery_date", f"{reaches} is before the line ships, {leaves}"
                )
            if (ship, arrive) != (line.estimated_ship, line.estimated_delivery):
                moved.append((line, ship, arrive))
        for line, ship, arrive in moved:
            line.estimated_ship, line.estimated_delivery = ship, arrive
        if moved:
            self.touch(now)
        return [line for line, _, _ in moved]

    def change_payment_method(self, line_ids: list[str], method: str, now: datetime) -> list[str]:
        """Sets the payment method of these lines (every line when none is named); returns their ids."""
        lines = [self.line(x, f"line_ids[{i}]") for i, x in enumerate(line_ids)] if line_ids else self.lines
        for line in lines:
            line.payment_method = method
        self.touch(now)
        return [x.line_id for x in lines]

    def ship(
        self,
        carrier: str,
        tracking: str,
        shipped_at: datetime,
        now: datetime,
        warehouse: str = "",
        manifest: str = "",
    ) -> None:
        self.state, self.carrier, self.tracking_number, self.shipped_at = (
            State.SHIPPED,
            carrier,
            tracking,
            shipped_at,
        )
        self.warehouse, self.manifest_number = warehouse, manifest
        self.touch(now)

    def deliver(self, delivered_at: datetime, now: datetime) -> None:
        self.state, self.delivered_at = State.DELIVERED, delivered_at
        self.touch(now)

    def complete(self, completed_at: datetime, now: datetime) -> None:
        self.state, self.completed_at = State.COMPLETED, completed_at
        self.touch(now)

    def cancel(self, cancellation: Cancellation, now: datetime) -> bool:
        """Returns whether the order had been paid (loyalty then claws back)."""
        was_paid = self.state is State.PAID
        self.state, self.cancellation = State.CANCELLED, cancellation
        self.touch(now)
        return was_paid

    def return_lines(
        self,
        return_id: str,
        lines: list[ReturnLine],
        exchange: bool,
        actor: Actor,
        at: datetime,
        now: datetime,
    ) -> OrderReturn:
        nets = line_nets(self.currency, self.lines, self.adjustments)
        refunded_units = self._refunded_units()
        refund = reduced = Money.zero(self.currency)
        seen: dict[str, int] = {}
        for i, rl in enumerate(lines):
            line = self.line(rl.line_id, f"lines[{i}].line_id")
            seen[rl.line_id] = seen.get(rl.line_id, 0) + rl.quantity
            returnable = line.quantity - line.returned_quantity - line.backordered_quantity
            if seen[rl.line_id] > returnable:
                raise InvalidArgument(
                    f"lines[{i}].quantity",
                    f"line {rl.line_id} has {returnable} returnable unit(s), not {seen[rl.line_id]}",
                )
        for line_id, quantity in seen.items():
            line = self.line(line_id, "lines")
            line.returned_quantity += quantity
            if not exchange:
                before = refunded_units.get(line_id, 0)
                net = nets[line_id]
                worth = share(net, before + quantity, line.quantity) - share(net, before, line.quantity)
                refund = refund + worth
                reduced = reduced + self._reduce_instalments(line_id, worth)
        zero = Money.zero(self.currency)
        order_return = OrderReturn(
            return_id,
            tuple(lines),
            exchange,
            zero if exchange else refund,
            actor,
            at,
            reduced if self.instalments else None,
        )
        self.returns.append(order_return)
        self.touch(now)
        return order_return

    def _reduce_instalments(self, line_id: str, worth: Money) -> Money:
        """Takes ``worth`` off the line's unpaid instalments, the latest first; returns what it took.
        Returned goods are not paid for: what was not paid yet is owed no more, the rest is refunded."""
        left = worth
        for due in reversed(self.instalments):
            part = due.parts.get(line_id)
            if due.paid_at is not None or part is None or left.is_zero():
                continue
            take = min(part, left)
            due.parts[line_id], left = part - take, left - take
        return worth - left

    def _refunded_units(self) -> dict[str, int]:
        units: dict[str, int] = {}
        for r in self.returns:
            if not r.exchange:
                for rl in r.lines:
                    units[rl.line_id] = units.get(rl.line_id, 0) + rl.quantity
        return units

    def backorder(self, quantities: list[tuple[str, int]], now: datetime) -> None:
        for i, (line_id, quantity) in enumerate(quantities):
            line = self.line(line_id, f"lines[{i}].line_id")
            open_units = line.quantity - line.backordered_quantity
            if quantity > open_units:
                raise InvalidArgument(
                    f"lines[{i}].quantity", f"line {line_id} has {open_units} unit(s) not yet on backorder"
                )
            line.backordered_quantity += quantity
        self.touch(now)

    def release(self, quantities: list[tuple[str, int]], now: datetime) -> list[tuple[str, int]]:
        """Releases the given units (every backordered unit when empty); returns what was released."""
        if not quantities:
            quantities = [(line.line_id, line.backordered_quantity) for line in self.lines]
            quantities = [(lid, q) for lid, q in quantities if q > 0]
            if not quantities:
                raise FailedPrecondition(f"order {self.order_id} has nothing on backorder")
        for i, (line_id, quantity) in enumerate(quantities):
            line = self.line(line_id, f"lines[{i}].line_id")
            if quantity > line.backordered_quantity:
                raise InvalidArgument(
                    f"lines[{i}].quantity",
                    f"line {line_id} has {line.backordered_quantity} unit(s) on backorder, not {quantity}",
                )
            line.backordered_quantity -= quantity
        self.touch(now)
        return quantities
