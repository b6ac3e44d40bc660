"""Agent scripts and their runs: what the agent says, the answers a customer may give, where each
leads. No I/O.

A script is a graph of steps, versioned; a version is checked whole before it is kept (every step
reached from the first, every answer leading to a step that exists, an end reachable from every
step, no circle of skipped steps). A run follows one version for one customer: a sales pitch is
skipped for a customer with an open complaint (retention before selling) and a step meant for other
value tiers is skipped; what the customer is (name, tier, open complaints) is read when the run
starts and holds for the whole run, so that going back and forward again takes the same path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from isthmus.kernel.errors import FailedPrecondition, InvalidArgument, illegal_transition
from isthmus.kernel.violations import Violations
from isthmus.service_requests.domain import Actor, Channel, Direction

MAX_STEPS = 200
MAX_ANSWERS = 50
MAX_PROMPT = 4000
MAX_FREE_TEXT = 4000
MAX_VALUE = 64
# Steps met in one run (a script may loop back: "anything else?"); a run this long is abandoned, not
# grown without end.
MAX_ENTRIES = 1000
TIERS = ("A", "B", "C")
STEP_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
TRAIT = re.compile(r"[a-z][a-z0-9_]{0,63}")
# "{{" and "}}" are braces; "{name}" a placeholder.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
PLACEHOLDERS = ("customer_name", "tier", "open_complaints")
OPEN_COMPLAINT = "a sales pitch, and the customer has an open complaint"


@dataclass(frozen=True)
class Answer:
    value: str
    label: str = ""
    next_step_id: str = ""
    end: bool = False  # the run ends after this answer

    @property
    def shown(self) -> str:
        return self.label or self.value


@dataclass(frozen=True)
class Step:
    step_id: str
    prompt: str
    answers: tuple[Answer, ...] = ()
    free_text: bool = False
    next_step_id: str = ""
    pitch: bool = False
    tiers: tuple[str, ...] = ()
    capture: str = ""  # the trait the answer given here is kept as

    @property
    def statement(self) -> bool:
        return not self.answers and not self.free_text

    @property
    def conditional(self) -> bool:
        return self.pitch or bool(self.tiers)

    def after(self, answer: Answer | None = None) -> str:
        """The step a run goes on to after this one (with ``answer``, one of its answers); "" ends it."""
        if answer is not None and answer.end:
            return ""
        return (answer.next_step_id if answer is not None else "") or self.next_step_id

    def leads_to(self) -> set[str]:
        """Every step this one may lead to: after each answer, after it, where skipping it goes ("" for
        the end)."""
        out = {self.after(a) for a in self.answers}
        if not self.answers or self.conditional:
            out.add(self.next_step_id)
        return out

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step_id": self.step_id, "prompt": self.prompt}
        if self.answers:
            out["answers"] = [{k: v for k, v in vars(a).items() if v} for a in self.answers]
        for name in ("free_text", "next_step_id", "pitch", "capture"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.tiers:
            out["tiers"] = list(self.tiers)
        return out

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Step:
        return cls(
            step_id=data["step_id"],
            prompt=data["prompt"],
            answers=tuple(Answer(**a) for a in data.get("answers", ())),
            free_text=bool(data.get("free_text")),
            next_step_id=data.get("next_step_id", ""),
            pitch=bool(data.get("pitch")),
            tiers=tuple(data.get("tiers", ())),
            capture=data.get("capture", ""),
        )


def check_steps(v: Violations, steps: Sequence[Step], prefix: str = "steps") -> None:
    """Records every fault of a version's steps, each naming its field (``steps[2].answers[0].value``)."""
    if not steps:
        v.add(prefix, "required: at least one step")
        return
    if len(steps) > MAX_STEPS:
        v.add(prefix, f"has more than {MAX_STEPS} steps")
        return
    index: dict[str, int] = {}
    for i, step in enumerate(steps):
        p = f"{prefix}[{i}]"
        if not STEP_ID.fullmatch(step.step_id):
            v.add(
                f"{p}.step_id",
                "must be 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit",
            )
        elif step.step_id in index:
            v.add(f"{p}.step_id", f"repeats {prefix}[{index[step.step_id]}]'s id {step.step_id!r}")
        else:
            index[step.step_id] = i
    known = set(index)
    for i, step in enumerate(steps):
        _check_step(v, f"{prefix}[{i}]", step, known)
    if v:
        return
    by_id = {s.step_id: s for s in steps}
    reached = _reachable(steps[0].step_id, by_id)
    for i, step in enumerate(steps):
        if step.step_id not in reached:
            v.add(f"{prefix}[{i}].step_id", f"step {step.step_id!r} is never reached from the first step")
    ending = _ending(by_id)
    for i, step in enumerate(steps):
        if step.step_id in reached and step.step_id not in ending:
            v.add(f"{prefix}[{i}].step_id", f"from step {step.step_id!r} the script never ends")
    for i, step in enumerate(steps):
        if step.conditional and _skips_around(step, by_id):
            v.add(
                f"{prefix}[{i}].next_step_id",
                f"skipping step {step.step_id!r} leads through skipped steps back to it",
            )


def _check_step(v: Violations, p: str, step: Step, known: set[str]) -> None:
    if not step.prompt.strip():
        v.add(f"{p}.prompt", "required")
    elif len(step.prompt) > MAX_PROMPT:
        v.add(f"{p}.prompt", f"is longer than {MAX_PROMPT} characters")
    else:
        for name in placeholders(step.prompt):
            ref = name.removeprefix("answer:")
            if name.startswith("answer:") and ref not in known:
                v.add(f"{p}.prompt", f"{{{name}}} names no step of the script")
            elif not name.startswith("answer:") and name not in PLACEHOLDERS:
                v.add(
                    f"{p}.prompt",
                    f"{{{name}}} is no placeholder (known: "
                    + ", ".join(f"{{{n}}}" for n in PLACEHOLDERS)
                    + ", {answer:STEP}; write {{ and }} for braces)",
                )
    if step.answers and step.free_text:
        v.add(f"{p}.free_text", "a step offers answers or takes free text, not both")
    if len(step.answers) > MAX_ANSWERS:
        v.add(f"{p}.answers", f"has more than {MAX_ANSWERS} answers")
    seen: dict[str, int] = {}
    for j, answer in enumerate(step.answers):
        q = f"{p}.answers[{j}]"
        if not answer.value.strip():
            v.add(f"{q}.value", "required")
        elif len(answer.value) > MAX_VALUE:
            v.add(f"{q}.value", f"is longer than {MAX_VALUE} characters")
        elif answer.value in seen:
            v.add(f"{q}.value", f"repeats answers[{seen[answer.value]}]'s value {answer.value!r}")
        else:
            seen[answer.value] = j
        if len(answer.label) > MAX_PROMPT:
            v.add(f"{q}.label", f"is longer than {MAX_PROMPT} characters")
        if answer.next_step_id and answer.next_step_id not in known:
            v.add(f"{q}.next_step_id", f"names no step of the script ({answer.next_step_id!r})")
        elif answer.next_step_id and answer.end:
            v.add(f"{q}.end", "an answer leads to a step or ends the run, not both")
    if step.next_step_id and step.next_step_id not in known:
        v.add(f"{p}.next_step_id", f"names no step of the script ({step.next_step_id!r})")
    if step.capture and not TRAIT.fullmatch(step.capture):
        v.add(f"{p}.capture", "must be 1-64 lower-case letters, digits or '_', starting with a letter")
    elif step.capture and not step.answers:
        v.add(f"{p}.capture", "only an answer chosen from the step's answers is kept as a trait")
    for k, tier in enumerate(step.tiers):
        if tier not in TIERS:
            v.add(f"{p}.tiers[{k}]", f"{tier!r} is not a value tier ({', '.join(TIERS)})")


def placeholders(text: str) -> list[str]:
    return [m.group(1) for m in _TOKEN.finditer(text) if m.group(1) is not None]


def _reachable(start: str, by_id: Mapping[str, Step]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in by_id[todo.pop()].leads_to():
            if nxt and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _ending(by_id: Mapping[str, Step]) -> set[str]:
    """The steps from which some path reaches an end."""
    ending = {s for s, step in by_id.items() if "" in step.leads_to()}
    grew = True
    while grew:
        grew = False
        for s, step in by_id.items():
            if s not in ending and any(n in ending for n in step.leads_to()):
                ending.add(s)
                grew = True
    return ending


def _skips_around(step: Step, by_id: Mapping[str, Step]) -> bool:
    """Whether skipping this step and every conditional step after it comes back to it: a customer
    to whom all of them are skipped would go round for ever."""
    seen = {step.step_id}
    nxt = step.next_step_id
    while nxt:
        if nxt in seen:
            return nxt == step.step_id
        seen.add(nxt)
        following = by_id[nxt]
        if not following.conditional:
            return False
        nxt = following.next_step_id
    return False


@dataclass(frozen=True)
class Version:
    number: int
    steps: tuple[Step, ...]
    actor: Actor
    created_at: datetime
    note: str = ""

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.step_id == step_id)


@dataclass
class Script:
    id: str
    name: str
    description: str
    created_at: datetime
    published_version: int = 0
    latest_version: int = 0
    published_at: datetime | None = None
    published_by: Actor | None = None

    def check_version(self, number: int) -> None:
        """``number`` names one of the script's versions (1 to the newest): else INVALID_ARGUMENT."""
        if not 1 <= number <= self.latest_version:
            raise InvalidArgument("version", f"script {self.id} has versions 1 to {self.latest_version}")


# -- runs -------------------------------------------------------------------------------------------


class RunState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    ABANDONED = "ABANDONED"


class EntryKind(StrEnum):
    ANSWERED = "ANSWERED"
    SKIPPED = "SKIPPED"
    TAKEN_BACK = "TAKEN_BACK"


@dataclass(frozen=True)
class Entry:
    step_id: str
    prompt: str
    kind: EntryKind
    at: datetime
    answer: str = ""
    label: str = ""
    reason: str = ""
    taken_back_at: str = ""  # the step shown when the answer was taken back


@dataclass(frozen=True)
class Facts:
    """What the customer is, as the run started: what its prompts and skips read."""

    customer_name: str = ""
    tier: str = ""
    open_complaints: int = 0


@dataclass
class Run:
    id: str
    script_id: str
    script_name: str
    version: int
    customer_id: str
    facts: Facts
    agent: Actor
    channel: Channel
    direction: Direction
    started_at: datetime
    service_request_id: str = ""
    rehearsal: bool = False
    state: RunState = RunState.IN_PROGRESS
    current_step: str = ""
    entries: list[Entry] = field(default_factory=list)
    ended_at: datetime | None = None
    abandon_reason: str = ""
    interaction_id: str = ""
    revision: int = 0  # how many times it was written: what a write expects to find
    call_id: str = ""  # the campaign's call it makes

    def begin(self, script: Version, now: datetime) -> None:
        self._go(script, script.steps[0].step_id, now)

    def render(self, text: str) -> str:
        def fill(m: re.Match[str]) -> str:
            token, name = m.group(0), m.group(1)
            if name is None:
                return token[0]
            if name.startswith("answer:"):
                return self.answer_of(name.removeprefix("answer:"))
            if name == "customer_name":
                return self.facts.customer_name
            if name == "tier":
                return self.facts.tier or "none"
            return str(self.facts.open_complaints)

        return _TOKEN.sub(fill, text)

    def answer_of(self, step_id: str) -> str:
        """The answer standing at this step (its label for a choice; "" when none)."""
        for e in reversed(self.entries):
            if e.step_id == step_id and e.kind is EntryKind.ANSWERED:
                return e.label or e.answer
        return ""

    def skip_reason(self, step: Step) -> str:
        if step.pitch and self.facts.open_complaints:
            return OPEN_COMPLAINT
        if step.tiers and self.facts.tier not in step.tiers:
            return f"for value tiers {', '.join(step.tiers)}; the customer's is {self.facts.tier or 'none'}"
        return ""

    def _go(self, script: Version, step_id: str, now: datetime) -> None:
        """Shows ``step_id``, skipping what is not for this customer; an empty id ends the run."""
        for _ in range(len(script.steps) + 1):  # the checks rule out a circle of skips
            if not step_id:
                self.current_step = ""
                self.state = RunState.COMPLETED
                self.ended_at = now
                return
            step = script.step(step_id)
            reason = self.skip_reason(step)
            if not reason:
                self.current_step = step_id
                return
            self.entries.append(
                Entry(step_id, self.render(step.prompt), EntryKind.SKIPPED, now, reason=reason)
            )
            step_id = step.next_step_id
        raise AssertionError("a circle of skipped steps passed the script's checks")

    def _require_in_progress(self) -> None:
        if self.state is not RunState.IN_PROGRESS:
            raise illegal_transition(f"run {self.id} is {self.state.value}", self.state.value)

    def answered_last(self, step_id: str, answer: str) -> bool:
        """Whether the last answer given was this one to this step: a retry of the call that gave it."""
        last = next((e for e in reversed(self.entries) if e.kind is EntryKind.ANSWERED), None)
        return (
            last is not None
            and last.step_id == step_id
            and last.answer == answer
            and self.current_step != step_id
        )

    def answer(self, script: Version, step_id: str, answer: str, now: datetime) -> None:
        self._require_in_progress()
        if step_id != self.current_step:
            raise FailedPrecondition(
                f"step_id: run {self.id} shows step {self.current_step!r}, not {step_id!r}"
            )
        step = script.step(step_id)
        label = ""
        if step.answers:
            chosen = next((a for a in step.answers if a.value == answer), None)
            if chosen is None:
                values = ", ".join(repr(a.value) for a in step.answers)
                raise InvalidArgument("answer", f"must be one of step {step_id!r}'s answers: {values}")
            label, target = chosen.shown, step.after(chosen)
        elif step.free_text:
            if not answer.strip():
                raise InvalidArgument("answer", f"required: step {step_id!r} takes the customer's words")
            if len(answer) > MAX_FREE_TEXT:
                raise InvalidArgument("answer", f"is longer than {MAX_FREE_TEXT} characters")
            target = step.next_step_id
        else:
            if answer:
                raise InvalidArgument("answer", f"must be empty: step {step_id!r} is a statement")
            target = step.next_step_id
        if len(self.entries) >= MAX_ENTRIES:
            raise FailedPrecondition(
                f"run {self.id} has met {MAX_ENTRIES} steps: abandon it and start another"
            )
        self.entries.append(Entry(step_id, self.render(step.prompt), EntryKind.ANSWERED, now, answer, label))
        self._go(script, target, now)

    def back(self, step_id: str) -> None:
        """Back to the step answered last: its answer taken back, the skips after it forgotten (they
        follow again from the answer given next)."""
        self._require_in_progress()
        if step_id != self.current_step:
            raise FailedPrecondition(
                f"step_id: run {self.id} shows step {self.current_step!r}, not {step_id!r}"
            )
        last = next(
            (i for i in range(len(self.entries) - 1, -1, -1) if self.entries[i].kind is EntryKind.ANSWERED),
            None,
        )
        if last is None:
            raise FailedPrecondition(f"run {self.id} has no answer to go back to")
        entry = self.entries[last]
        self.entries[last:] = [replace(entry, kind=EntryKind.TAKEN_BACK, taken_back_at=step_id)]
        self.current_step = entry.step_id

    def went_back_from(self, step_id: str) -> bool:
        """Whether the run's last move was going back from ``step_id``: a retry of that call."""
        last = self.entries[-1] if self.entries else None
        return (
            self.state is RunState.IN_PROGRESS
            and last is not None
            and last.kind is EntryKind.TAKEN_BACK
            and last.taken_back_at == step_id
            and self.current_step == last.step_id
            and step_id != self.current_step
        )

    def abandon(self, reason: str, now: datetime) -> None:
        self._require_in_progress()
        self.state = RunState.ABANDONED
        self.abandon_reason = reason
        self.ended_at = now

    def traits(self, script: Version) -> dict[str, str]:
        """The answers standing at steps that capture them, by trait name (a later step's answer to
        the same name wins)."""
        captures = {s.step_id: s.capture for s in script.steps if s.capture}
        return {
            captures[e.step_id]: e.answer
            for e in self.entries
            if e.kind is EntryKind.ANSWERED and e.step_id in captures
        }

    def transcript(self) -> str:
        """The run as the customer's interaction records it: each step said and what came of it."""
        lines: list[str] = []
        for e in self.entries:
            if e.kind is EntryKind.ANSWERED:
                lines.append(f"[{e.step_id}] {e.prompt}")
                if e.label or e.answer:
                    lines.append(f"  -> {e.label or e.answer}")
            elif e.kind is EntryKind.SKIPPED:
                lines.append(f"[{e.step_id}] skipped: {e.reason}")
        if self.state is RunState.ABANDONED:
            lines.append(f"Abandoned at [{self.current_step}]: {self.abandon_reason}")
        return "\n".join(lines)

    def erase_personal_data(self, marker: str) -> None:
        """What the customer said and how they were addressed goes; the path taken stays."""
        self.facts = replace(self.facts, customer_name=marker if self.facts.customer_name else "")
        self.abandon_reason = marker if self.abandon_reason else ""
        self.entries = [
            replace(e, prompt=marker, answer=marker if e.answer and not e.label else e.answer)
            for e in self.entries
        ]
