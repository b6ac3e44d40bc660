"""Cases, their workflow and SLA clock, and the interaction log. No I/O.

The SLA clock counts business time of the configured calendar. It stops while the case waits for
the customer (PENDING_CUSTOMER) and while it is RESOLVED; when it starts again, each due time that
had not passed moves out by exactly the business time that was left on it when the clock stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from isthmus.kernel.errors import (
    FailedPrecondition,
    InvalidArgument,
    illegal_transition,
    stale_version,
)
from isthmus.service_requests.calendar import BusinessCalendar


class State(StrEnum):
    NEW = "NEW"
    OPEN = "OPEN"
    PENDING_CUSTOMER = "PENDING_CUSTOMER"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


class Priority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class Kind(StrEnum):
    INQUIRY = "INQUIRY"
    COMPLAINT = "COMPLAINT"
    RETURN = "RETURN"
    CANCELLATION = "CANCELLATION"
    TECHNICAL = "TECHNICAL"
    FEEDBACK = "FEEDBACK"
    OTHER = "OTHER"
    TRACER = "TRACER"


class Channel(StrEnum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    WEB = "WEB"
    CHAT = "CHAT"
    STORE = "STORE"
    MAIL = "MAIL"
    SOCIAL = "SOCIAL"
    INTERNAL = "INTERNAL"


class Direction(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
    INTERNAL = "INTERNAL"


class BreachKind(StrEnum):
    RESPONSE = "RESPONSE"
    RESOLUTION = "RESOLUTION"


ACTIVE = frozenset({State.NEW, State.OPEN, State.PENDING_CUSTOMER})

# The workflow. Reopen is RESOLVED -> OPEN, or CLOSED -> OPEN within the reopen window.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.NEW: frozenset({State.OPEN}),
    State.OPEN: frozenset({State.PENDING_CUSTOMER, State.RESOLVED}),
    State.PENDING_CUSTOMER: frozenset({State.OPEN, State.RESOLVED}),
    State.RESOLVED: frozenset({State.OPEN, State.CLOSED}),
    State.CLOSED: frozenset({State.OPEN}),
}

ERASED = "[erased]"


@dataclass(frozen=True)
class SlaTarget:
    response: timedelta
    resolution: timedelta


@dataclass(frozen=True)
class Actor:
    kind: str = ""  # USER, SERVICE, CONNECTOR, SYSTEM; empty when not given
    id: str = ""
    display_name: str = ""
    principal: str = ""  # the authenticated client that made the call (Actor.principal in the API)


SYSTEM = Actor("SYSTEM", "service-requests", "SLA and workflow rules")


@dataclass(frozen=True)
class Assignee:
    agent_id: str = ""
    queue: str = ""

    def __bool__(self) -> bool:
        return bool(self.agent_id or self.queue)


@dataclass(frozen=True)
class Shipment:
    """How an order left, as the order service reported it: what a tracer gives the carrier."""

    carrier: str = ""
    tracking_number: str = ""
    shipped_at: str = ""  # RFC 3339, as the event said
    warehouse: str = ""
    manifest_number: str = ""

    def json(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}

    @classmethod
    def of(cls, data: dict[str, str] | None) -> Shipment | None:
        return None if data is None else cls(**data)


@dataclass
class ServiceRequest:
    id: str
    customer_id: str
    channel: Channel
    kind: Kind
    priority: Priority
    subject: str
    opened_at: datetime
    response_due: datetime
    resolution_due: datetime
    state: State = State.NEW
    order_id: str = ""
    order_line_id: str = ""
    category: str = ""
    sub_category: str = ""
    description: str = ""
    reason_codes: list[str] = field(default_factory=list)
    assignee: Assignee = field(default_factory=Assignee)
    first_response_at: datetime | None = None
    paused_since: datetime | None = None
    paused_total: timedelta = timedelta(0)
    response_breached: bool = False
    resolution_breached: bool = False
    breached_at: datetime | None = None
    resolution_code: str = ""
    resolution_note: str = ""
    source_system: str = ""
    external_id: str = ""
    opened_by: Actor = field(default_factory=Actor)
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    update_time: datetime | None = None
    version: int = 1
    erased: bool = False
    shipment: Shipment | None = None  # a tracer's

    @classmethod
    def open(
        cls,
        *,
        id: str,
        customer_id: str,
        opened_at: datetime,
        priority: Priority,
        target: SlaTarget,
        calendar: BusinessCalendar,
        **fields: object,
    ) -> ServiceRequest:
        return cls(
            id=id,
            customer_id=customer_id,
            opened_at=opened_at,
            priority=priority,
            response_due=calendar.add(opened_at, target.response),
            resolution_due=calendar.add(opened_at, target.resolution),
            update_time=opened_at,
            **fields,  # type: ignore[arg-type]
        )

    # -- workflow ------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def is_open_complaint(self) -> bool:
        return self.kind is Kind.COMPLAINT and self.active

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    def check_version(self, expected: int) -> None:
        if expected and expected != self.version:
            raise stale_version(f"service request {self.id}", self.version, expected)

    def assign(self, assignee: Assignee, now: datetime) -> tuple[Assignee, State | None]:
        """A NEW case becomes OPEN. Returns the previous assignee, and the old state if it moved."""
        if not self.active:
            raise illegal_transition(
                f"service request {self.id} is {self.state}: only active cases can be assigned",
                str(self.state),
            )
        previous = self.assignee
        self.assignee = assignee
        moved = None
        if self.state is State.NEW:
            moved = self.state
            self.state = State.OPEN
        self.update_time = now
        return previous, moved

    def change_state(
        self,
        target: State,
        now: datetime,
        calendar: BusinessCalendar,
        *,
        reopen_window: timedelta,
        resolution_code: str = "",
        resolution_note: str = "",
    ) -> State:
        """Moves along the workflow; returns the state it left. Illegal moves name the current state."""
        current = self.state
        if target not in TRANSITIONS[current]:
            allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
            raise illegal_transition(
                f"service request {self.id} is {current}: cannot move to {target} (allowed: {allowed})",
                str(current),
            )
        if current is State.CLOSED and self.closed_at is not None and now > self.closed_at + reopen_window:
            raise FailedPrecondition(
                f"service request {self.id} is CLOSED since {self.closed_at.isoformat()}, beyond the "
                f"reopen window of {reopen_window}: open a new case"
            )
        if target is State.RESOLVED and not resolution_code:
            raise InvalidArgument("resolution_code", "is required to resolve a case")
        if current is State.PENDING_CUSTOMER:
            self._restart_clock(self.paused_since or now, now, calendar)
            self.paused_total += max(now - (self.paused_since or now), timedelta(0))
            self.paused_since = None
        if target in (State.PENDING_CUSTOMER, State.RESOLVED) and self.first_response_at is None:
            # Asking the customer something or resolving means they heard from us.
            self.first_response_at = now
        if target is State.PENDING_CUSTOMER:
            self.paused_since = now
        elif target is State.RESOLVED:
            self.resolved_at = now
            self.resolution_code = resolution_code
            self.resolution_note = resolution_note
        elif target is State.CLOSED:
            self.closed_at = now
        elif target is State.OPEN and current in (State.RESOLVED, State.CLOSED):
            self._restart_clock(self.resolved_at or now, now, calendar)
            self.reopen_count += 1
            self.resolved_at = None
            self.closed_at = None
            self.resolution_code = ""
            self.resolution_note = ""
        self.state = target
        self.update_time = now
        return current

    def record_first_response(self, at: datetime) -> bool:
        if self.first_response_at is not None:
            return False
        self.first_response_at = at
        return True

    def _restart_clock(self, stopped_at: datetime, now: datetime, calendar: BusinessCalendar) -> None:
        # A due time that had already passed when the clock stopped stays: that breach is final.
        if self.first_response_at is None and self.response_due > stopped_at:
            self.response_due = calendar.add(now, calendar.between(stopped_at, self.response_due))
        if self.resolution_due > stopped_at:
            self.resolution_due = calendar.add(now, calendar.between(stopped_at, self.resolution_due))

    # -- SLA -------------------------------------------------------------------------------------

    @property
    def next_due_at(self) -> datetime | None:
        """The earliest due time still running (for overdue listings); None while the clock stands."""
        if not self.active or self.paused:
            return None
        if self.first_response_at is None:
            return min(self.response_due, self.resolution_due)
        return self.resolution_due

    def breach_candidates(self) -> list[tuple[BreachKind, datetime]]:
        """Due times that are, or may become, breached and have not been reported yet."""
        found = []
        if not self.response_breached and (
            self.first_response_at is None or self.first_response_at > self.response_due
        ):
            found.append((BreachKind.RESPONSE, self.response_due))
        if not self.resolution_breached:
            stopped = self.resolved_at or self.paused_since
            if stopped is None or stopped > self.resolution_due:
                found.append((BreachKind.RESOLUTION, self.resolution_due))
        return found

    @property
    def breach_check_at(self) -> datetime | None:
        """When the breach detector must look at this case next; None when it never has to."""
        candidates = self.breach_candidates()
        return min(due for _, due in candidates) if candidates else None

    def detect_breaches(self, now: datetime) -> list[tuple[BreachKind, datetime]]:
        """Marks and returns the breaches due by ``now`` that were not reported before."""
        due = [(kind, at) for kind, at in self.breach_candidates() if at <= now]
        for kind, _ in due:
            if kind is BreachKind.RESPONSE:
                self.response_breached = True
            else:
                self.resolution_breached = True
        if due and self.breached_at is None:
            self.breached_at = now
        if due:
            self.update_time = now
        return due

    # -- privacy ---------------------------------------------------------------------------------

    def erase_personal_data(self, now: datetime) -> None:
        self.subject = ERASED
        self.description = ERASED if self.description else ""
        self.resolution_note = ERASED if self.resolution_note else ""
        self.erased = True
        self.update_time = now


@dataclass
class Interaction:
    id: str
    direction: Direction
    channel: Channel
    occurred_at: datetime
    create_time: datetime
    service_request_id: str = ""
    customer_id: str = ""
    author: Actor = field(default_factory=Actor)
    subject: str = ""
    body: str = ""
    in_reply_to_id: str = ""
    corrects_id: str = ""
    duration: timedelta | None = None
    source_system: str = ""
    external_id: str = ""
    orphaned: bool = False
    claimed_service_request_id: str = ""
