"""The case workflow: legal moves, illegal ones naming the current state, reopen and its window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from isthmus.kernel.errors import Conflict, FailedPrecondition, InvalidArgument
from isthmus.service_requests.calendar import BusinessCalendar
from isthmus.service_requests.domain import (
    Assignee,
    Channel,
    Kind,
    Priority,
    ServiceRequest,
    SlaTarget,
    State,
)

CAL = BusinessCalendar.default()
WINDOW = timedelta(days=14)
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # a Monday


def new_case() -> ServiceRequest:
    return ServiceRequest.open(
        id="sr-9", customer_id="c-9", opened_at=T0, priority=Priority.NORMAL,
        target=SlaTarget(timedelta(hours=4), timedelta(hours=24)), calendar=CAL,
        channel=Channel.EMAIL, kind=Kind.COMPLAINT, subject="wrong size",
    )  # fmt: skip


def move(sr: ServiceRequest, target: State, at: datetime, **kw: str) -> State:
    return sr.change_state(target, at, CAL, reopen_window=WINDOW, **kw)


def test_assigning_a_new_case_opens_it() -> None:
    sr = new_case()
    previous, moved_from = sr.assign(Assignee(queue="returns"), T0)
    assert (previous, moved_from, sr.state) == (Assignee(), State.NEW, State.OPEN)


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((), State.RESOLVED),
        ((State.OPEN,), State.CLOSED),
        ((State.OPEN, State.RESOLVED), State.PENDING_CUSTOMER),
    ],
)
def test_illegal_transition_is_failed_precondition_naming_the_current_state(
    path: tuple[State, ...], target: State
) -> None:
    sr = new_case()
    for step in path:
        move(sr, step, T0, resolution_code="FIXED")
    with pytest.raises(FailedPrecondition, match=f"is {sr.state}: cannot move to {target}"):
        move(sr, target, T0, resolution_code="FIXED")


def test_resolving_needs_a_resolution_code() -> None:
    sr = new_case()
    move(sr, State.OPEN, T0)
    with pytest.raises(InvalidArgument) as caught:
        move(sr, State.RESOLVED, T0)
    assert caught.value.field == "resolution_code"


def test_closed_case_reopens_within_the_window_only() -> None:
    sr = new_case()
    for target in (State.OPEN, State.RESOLVED, State.CLOSED):
        move(sr, target, T0, resolution_code="REFUNDED")
    move(sr, State.OPEN, T0 + WINDOW - timedelta(minutes=1))
    assert (sr.state, sr.reopen_count, sr.resolved_at) == (State.OPEN, 1, None)
    for target in (State.RESOLVED, State.CLOSED):
        move(sr, target, T0 + WINDOW, resolution_code="REFUNDED")
    with pytest.raises(FailedPrecondition, match=r"CLOSED since .* beyond the reopen window"):
        move(sr, State.OPEN, T0 + 2 * WINDOW + timedelta(seconds=1))


def test_stale_expected_version_is_a_conflict() -> None:
    sr = new_case()
    sr.check_version(1)
    sr.check_version(0)  # zero: the caller does not ask for a check
    with pytest.raises(Conflict, match="version 1, not 3"):
        sr.check_version(3)


def test_open_complaint_counts_until_resolved() -> None:
    sr = new_case()
    assert sr.is_open_complaint
    move(sr, State.OPEN, T0)
    move(sr, State.RESOLVED, T0, resolution_code="APOLOGISED")
    assert not sr.is_open_complaint
    move(sr, State.OPEN, T0)
    assert sr.is_open_complaint
