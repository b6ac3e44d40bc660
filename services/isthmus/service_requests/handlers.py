"""Use cases: each takes a command and a unit of work, changes state, records events, commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from google.protobuf.message import Message

from isthmus.kernel.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    key_reused,
)
from isthmus.kernel.idempotency import first_difference
from isthmus.kernel.ids import new_uuid
from isthmus.kernel.paging import decode_token, page_of
from isthmus.platform import requests
from isthmus.service_requests import messages
from isthmus.service_requests.domain import (
    SYSTEM,
    Actor,
    Assignee,
    Channel,
    Direction,
    Interaction,
    Kind,
    Priority,
    ServiceRequest,
    Shipment,
    State,
)
from isthmus.service_requests.settings import ServiceRequestSettings
from isthmus.service_requests.store import CaseFilter, Suppression, UnitOfWork
from isthmus_client.api.events.v1 import service_requests_pb2 as ev
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.errors import ORDER_NOT_SHIPPED, ORDER_OF_ANOTHER_CUSTOMER

# A write's answer: the resource (its message when replayed or written in a batch, else the domain
# object) and whether it repeats an earlier request.
Answer = tuple[Message | ServiceRequest | Interaction, bool]

# Clients' clocks drift; an instant this far ahead of ours is still "now", further is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
SUPPRESSION_REASON = "open complaint"


@dataclass(frozen=True)
class Env:
    settings: ServiceRequestSettings
    now: datetime


# -- commands ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenServiceRequest:
    customer_id: str
    channel: Channel
    kind: Kind
    subject: str
    priority: Priority = Priority.NORMAL
    order_id: str = ""
    order_line_id: str = ""
    category: str = ""
    sub_category: str = ""
    description: str = ""
    reason_codes: tuple[str, ...] = ()
    assignee: Assignee = field(default_factory=Assignee)
    source_system: str = ""
    external_id: str = ""
    actor: Actor = field(default_factory=Actor)
    opened_at: datetime | None = None


@dataclass(frozen=True)
class AssignServiceRequest:
    service_request_id: str
    assignee: Assignee
    expected_version: int = 0
    note: str = ""
    actor: Actor = field(default_factory=Actor)


@dataclass(frozen=True)
class ChangeServiceRequestState:
    service_request_id: str
    target: State
    expected_version: int = 0
    resolution_code: str = ""
    note: str = ""
    actor: Actor = field(default_factory=Actor)
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class LogInteraction:
    direction: Direction
    channel: Channel
    service_request_id: str = ""
    customer_id: str = ""
    author: Actor = field(default_factory=Actor)
    occurred_at: datetime | None = None
    subject: str = ""
    body: str = ""
    in_reply_to_id: str = ""
    corrects_id: str = ""
    duration: timedelta | None = None
    source_system: str = ""
    external_id: str = ""


# -- helpers ----------------------------------------------------------------------------------------


def _same_source(first: dict[str, Any], given: dict[str, Any], what: str, prefix: str = "") -> None:
    """A source key sent again names the same case or interaction: ``ALREADY_EXISTS`` naming the first
    field that differs from what the first request stated (house rule 4)."""
    diff = first_difference(first, given)
    if diff is not None:
        raise key_reused(f"{what} exists with a different {prefix}{diff}", f"{prefix}{diff}")


def _case_terms(x: OpenServiceRequest | ServiceRequest) -> dict[str, Any]:
    return {
        "channel": x.channel.value,
        "kind": x.kind.value,
        "subject": x.subject,
        "order_id": x.order_id,
        "order_line_id": x.order_line_id,
        "category": x.category,
        "sub_category": x.sub_category,
        "description": x.description,
        "reason_codes": list(x.reason_codes),
    }


def _entry_terms(x: LogInteraction | Interaction, occurred_at: datetime | None) -> dict[str, Any]:
    return {
        "direction": x.direction.value,
        "channel": x.channel.value,
        "subject": x.subject,
        "body": x.body,
        "in_reply_to_id": x.in_reply_to_id,
        "corrects_id": x.corrects_id,
        "duration": None if x.duration is None else x.duration.total_seconds(),
        "occur_time": None if occurred_at is None else occurred_at.timestamp(),
    }


def _instant(value: datetime | None, env: Env, field_name: str) -> datetime:
    if value is None:
        return env.now
    if value > env.now + CLOCK_SKEW:
        raise InvalidArgument(field_name, "is in the future")
    return value


async def _load(uow: UnitOfWork, case_id: str) -> ServiceRequest:
    sr = await uow.repo.get(case_id)
    if sr is None:
        raise NotFound(f"no service request {case_id!r}")
    return sr


async def _internal_note(
    uow: UnitOfWork, sr: ServiceRequest, note: str, author: Actor, at: datetime, env: Env
) -> None:
    if not note:
        return
    entry = Interaction(
        id=new_uuid(),
        direction=Direction.INTERNAL,
        channel=Channel.INTERNAL,
        occurred_at=at,
        create_time=env.now,
        service_request_id=sr.id,
        customer_id=sr.customer_id,
        author=author,
        body=note,
    )
    await uow.repo.add_interactions(entry)
    uow.emit(ev.InteractionLogged(interaction=messages.interaction(entry)), sr.id)


def _status_events(uow: UnitOfWork, sr: ServiceRequest, previous: State, actor: Actor, at: datetime) -> None:
    snapshot = messages.service_request(sr)
    uow.emit(
        ev.ServiceRequestStateChanged(
            service_request=snapshot,
            from_state=messages.state(previous),
            to_state=messages.state(sr.state),
            actor=messages.actor(actor),
            occur_time=messages.ts(at),
        ),
        sr.id,
    )
    if sr.state is State.RESOLVED:
        uow.emit(ev.ServiceRequestResolved(service_request=snapshot, resolve_time=messages.ts(at)), sr.id)
    elif sr.state is State.CLOSED:
        uow.emit(ev.ServiceRequestClosed(service_request=snapshot, close_time=messages.ts(at)), sr.id)


async def refresh_suppressions(uow: UnitOfWork, customer_ids: Iterable[str], now: datetime) -> None:
    """Keeps each customer's contact suppression in step with their open complaints."""
    wanted = list(dict.fromkeys(customer_ids))  # once each, in the order given (the events' order)
    if not wanted:
        return
    # The rows are locked first: a concurrent refresh for the same customer waits, then counts the
    # complaints with the other's change committed, so the last writer never drops an open one.
    current = await uow.repo.lock_suppressions(wanted)
    open_ids = await uow.repo.open_complaint_ids(wanted)
    changed: list[Suppression] = []
    new: list[Suppression] = []
    for customer_id in wanted:
        ids, was = open_ids.get(customer_id, ()), current.get(customer_id)
        was_on = was is not None and was.suppressed
        if (was is None and not ids) or (
            was is not None and was.service_request_ids == ids and was_on == bool(ids)
        ):
            continue
        since = (was.since if was_on and was else now) if ids else None
        reason = SUPPRESSION_REASON if ids else ""
        (new if was is None else changed).append(Suppression(customer_id, bool(ids), reason, ids, since))
        if was_on != bool(ids):
            uow.emit(
                ev.ContactSuppressionChanged(
                    customer_id=customer_id,
                    suppressed=bool(ids),
                    reason=reason or "complaints resolved",
                    service_request_ids=ids,
                    change_time=messages.ts(now),
                ),
                customer_id,
            )
    await uow.repo.put_suppressions(changed, new, now)


# -- use cases --------------------------------------------------------------------------------------


def batchable_open(cmd: OpenServiceRequest) -> bool:
    """Whether the command can share a transaction with others (no earlier case to look up by its
    source key; a ``request_id`` is looked up for the whole batch)."""
    return not (cmd.source_system and cmd.external_id)


def _new_case(
    cmd: OpenServiceRequest,
    uow: UnitOfWork,
    env: Env,
    tier: str | None = None,
    shipments: dict[str, Shipment] | None = None,
) -> ServiceRequest:
    opened_at = _instant(cmd.opened_at, env, "open_time")
    sr = ServiceRequest.open(
        id=new_uuid(),
        customer_id=cmd.customer_id,
        opened_at=opened_at,
        priority=cmd.priority,
        # The customer's value tier (from the value service's events) may name faster targets.
        target=env.settings.target(cmd.priority, tier),
        calendar=env.settings.calendar,
        channel=cmd.channel,
        kind=cmd.kind,
        subject=cmd.subject,
        order_id=cmd.order_id,
        order_line_id=cmd.order_line_id,
        category=cmd.category,
        sub_category=cmd.sub_category,
        description=cmd.description,
        reason_codes=list(cmd.reason_codes),
        source_system=cmd.source_system,
        external_id=cmd.external_id,
        opened_by=cmd.actor,
    )
    sr.update_time = env.now
    if sr.kind is Kind.TRACER:
        sr.shipment = _traced(cmd, shipments or {})
    message = messages.service_request(sr)
    uow.emit(ev.ServiceRequestOpened(service_request=message), sr.id)
    if sr.shipment is not None:
        tracer = ev.TracerIssued(service_request=message, order_id=sr.order_id, shipment=message.shipment)
        uow.emit(tracer, sr.id)
    if cmd.assignee:
        _assign(uow, sr, cmd.assignee, cmd.actor, env.now)
    return sr


def _traced(cmd: OpenServiceRequest, shipments: dict[str, Shipment]) -> Shipment:
    """The shipment a tracer traces: the order's, once the order service reported it shipped."""
    found = shipments.get(cmd.order_id)
    if found is None:
        raise FailedPrecondition(
            f"order_id: order {cmd.order_id} has not been reported shipped; a tracer needs its carrier"
            " and tracking number (open another kind of case until it ships)"
        ).because(ORDER_NOT_SHIPPED, field="order_id")
    return found


def _check_order(cmd: OpenServiceRequest, owners: dict[str, str]) -> None:
    """A case may name only an order of its own customer (as far as the order events told so far:
    an order not announced yet is taken on trust, since its OrderPlaced may still be on its way)."""
    owner = owners.get(cmd.order_id)
    if cmd.order_id and owner is not None and owner != cmd.customer_id:
        raise FailedPrecondition(
            f"order_id: order {cmd.order_id} is not an order of customer {cmd.customer_id}"
        ).because(ORDER_OF_ANOTHER_CUSTOMER, field="order_id")


async def open_or_replay(cmd: OpenServiceRequest, uow: UnitOfWork, env: Env) -> tuple[ServiceRequest, bool]:
    """The case opened, or the one an earlier request under the same source key opened; True for a
    replay."""
    if cmd.source_system and cmd.external_id:
        existing = await uow.repo.get_by_source(cmd.source_system, cmd.external_id)
        if existing is not None:
            what = f"case {cmd.source_system}/{cmd.external_id}"
            _same_source(_case_terms(existing), _case_terms(cmd), what)
            return existing, True
    if cmd.order_id:
        _check_order(cmd, await uow.repo.order_owners([cmd.order_id]))
    tiers = await uow.repo.tiers_of([cmd.customer_id]) if env.settings.sla_by_tier else {}
    shipments = await uow.repo.shipments([cmd.order_id]) if cmd.kind is Kind.TRACER else {}
    sr = _new_case(cmd, uow, env, tiers.get(cmd.customer_id), shipments)
    await uow.repo.add(sr)
    if sr.kind is Kind.COMPLAINT:
        await refresh_suppressions(uow, [sr.customer_id], env.now)
    await uow.commit(messages.service_request(sr))
    return sr, False


async def open_service_requests(
    items: Sequence[tuple[OpenServiceRequest, Message | None]], uow: UnitOfWork, env: Env
) -> list[Answer | BaseException]:
    """Opens several cases in one transaction (see :func:`batchable_open`), each command with the
    request it came in: their ``request_id`` s looked up in one query, one INSERT for the cases, one
    suppression refresh for their customers, one INSERT of the answers to remember. A command the
    domain refuses fails alone; one that repeats an earlier request gets that request's case back."""
    answers = await requests.BatchAnswers.read(uow.session, pb.ServiceRequest, [r for _, r in items])
    cmds = [cmd for cmd, _ in items]
    owners = await uow.repo.order_owners([c.order_id for c in cmds if c.order_id])
    tiers = await uow.repo.tiers_of([c.customer_id for c in cmds]) if env.settings.sla_by_tier else {}
    traced = [c.order_id for c in cmds if c.kind is Kind.TRACER]
    shipments = await uow.repo.shipments(traced) if traced else {}
    outcomes: list[Answer | BaseException] = []
    opened: list[ServiceRequest] = []
    for i, cmd in enumerate(cmds):
        assert batchable_open(cmd), "source-keyed requests run alone"
        if (replayed := answers.replayed(i)) is not None:
            outcomes.append(replayed)
            continue
        recorded = len(uow.events)
        try:
            _check_order(cmd, owners)
            sr = _new_case(cmd, uow, env, tiers.get(cmd.customer_id), shipments)
        except DomainError as exc:
            del uow.events[recorded:]  # nothing of a refused command is published
            outcomes.append(exc)
            continue
        message = messages.service_request(sr)
        answers.answered(i, message)
        opened.append(sr)
        outcomes.append((message, False))
    await uow.repo.add(*opened)
    await refresh_suppressions(uow, [sr.customer_id for sr in opened if sr.kind is Kind.COMPLAINT], env.now)
    await answers.remember()
    await uow.commit()
    return outcomes


def _assign(uow: UnitOfWork, sr: ServiceRequest, assignee: Assignee, actor: Actor, now: datetime) -> None:
    previous, moved_from = sr.assign(assignee, now)
    snapshot = messages.service_request(sr)
    uow.emit(
        ev.ServiceRequestAssigned(
            service_request=snapshot,
            previous_assignee=messages.assignee(previous),
            actor=messages.actor(actor),
        ),
        sr.id,
    )
    if moved_from is not None:
        _status_events(uow, sr, moved_from, actor, now)


async def assign_service_request(cmd: AssignServiceRequest, uow: UnitOfWork, env: Env) -> ServiceRequest:
    sr = await _load(uow, cmd.service_request_id)
    sr.check_version(cmd.expected_version)
    _assign(uow, sr, cmd.assignee, cmd.actor, env.now)
    await uow.repo.save(sr)
    await _internal_note(uow, sr, cmd.note, cmd.actor, env.now, env)
    await uow.commit(messages.service_request(sr))
    return sr


async def change_service_request_status(
    cmd: ChangeServiceRequestState, uow: UnitOfWork, env: Env
) -> ServiceRequest:
    sr = await _load(uow, cmd.service_request_id)
    sr.check_version(cmd.expected_version)
    at = _instant(cmd.occurred_at, env, "occur_time")
    previous = sr.change_state(
        cmd.target,
        at,
        env.settings.calendar,
        reopen_window=env.settings.reopen_window,
        resolution_code=cmd.resolution_code,
        resolution_note=cmd.note if cmd.target is State.RESOLVED else "",
    )
    await uow.repo.save(sr)
    _status_events(uow, sr, previous, cmd.actor, at)
    await _internal_note(uow, sr, cmd.note, cmd.actor, at, env)
    if sr.kind is Kind.COMPLAINT:
        await refresh_suppressions(uow, [sr.customer_id], env.now)
    await uow.commit(messages.service_request(sr))
    return sr


def batchable_log(cmd: LogInteraction) -> bool:
    """Whether the command can share a transaction with others (no earlier entry to look up by its
    source key or to thread under; a ``request_id`` is looked up for the whole batch)."""
    return not ((cmd.source_system and cmd.external_id) or cmd.in_reply_to_id or cmd.corrects_id)


def _new_entry(cmd: LogInteraction, env: Env) -> Interaction:
    return Interaction(
        id=new_uuid(),
        direction=cmd.direction,
        channel=cmd.channel,
        occurred_at=_instant(cmd.occurred_at, env, "interaction.occur_time"),
        create_time=env.now,
        customer_id=cmd.customer_id,
        author=cmd.author,
        subject=cmd.subject,
        body=cmd.body,
        in_reply_to_id=cmd.in_reply_to_id,
        corrects_id=cmd.corrects_id,
        duration=cmd.duration,
        source_system=cmd.source_system,
        external_id=cmd.external_id,
    )


def _file(uow: UnitOfWork, entry: Interaction, claimed: str, sr: ServiceRequest | None, env: Env) -> bool:
    """Files the entry under its case (or as an orphan); True if the case changed and needs saving."""
    changed = False
    if claimed and sr is None:
        # Never dropped: kept unlinked, with the id it claimed, for someone to sort out.
        entry.orphaned = True
        entry.claimed_service_request_id = claimed
    elif sr is not None:
        entry.service_request_id = sr.id
        entry.customer_id = sr.customer_id  # the case follows merges; the caller's id may be stale
        changed = _apply_to_case(uow, sr, entry, env)
    uow.emit(ev.InteractionLogged(interaction=messages.interaction(entry)), sr.id if sr else entry.id)
    return changed


async def log_or_replay(cmd: LogInteraction, uow: UnitOfWork, env: Env) -> tuple[Interaction, bool]:
    """The interaction logged, or the one an earlier request under the same source key logged; True
    for a replay."""
    repo = uow.repo
    if cmd.source_system and cmd.external_id:
        existing = await repo.get_interaction_by_source(cmd.source_system, cmd.external_id)
        if existing is not None:
            what = f"interaction {cmd.source_system}/{cmd.external_id}"
            given = _entry_terms(cmd, cmd.occurred_at or existing.occurred_at)
            _same_source(_entry_terms(existing, existing.occurred_at), given, what, "interaction.")
            return existing, True
    for name in ("in_reply_to_id", "corrects_id"):
        ref = getattr(cmd, name)
        if ref and await repo.get_interaction(ref) is None:
            raise InvalidArgument(f"interaction.{name}", f"names no interaction ({ref!r})")
    entry = await log_entry(cmd, uow, env)
    await uow.commit(messages.interaction(entry))
    return entry, False


async def log_entry(cmd: LogInteraction, uow: UnitOfWork, env: Env) -> Interaction:
    """A new interaction filed under its case (or as an orphan) and added, in ``uow``; not committed."""
    entry = _new_entry(cmd, env)
    sr = await uow.repo.get(cmd.service_request_id) if cmd.service_request_id else None
    if _file(uow, entry, cmd.service_request_id, sr, env):
        assert sr is not None
        await uow.repo.save(sr)
    await uow.repo.add_interactions(entry)
    return entry


async def log_interactions(
    items: Sequence[tuple[LogInteraction, Message | None]], uow: UnitOfWork, env: Env
) -> list[Answer | BaseException]:
    """Logs several interactions in one transaction (see :func:`batchable_log`), each command with the
    request it came in: their ``request_id`` s looked up and their cases read in one query each, the
    changed cases written in one UPDATE, the entries in one INSERT, the answers remembered in another.
    A command the domain refuses fails alone; one that repeats an earlier request gets that request's
    interaction back. A case another transaction changed meanwhile fails the whole batch (Conflict),
    which the group commit then runs command by command."""
    answers = await requests.BatchAnswers.read(uow.session, pb.Interaction, [r for _, r in items])
    cmds = [cmd for cmd, _ in items]
    cases = await uow.repo.get_many([c.service_request_id for c in cmds if c.service_request_id])
    outcomes: list[Answer | BaseException] = []
    logged: list[Interaction] = []
    changed: dict[str, ServiceRequest] = {}
    for i, cmd in enumerate(cmds):
        assert batchable_log(cmd), "source-keyed and threaded entries run alone"
        if (replayed := answers.replayed(i)) is not None:
            outcomes.append(replayed)
            continue
        try:
            entry = _new_entry(cmd, env)
        except DomainError as exc:
            outcomes.append(exc)
            continue
        sr = cases.get(cmd.service_request_id)
        if _file(uow, entry, cmd.service_request_id, sr, env):
            assert sr is not None
            changed[sr.id] = sr
        message = messages.interaction(entry)
        answers.answered(i, message)
        logged.append(entry)
        outcomes.append((message, False))
    await uow.repo.save_many(list(changed.values()))
    await uow.repo.add_interactions(*logged)
    await answers.remember()
    await uow.commit()
    return outcomes


def _apply_to_case(uow: UnitOfWork, sr: ServiceRequest, entry: Interaction, env: Env) -> bool:
    changed = False
    if entry.direction is Direction.OUTBOUND and sr.active:
        changed = sr.record_first_response(entry.occurred_at)
    if entry.direction is Direction.INBOUND and sr.state is State.PENDING_CUSTOMER:
        # The customer answered: the case is back with us and the SLA clock runs again.
        at = max(entry.occurred_at, sr.paused_since or entry.occurred_at)
        previous = sr.change_state(
            State.OPEN, at, env.settings.calendar, reopen_window=env.settings.reopen_window
        )
        _status_events(uow, sr, previous, SYSTEM, at)
        changed = True
    if changed:
        sr.update_time = env.now
    return changed


# -- queries ----------------------------------------------------------------------------------------


async def list_service_requests(
    flt: CaseFilter, size: int, token: str, uow: UnitOfWork, now: datetime
) -> tuple[list[ServiceRequest], str]:
    position = decode_token(token, flt)
    after = (position.instant("t"), position.text("i")) if position is not None else None
    found = await uow.repo.find(flt, now, size + 1, after)

    def after_it(last: ServiceRequest) -> dict[str, str]:
        key = last.next_due_at if flt.overdue_within is not None else last.opened_at
        assert key is not None
        return {"t": key.isoformat(), "i": last.id}

    return page_of(found, size, after_it, flt)


async def list_interactions(
    case_id: str, customer_id: str, orphaned: bool, size: int, token: str, uow: UnitOfWork
) -> tuple[list[Interaction], str]:
    filters = (case_id, customer_id, orphaned)
    position = decode_token(token, filters)
    after = (position.instant("t"), position.text("i")) if position is not None else None
    found = await uow.repo.list_interactions(
        case_id=case_id, customer_id=customer_id, orphaned=orphaned, limit=size + 1, after=after
    )
    return page_of(found, size, lambda i: {"t": i.occurred_at.isoformat(), "i": i.id}, filters)


async def get_suppression(customer_id: str, uow: UnitOfWork) -> Suppression:
    found = await uow.repo.get_suppression(customer_id)
    return found or Suppression(customer_id, False, "", (), None)
