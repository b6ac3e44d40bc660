"""Agent scripts without I/O: a version's checks, placeholders, skipping, going back, the transcript."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from isthmus.kernel.errors import FailedPrecondition, InvalidArgument
from isthmus.kernel.violations import Violations
from isthmus.service_requests.domain import Actor, Channel, Direction
from isthmus.service_requests.scripts import (
    MAX_ENTRIES,
    OPEN_COMPLAINT,
    Answer,
    EntryKind,
    Facts,
    Run,
    RunState,
    Step,
    Version,
    check_steps,
)

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)

RETENTION = (
    Step("greet", "Good morning {customer_name}, thank you for calling.", next_step_id="reason"),
    Step(
        "reason",
        "What can I do for you?",
        answers=(
            Answer("complaint", "A complaint", "listen"),
            Answer("order", "An order", "vip"),
            Answer("nothing", "Nothing, thanks"),
        ),
    ),
    Step("listen", "Let me note what happened.", free_text=True, next_step_id="vip"),
    Step("vip", "As a tier {tier} customer you have a personal adviser.", tiers=("A",), next_step_id="offer"),
    Step(
        "offer",
        "May I tell you about this week's offer?",
        answers=(Answer("yes"), Answer("no")),
        pitch=True,
        next_step_id="close",
    ),
    Step("close", "Anything else? You said: {answer:reason}. {{ref}}"),
)


def faults(steps: tuple[Step, ...]) -> list[tuple[str, str]]:
    v = Violations()
    check_steps(v, steps)
    return v.items


ROE = Facts("Ms Roe", "B", 0)


def run_of(steps: tuple[Step, ...], facts: Facts = ROE) -> tuple[Run, Version]:
    version = Version(1, steps, Actor(), NOW)
    run = Run("r1", "s1", "Retention", 1, "c1", facts, Actor(), Channel.PHONE, Direction.INBOUND, NOW)
    run.begin(version, NOW)
    return run, version


def test_a_sound_script_passes() -> None:
    assert faults(RETENTION) == []


def test_each_fault_is_named_by_its_field() -> None:
    steps = (
        Step("start", "Hello {name}", answers=(Answer("a", next_step_id="nowhere"), Answer("a"))),
        Step("Bad Id", ""),
        Step("start", "Twice", tiers=("Z",)),
        Step("both", "x", answers=(Answer("y"),), free_text=True),
    )
    found = dict(faults(steps))
    assert "{name} is no placeholder" in found["steps[0].prompt"]
    assert "names no step" in found["steps[0].answers[0].next_step_id"]
    assert "repeats answers[0]" in found["steps[0].answers[1].value"]
    assert "lower-case" in found["steps[1].step_id"]
    assert found["steps[1].prompt"] == "required"
    assert "repeats steps[0]" in found["steps[2].step_id"]
    assert "'Z' is not a value tier" in found["steps[2].tiers[0]"]
    assert "not both" in found["steps[3].free_text"]


def test_a_step_never_reached_is_refused() -> None:
    steps = (Step("a", "A"), Step("b", "B"))
    assert faults(steps) == [("steps[1].step_id", "step 'b' is never reached from the first step")]


def test_a_script_that_cannot_end_is_refused() -> None:
    steps = (
        Step("a", "A", answers=(Answer("x", next_step_id="b"), Answer("y"))),
        Step("b", "B", next_step_id="c"),
        Step("c", "C", next_step_id="b"),
    )
    assert faults(steps) == [
        ("steps[1].step_id", "from step 'b' the script never ends"),
        ("steps[2].step_id", "from step 'c' the script never ends"),
    ]


def test_a_circle_of_skipped_steps_is_refused() -> None:
    # Each has a way out by its answer, but a customer with a complaint skips both, for ever.
    steps = (
        Step("a", "A", answers=(Answer("y", end=True),), pitch=True, next_step_id="b"),
        Step("b", "B", answers=(Answer("y", end=True),), pitch=True, next_step_id="a"),
    )
    found = faults(steps)
    assert [f for f, _ in found] == ["steps[0].next_step_id", "steps[1].next_step_id"]


def test_an_answer_naming_no_step_leads_where_its_step_does() -> None:
    steps = (
        Step("a", "A", answers=(Answer("y"), Answer("n", next_step_id="c")), next_step_id="b"),
        Step("b", "B"),
        Step("c", "C"),
    )
    assert faults(steps) == []
    run, version = run_of(steps)
    run.answer(version, "a", "y", NOW)
    assert run.current_step == "b"


def test_an_answer_may_end_the_run_but_not_also_lead_on() -> None:
    steps = (
        Step("a", "A", answers=(Answer("bye", end=True), Answer("more")), next_step_id="b"),
        Step("b", "B"),
    )
    assert faults(steps) == []
    run, version = run_of(steps)
    run.answer(version, "a", "bye", NOW)
    assert run.state is RunState.COMPLETED
    both = (Step("a", "A", answers=(Answer("x", next_step_id="b", end=True),)), Step("b", "B"))
    assert [f for f, _ in faults(both)] == ["steps[0].answers[0].end"]


def test_placeholders_are_filled_and_braces_kept() -> None:
    run, version = run_of(RETENTION)
    run.answer(version, "greet", "", NOW)
    run.answer(version, "reason", "nothing", NOW)
    assert run.state is RunState.COMPLETED
    assert run.entries[0].prompt == "Good morning Ms Roe, thank you for calling."
    assert run.render(version.step("close").prompt) == "Anything else? You said: Nothing, thanks. {ref}"


def test_a_pitch_is_skipped_for_a_customer_with_an_open_complaint() -> None:
    run, version = run_of(RETENTION, Facts("Ms Roe", "B", open_complaints=1))
    run.answer(version, "greet", "", NOW)
    run.answer(version, "reason", "order", NOW)
    # vip is for tier A; offer is a pitch: both skipped, straight to the close.
    assert run.current_step == "close"
    skipped = [(e.step_id, e.reason) for e in run.entries if e.kind is EntryKind.SKIPPED]
    assert skipped == [("vip", "for value tiers A; the customer's is B"), ("offer", OPEN_COMPLAINT)]


def test_a_tier_a_customer_without_complaints_hears_both() -> None:
    run, version = run_of(RETENTION, Facts("Mr Doe", "A", 0))
    run.answer(version, "greet", "", NOW)
    run.answer(version, "reason", "order", NOW)
    assert run.current_step == "vip"
    run.answer(version, "vip", "", NOW)
    assert run.current_step == "offer"


def test_answers_are_checked_against_the_step_shown() -> None:
    run, version = run_of(RETENTION)
    with pytest.raises(FailedPrecondition, match="step_id: run r1 shows step 'greet'"):
        run.answer(version, "reason", "order", NOW)
    with pytest.raises(InvalidArgument, match="statement"):
        run.answer(version, "greet", "hello", NOW)
    run.answer(version, "greet", "", NOW)
    with pytest.raises(InvalidArgument) as caught:
        run.answer(version, "reason", "maybe", NOW)
    assert caught.value.field == "answer" and "'complaint', 'order', 'nothing'" in caught.value.message
    run.answer(version, "reason", "complaint", NOW)
    with pytest.raises(InvalidArgument, match="customer's words"):
        run.answer(version, "listen", "  ", NOW)


def test_going_back_takes_the_answer_back_and_forgets_the_skips_after_it() -> None:
    run, version = run_of(RETENTION, Facts("Ms Roe", "B", open_complaints=1))
    run.answer(version, "greet", "", NOW)
    run.answer(version, "reason", "order", NOW)
    run.back("close")
    assert run.current_step == "reason"
    assert [(e.step_id, e.kind) for e in run.entries] == [
        ("greet", EntryKind.ANSWERED),
        ("reason", EntryKind.TAKEN_BACK),
    ]
    assert run.answer_of("reason") == ""
    run.answer(version, "reason", "complaint", NOW)
    assert run.current_step == "listen"
    run.back("listen")
    run.back("reason")
    assert run.current_step == "greet"
    with pytest.raises(FailedPrecondition, match="no answer to go back to"):
        run.back("greet")


def test_a_retry_of_the_last_answer_is_told_apart() -> None:
    run, version = run_of(RETENTION)
    run.answer(version, "greet", "", NOW)
    assert run.answered_last("greet", "")
    assert not run.answered_last("greet", "other")
    assert not run.answered_last("reason", "order")


def test_a_run_that_loops_is_bounded() -> None:
    steps = (
        Step("more", "Anything else?", answers=(Answer("yes", next_step_id="more"), Answer("no", end=True))),
    )
    run, version = run_of(steps)
    for _ in range(MAX_ENTRIES):
        run.answer(version, "more", "yes", NOW)
    with pytest.raises(FailedPrecondition, match="abandon it"):
        run.answer(version, "more", "yes", NOW)
    run.abandon("went round", NOW)
    assert run.state is RunState.ABANDONED


def test_the_transcript_says_what_was_said_and_skipped() -> None:
    run, version = run_of(RETENTION, Facts("Ms Roe", "B", open_complaints=1))
    run.answer(version, "greet", "", NOW)
    run.answer(version, "reason", "complaint", NOW)
    run.answer(version, "listen", "The parcel came broken", NOW)
    run.abandon("the line dropped", NOW)
    assert run.transcript().splitlines() == [
        "[greet] Good morning Ms Roe, thank you for calling.",
        "[reason] What can I do for you?",
        "  -> A complaint",
        "[listen] Let me note what happened.",
        "  -> The parcel came broken",
        "[vip] skipped: for value tiers A; the customer's is B",
        f"[offer] skipped: {OPEN_COMPLAINT}",
        "Abandoned at [close]: the line dropped",
    ]


def test_erasure_keeps_the_path_and_drops_what_the_customer_said() -> None:
    run, version = run_of(RETENTION)
    run.answer(version, "greet", "", NOW)
    run.answer(version, "reason", "complaint", NOW)
    run.answer(version, "listen", "Call me at 0170 1234567", NOW)
    run.erase_personal_data("[erased]")
    assert run.facts.customer_name == "[erased]"
    assert [(e.step_id, e.prompt, e.answer) for e in run.entries] == [
        ("greet", "[erased]", ""),
        ("reason", "[erased]", "complaint"),
        ("listen", "[erased]", "[erased]"),
        ("vip", "[erased]", ""),  # skipped (tier B), its prompt gone too
    ]


def test_a_captured_answer_is_a_trait_and_only_a_chosen_one_can_be() -> None:
    steps = (
        Step(
            "heard",
            "Where did you hear of us?",
            answers=(Answer("tv", next_step_id="more"), Answer("friend", next_step_id="more")),
            capture="heard_from",
        ),
        Step("more", "Tell me more", free_text=True, next_step_id="again"),
        Step("again", "And today?", answers=(Answer("tv"), Answer("web")), capture="heard_from"),
    )
    assert faults(steps) == []
    run, version = run_of(steps)
    run.answer(version, "heard", "friend", NOW)
    run.answer(version, "more", "my neighbour", NOW)
    assert run.traits(version) == {"heard_from": "friend"}
    run.answer(version, "again", "web", NOW)
    assert run.traits(version) == {"heard_from": "web"}  # the later step's answer wins

    bad = (
        Step("a", "A", free_text=True, capture="notes", next_step_id="b"),
        Step("b", "B", answers=(Answer("x"),), capture="Bad-Name"),
    )
    assert faults(bad) == [
        ("steps[0].capture", "only an answer chosen from the step's answers is kept as a trait"),
        ("steps[1].capture", "must be 1-64 lower-case letters, digits or '_', starting with a letter"),
    ]
