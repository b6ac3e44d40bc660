"""Campaigns: who gets which message when something happens, who is held back and why, and what it earned.

A campaign answers one trigger — a customer entering a segment, an abandoned cart, a first purchase,
lapsing beyond their own purchase rhythm, moving up a tier, a birthday, or (for escalation to service
staff, never marketing) a high-value customer opening a complaint — with a message template on one
channel, within a schedule. Isthmus does not send anything: it asks delivery systems to
(``CampaignMessageRequested``) and hears back what the customer did.

Lifecycle: draft → testing (a dry run against live data: counts and a sample) → production → stopped;
every step is an audit entry. A marketing message is never requested for a customer without marketing
consent for the campaign's channel, under contact suppression, or with an open complaint, and at most once
per customer and campaign within the frequency cap. A fixed share of the eligible customers — chosen by a
hash of campaign and customer, so the same customer is always on the same side — is held back as the
control group; the report compares their purchases with those who got the message. No I/O.
"""

from __future__ import annotations

import enum
import hashlib
import math
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from isthmus.kernel.errors import FailedPrecondition, InvalidArgument
from isthmus.kernel.violations import Violations

MAX_CONTROL_PERCENT = 50
DEFAULT_ATTRIBUTION = timedelta(days=14)
CHANNELS = ("EMAIL", "SMS", "PHONE", "MAIL", "PUSH")  # as the customer master's consent channels
VALUE_TIERS = ("A", "B", "C")  # best first
_MESSAGE_IDS = uuid.UUID("6f1d3c52-8e0b-4a57-9d2e-5b7a0c1e9f34")


class Trigger(enum.IntEnum):
    """Numbered as ``CampaignTrigger`` in the API."""

    SEGMENT_ENTERED = 1
    CART_ABANDONED = 2
    FIRST_PURCHASE = 3
    LAPSED = 4
    TIER_UP = 5
    BIRTHDAY = 6
    HIGH_VALUE_COMPLAINT = 7
    ORDER_BACKORDERED = 8
    DETAILS_CHANGED = 9


class Purpose(enum.IntEnum):
    """Marketing reaches out to sell; escalation alerts service staff about a customer, never sells;
    service tells the customer about their own order or account (a backorder, a change to their
    details): owed to every customer it concerns, so no consent, complaint, suppression, control group
    nor frequency cap holds it back."""

    MARKETING = 1
    ESCALATION = 2
    SERVICE = 3


# The triggers of service messages.
SERVICE_TRIGGERS = frozenset({Trigger.ORDER_BACKORDERED, Trigger.DETAILS_CHANGED})
# Triggers that happen to most customers again and again (every change a source sends): remembered
# only while a campaign answers them, not for every customer update of a backfill.
RECORDED_WHEN_ANSWERED = frozenset({Trigger.DETAILS_CHANGED})


class CampaignState(enum.IntEnum):
    DRAFT = 1
    TESTING = 2
    PRODUCTION = 3
    STOPPED = 4


class Outcome(enum.IntEnum):
    """What a campaign decided for one customer; numbered as ``CampaignOutcome`` in the API."""

    SEND = 1
    CONTROL = 2  # eligible, held back to measure the lift
    NO_CONSENT = 3
    SUPPRESSED = 4
    OPEN_COMPLAINT = 5
    FREQUENCY_CAP = 6
    OUTSIDE_SCHEDULE = 7
    NOT_RUNNING = 8
    WITHDRAWN = 9  # a marketing message due later, withdrawn before: a complaint or suppression came first

    @property
    def eligible(self) -> bool:
        return self in (Outcome.SEND, Outcome.CONTROL)


@dataclass(frozen=True)
class Schedule:
    """When the campaign may request messages, and how long after the trigger each may go out."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    delay: timedelta = timedelta(0)

    def open_at(self, at: datetime) -> bool:
        return (self.starts_at is None or at >= self.starts_at) and (
            self.ends_at is None or at < self.ends_at
        )


@dataclass(frozen=True)
class AuditEntry:
    campaign_id: str
    action: str  # created, edited, tested, promoted, stopped
    from_state: CampaignState | None
    to_state: CampaignState
    actor: str
    at: datetime
    note: str = ""


@dataclass(frozen=True)
class TestResult:
    """A dry run against live data: how many customers each outcome would get, and a sample of them."""

    tested_at: datetime
    counts: Mapping[Outcome, int]
    sample: tuple[tuple[str, Outcome], ...] = ()

    @property
    def evaluated(self) -> int:
        return sum(self.counts.values())

    def count(self, outcome: Outcome) -> int:
        return self.counts.get(outcome, 0)


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    trigger: Trigger
    channel: str
    template_id: str
    schedule: Schedule = field(default_factory=Schedule)
    segment_id: str = ""  # for SEGMENT_ENTERED
    control_percent: int = 10
    frequency_cap: timedelta | None = None  # None: once per customer, ever
    trigger_tiers: frozenset[str] = frozenset()  # value tiers that count as high value (HIGH_VALUE_COMPLAINT)
    lapse_factor: float = 1.5  # LAPSED: overdue when the gap exceeds this many times the usual one
    state: CampaignState = CampaignState.DRAFT
    test: TestResult | None = None

    @property
    def purpose(self) -> Purpose:
        if self.trigger is Trigger.HIGH_VALUE_COMPLAINT:
            return Purpose.ESCALATION
        return Purpose.SERVICE if self.trigger in SERVICE_TRIGGERS else Purpose.MARKETING


def define(
    campaign_id: str,
    name: str,
    trigger: Trigger | None,
    channel: str,
    template_id: str,
    *,
    schedule: Schedule | None = None,
    segment_id: str = "",
    control_percent: int = 10,
    frequency_cap: timedelta | None = None,
    trigger_tiers: Iterable[str] = (),
    lapse_factor: float = 1.5,
    prefix: str = "campaign",
) -> Campaign:
    """A draft campaign, or InvalidArgument naming every bad field (``campaign.<field>``)."""
    v = Violations()
    v.text(f"{prefix}.name", name, required=True)
    v.text(f"{prefix}.template_id", template_id, required=True)
    if trigger is None:
        v.add(f"{prefix}.trigger", "required")
    if channel not in CHANNELS:
        v.add(f"{prefix}.channel", f"{channel or 'nothing'} is not one of {', '.join(CHANNELS)}")
    if trigger is Trigger.SEGMENT_ENTERED and not segment_id:
        v.add(f"{prefix}.segment_id", "required for a segment campaign")
    if trigger is not Trigger.SEGMENT_ENTERED and segment_id:
        v.add(f"{prefix}.segment_id", "only a segment campaign names a segment")
    tiers = frozenset(t.strip().upper() for t in trigger_tiers)
    if trigger is Trigger.HIGH_VALUE_COMPLAINT and not tiers:
        v.add(f"{prefix}.trigger_tiers", 'required: which value tiers count as high value, e.g. ["A"]')
    if tiers - set(VALUE_TIERS):
        v.add(f"{prefix}.trigger_tiers", f"{sorted(tiers - set(VALUE_TIERS))} are not value tiers (A, B, C)")
    if not 0 <= control_percent <= MAX_CONTROL_PERCENT:
        v.add(f"{prefix}.control_percent", f"must be between 0 and {MAX_CONTROL_PERCENT}")
    if trigger in SERVICE_TRIGGERS and control_percent:
        v.add(
            f"{prefix}.control_percent", "must be 0: a service message is owed to every customer it concerns"
        )
    if trigger in SERVICE_TRIGGERS and frequency_cap is not None:
        v.add(f"{prefix}.frequency_cap", "leave it out: a service message answers every order or change")
    if frequency_cap is not None and frequency_cap <= timedelta(0):
        v.add(f"{prefix}.frequency_cap", "must be positive (leave it out for once per customer)")
    if not 1.0 <= lapse_factor <= 10.0:
        v.add(f"{prefix}.lapse_factor", "must be between 1 and 10")
    sched = schedule or Schedule()
    if sched.starts_at and sched.ends_at and sched.ends_at <= sched.starts_at:
        v.add(f"{prefix}.schedule.ends_at", "must be after starts_at")
    if sched.delay < timedelta(0):
        v.add(f"{prefix}.schedule.delay", "must not be negative")
    if v:
        raise InvalidArgument.many(v.items)
    assert trigger is not None
    return Campaign(
        campaign_id,
        name.strip(),
        trigger,
        channel,
        template_id.strip(),
        sched,
        segment_id,
        control_percent,
        frequency_cap,
        tiers,
        lapse_factor,
    )


# ---------------------------------------------------------------- lifecycle


def created(campaign: Campaign, actor: str, at: datetime) -> AuditEntry:
    return AuditEntry(campaign.campaign_id, "created", None, CampaignState.DRAFT, actor, at)


def edit(campaign: Campaign, revised: Campaign, actor: str, at: datetime) -> tuple[Campaign, AuditEntry]:
    """Change a draft or a tested campaign; a tested one goes back to draft and must be tested again."""
    if campaign.state not in (CampaignState.DRAFT, CampaignState.TESTING):
        raise FailedPrecondition(
            f"campaign {campaign.campaign_id} is {campaign.state.name}; stop it and define a new one"
        )
    changed = replace(revised, campaign_id=campaign.campaign_id, state=CampaignState.DRAFT, test=None)
    return changed, AuditEntry(campaign.campaign_id, "edited", campaign.state, CampaignState.DRAFT, actor, at)


def record_test(campaign: Campaign, result: TestResult, actor: str) -> tuple[Campaign, AuditEntry]:
    if campaign.state not in (CampaignState.DRAFT, CampaignState.TESTING):
        raise FailedPrecondition(
            f"campaign {campaign.campaign_id} is {campaign.state.name}; only a draft is tested"
        )
    note = ", ".join(f"{o.name.lower()} {n}" for o, n in sorted(result.counts.items()))
    tested = replace(campaign, state=CampaignState.TESTING, test=result)
    entry = AuditEntry(
        campaign.campaign_id,
        "tested",
        campaign.state,
        CampaignState.TESTING,
        actor,
        result.tested_at,
        f"{result.evaluated} customers: {note or 'none'}",
    )
    return tested, entry


def promote(campaign: Campaign, actor: str, at: datetime) -> tuple[Campaign, AuditEntry]:
    """To production: only a campaign whose current definition has been tested."""
    if campaign.state is not CampaignState.TESTING or campaign.test is None:
        raise FailedPrecondition(
            f"campaign {campaign.campaign_id} is {campaign.state.name}; test it before promoting it"
        )
    promoted = replace(campaign, state=CampaignState.PRODUCTION)
    return promoted, AuditEntry(
        campaign.campaign_id, "promoted", CampaignState.TESTING, CampaignState.PRODUCTION, actor, at
    )


def stop(campaign: Campaign, actor: str, at: datetime, reason: str = "") -> tuple[Campaign, AuditEntry]:
    if campaign.state is CampaignState.STOPPED:
        raise FailedPrecondition(f"campaign {campaign.campaign_id} is already stopped")
    stopped = replace(campaign, state=CampaignState.STOPPED)
    return stopped, AuditEntry(
        campaign.campaign_id, "stopped", campaign.state, CampaignState.STOPPED, actor, at, reason
    )


# ---------------------------------------------------------------- triggers


@dataclass(frozen=True)
class Occurrence:
    """Something that happened to a customer that a campaign may answer."""

    trigger: Trigger
    customer_id: str
    at: datetime
    reference: str = ""  # the cart, order, case or segment version it is about: one message per reference
    segment_id: str = ""
    value_tier: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)  # for the template: cart total, order id, ...


def answers(campaign: Campaign, occurrence: Occurrence) -> bool:
    """Whether ``campaign`` is triggered by ``occurrence`` (whatever its state)."""
    if campaign.trigger is not occurrence.trigger:
        return False
    if campaign.trigger is Trigger.SEGMENT_ENTERED:
        return campaign.segment_id == occurrence.segment_id
    if campaign.trigger is Trigger.HIGH_VALUE_COMPLAINT:
        return occurrence.value_tier.upper() in campaign.trigger_tiers
    return True


def lapsed(order_dates: Sequence[date], today: date, factor: float, min_orders: int = 2) -> bool:
    """Overdue against the customer's own rhythm: the gap since the last order over ``factor`` times usual.

    The usual gap is the mean of the gaps between their orders; a customer with fewer than ``min_orders``
    orders has no rhythm yet.
    """
    days = sorted(set(order_dates))
    if len(days) < max(min_orders, 2):
        return False
    usual = (days[-1] - days[0]).days / (len(days) - 1)
    return (today - days[-1]).days > factor * usual


def birthday_on(birth: date, today: date) -> bool:
    """Whether ``today`` is the birthday; one born on 29 February celebrates on the 28th in other years."""
    if (birth.month, birth.day) == (2, 29) and not _leap(today.year):
        return (today.month, today.day) == (2, 28)
    return (birth.month, birth.day) == (today.month, today.day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def tier_went_up(before: str, after: str) -> bool:
    """A → B → C is down; C → B or anything → A is up. An unknown tier is below C."""

    def rank(t: str) -> int:
        t = t.upper()
        return VALUE_TIERS.index(t) if t in VALUE_TIERS else len(VALUE_TIERS)

    return rank(after) < rank(before)


# ---------------------------------------------------------------- eligibility


@dataclass(frozen=True)
class Contact:
    """What the context knows about reaching a customer, learnt from events only."""

    customer_id: str
    consents: frozenset[str] = frozenset()  # channels with marketing consent GRANTED
    suppressed: bool = False  # contact suppression from the service requests context
    open_complaints: int = 0
    last_decided_at: datetime | None = None  # this campaign's last SEND or CONTROL decision for them


@dataclass(frozen=True)
class Decision:
    customer_id: str
    outcome: Outcome
    reason: str


def in_control_group(campaign_id: str, customer_id: str, percent: int) -> bool:
    """Deterministic: a customer is on the same side of the same campaign, on every replica and replay."""
    digest = hashlib.sha256(f"{campaign_id}\x00{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < percent * 100


def no_sales_pitch(contact: Contact) -> tuple[Outcome, str] | None:
    """Why the customer must not be approached with a sales pitch now (an open complaint, contact
    suppression), or None: marketing campaigns and suggestions alike hold off."""
    if contact.open_complaints > 0:
        return Outcome.OPEN_COMPLAINT, f"{contact.open_complaints} open complaint(s): no sales pitch"
    if contact.suppressed:
        return Outcome.SUPPRESSED, "contact suppressed"
    return None


def decide(campaign: Campaign, contact: Contact, at: datetime, *, testing: bool = False) -> Decision:
    """Send, hold back as control, or refuse, with the reason in words.

    Consent, suppression and an open complaint come before the control split, so the control group is
    drawn only from customers who could have been sent the message and the lift compares like with like.
    An escalation alerts staff rather than the customer: consent and complaints do not hold it back.
    """
    cid = contact.customer_id
    running = campaign.state is CampaignState.PRODUCTION or (
        testing and campaign.state is not CampaignState.STOPPED
    )
    if not running:
        return Decision(cid, Outcome.NOT_RUNNING, f"campaign is {campaign.state.name.lower()}")
    if not campaign.schedule.open_at(at):
        return Decision(cid, Outcome.OUTSIDE_SCHEDULE, "outside the campaign's schedule")
    if (
        campaign.purpose is not Purpose.SERVICE
        and contact.last_decided_at is not None
        and (campaign.frequency_cap is None or at - contact.last_decided_at < campaign.frequency_cap)
    ):
        cap = (
            "once per customer"
            if campaign.frequency_cap is None
            else f"once in {campaign.frequency_cap.days} days"
        )
        return Decision(cid, Outcome.FREQUENCY_CAP, f"already reached by this campaign ({cap})")
    if campaign.purpose is Purpose.MARKETING:
        held = no_sales_pitch(contact)
        if held is not None:
            return Decision(cid, *held)
        if campaign.channel not in contact.consents:
            return Decision(cid, Outcome.NO_CONSENT, f"no marketing consent for {campaign.channel}")
    if campaign.control_percent and in_control_group(campaign.campaign_id, cid, campaign.control_percent):
        return Decision(cid, Outcome.CONTROL, f"control group ({campaign.control_percent}%)")
    return Decision(cid, Outcome.SEND, "eligible")


def dry_run(
    campaign: Campaign, contacts: Iterable[Contact], at: datetime, sample_size: int = 10
) -> TestResult:
    """Decide for each candidate without requesting anything: the counts and a sample a marketer can check."""
    counts: Counter[Outcome] = Counter()
    sample: list[tuple[str, Outcome]] = []
    for contact in contacts:
        decision = decide(campaign, contact, at, testing=True)
        counts[decision.outcome] += 1
        if len(sample) < sample_size:
            sample.append((contact.customer_id, decision.outcome))
    return TestResult(at, dict(counts), tuple(sample))


@dataclass(frozen=True)
class MessageRequest:
    """What ``CampaignMessageRequested`` carries to delivery systems."""

    message_id: str
    campaign_id: str
    customer_id: str
    channel: str
    template_id: str
    purpose: Purpose
    trigger: Trigger
    reference: str
    send_after: datetime
    variables: Mapping[str, str]


def message_for(campaign: Campaign, occurrence: Occurrence) -> MessageRequest:
    """The request, with an id the same campaign, customer and reference always give (replays repeat it)."""
    key = f"{campaign.campaign_id}/{occurrence.customer_id}/{occurrence.reference}"
    return MessageRequest(
        str(uuid.uuid5(_MESSAGE_IDS, key)),
        campaign.campaign_id,
        occurrence.customer_id,
        campaign.channel,
        campaign.template_id,
        campaign.purpose,
        occurrence.trigger,
        occurrence.reference,
        occurrence.at + campaign.schedule.delay,
        dict(occurrence.variables),
    )


# ---------------------------------------------------------------- responses and lift


class Response(enum.IntEnum):
    """What delivery systems and orders report back; numbered as ``MessageResponse`` in the API."""

    DELIVERED = 1
    OPENED = 2
    CLICKED = 3
    BOUGHT = 4
    UNSUBSCRIBED = 5


def attributable(decided_at: datetime, ordered_at: datetime, window: timedelta = DEFAULT_ATTRIBUTION) -> bool:
    """An order counts for a send or a control decision when it follows it within the attribution window."""
    return decided_at <= ordered_at < decided_at + window


@dataclass(frozen=True)
class Report:
    sent: int
    control: int
    opened: int
    bought_sent: int
    bought_control: int
    held_back: Mapping[Outcome, int] = field(default_factory=dict)

    @property
    def open_rate(self) -> float | None:
        return self.opened / self.sent if self.sent else None

    @property
    def conversion_sent(self) -> float | None:
        return self.bought_sent / self.sent if self.sent else None

    @property
    def conversion_control(self) -> float | None:
        return self.bought_control / self.control if self.control else None

    @property
    def uplift(self) -> float | None:
        """Percentage points more of those who got the message bought than of the control group."""
        s, c = self.conversion_sent, self.conversion_control
        return None if s is None or c is None else s - c

    @property
    def lift(self) -> float | None:
        """Relative: (sent rate - control rate) / control rate; None while the control bought nothing."""
        s, c = self.conversion_sent, self.conversion_control
        return None if s is None or not c else (s - c) / c

    @property
    def z_score(self) -> float | None:
        """Two-proportion z statistic of the difference; |z| > 1.96 is unlikely by chance (5%)."""
        if not self.sent or not self.control:
            return None
        pooled = (self.bought_sent + self.bought_control) / (self.sent + self.control)
        se = math.sqrt(pooled * (1 - pooled) * (1 / self.sent + 1 / self.control))
        uplift = self.uplift
        return None if se == 0 or uplift is None else uplift / se
