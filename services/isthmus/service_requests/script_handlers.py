"""Use cases of agent scripts: defining, revising and publishing them; following one with a customer,
and logging the run as the customer's interaction when it ends."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from isthmus.kernel.errors import FailedPrecondition, InvalidArgument, NotFound
from isthmus.kernel.ids import new_uuid
from isthmus.kernel.paging import decode_token, page_of
from isthmus.kernel.timestamps import ts
from isthmus.service_requests import messages
from isthmus.service_requests.calls import Call, CallState
from isthmus.service_requests.domain import Actor, Channel, Direction
from isthmus.service_requests.handlers import Env, LogInteraction, log_entry
from isthmus.service_requests.script_store import ScriptRepository
from isthmus.service_requests.scripts import (
    EntryKind,
    Facts,
    Run,
    RunState,
    Script,
    Step,
    Version,
)
from isthmus.service_requests.store import UnitOfWork
from isthmus_client.api.events.v1 import service_requests_pb2 as ev
from isthmus_client.api.events.v1 import value_pb2 as value_events
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb


@dataclass(frozen=True)
class CreateScript:
    name: str
    description: str
    steps: tuple[Step, ...]
    actor: Actor = field(default_factory=Actor)


@dataclass(frozen=True)
class ReviseScript:
    script_id: str
    steps: tuple[Step, ...]
    note: str = ""
    actor: Actor = field(default_factory=Actor)


@dataclass(frozen=True)
class PublishScript:
    script_id: str
    version: int
    actor: Actor = field(default_factory=Actor)


@dataclass(frozen=True)
class StartRun:
    script_id: str
    customer_id: str
    direction: Direction
    channel: Channel = Channel.PHONE
    version: int = 0
    rehearsal: bool = False
    service_request_id: str = ""
    customer_name: str = ""
    actor: Actor = field(default_factory=Actor)
    call_id: str = ""


async def _script(repo: ScriptRepository, script_id: str, *, lock: bool = False) -> Script:
    script = await repo.get(script_id, lock=lock)
    if script is None:
        raise NotFound(f"no script {script_id!r}")
    return script


async def _versions(repo: ScriptRepository, script: Script) -> tuple[Version | None, Version | None]:
    """The script's published version, and its newest when newer (the draft)."""
    published = await repo.version(script.id, script.published_version) if script.published_version else None
    draft = None
    if script.latest_version != script.published_version:
        draft = await repo.version(script.id, script.latest_version)
    return published, draft


async def script_message(repo: ScriptRepository, script: Script) -> spb.Script:
    return messages.script(script, *await _versions(repo, script))


async def create_script(cmd: CreateScript, uow: UnitOfWork, env: Env) -> tuple[spb.Script, bool]:
    script = Script(new_uuid(), cmd.name, cmd.description, env.now, 0, 1)
    version = Version(1, cmd.steps, cmd.actor, env.now)
    await ScriptRepository(uow.session).add(script, version)
    answer = messages.script(script, draft=version)
    await uow.commit(answer)
    return answer, False


async def revise_script(cmd: ReviseScript, uow: UnitOfWork, env: Env) -> tuple[spb.Script, bool]:
    repo = ScriptRepository(uow.session)
    script = await _script(repo, cmd.script_id, lock=True)
    version = Version(script.latest_version + 1, cmd.steps, cmd.actor, env.now, cmd.note)
    script.latest_version = version.number
    await repo.save(script)
    await repo.add_version(script.id, version)
    answer = await script_message(repo, script)
    await uow.commit(answer)
    return answer, False


async def publish_script(cmd: PublishScript, uow: UnitOfWork, env: Env) -> tuple[spb.Script, bool]:
    """Publishes a version; the version published already is a replay."""
    repo = ScriptRepository(uow.session)
    script = await _script(repo, cmd.script_id, lock=True)
    script.check_version(cmd.version)
    replayed = script.published_version == cmd.version
    if not replayed:
        script.published_version = cmd.version
        script.published_at = env.now
        script.published_by = cmd.actor
        await repo.save(script)
    answer = await script_message(repo, script)
    await uow.commit()
    return answer, replayed


async def get_script(script_id: str, uow: UnitOfWork) -> spb.Script:
    repo = ScriptRepository(uow.session)
    return await script_message(repo, await _script(repo, script_id))


async def list_scripts(
    published_only: bool, size: int, token: str, uow: UnitOfWork
) -> tuple[list[Script], str]:
    position = decode_token(token, published_only)
    after = (position.text("n"), position.text("i")) if position is not None else None
    found = await ScriptRepository(uow.session).page(published_only, size + 1, after)
    return page_of(found, size, lambda s: {"n": s.name, "i": s.id}, published_only)


async def list_versions(script_id: str, size: int, token: str, uow: UnitOfWork) -> tuple[list[Version], str]:
    repo = ScriptRepository(uow.session)
    await _script(repo, script_id)  # NOT_FOUND for a script that does not exist
    position = decode_token(token, script_id)
    # Versions are int32: a larger number in a token is no version of ours, past every one.
    before = min(position.integer("v", minimum=1), 2**31 - 1) if position is not None else None
    found = await repo.versions(script_id, size + 1, before)
    return page_of(found, size, lambda v: {"v": v.number}, script_id)


# -- runs -------------------------------------------------------------------------------------------


async def _run(repo: ScriptRepository, run_id: str, *, lock: bool = False) -> tuple[Run, Version]:
    run = await repo.run(run_id, lock=lock)
    if run is None:
        raise NotFound(f"no script run {run_id!r}")
    version = await repo.version(run.script_id, run.version)
    assert version is not None, "a run's version is never deleted"
    return run, version


async def _call(repo: ScriptRepository, cmd: StartRun) -> Call:
    """The campaign's call a run is to make, checked against what the run was started with."""
    if cmd.rehearsal:
        raise InvalidArgument("call_id", "a rehearsal makes no call")
    call = await repo.call(cmd.call_id, lock=True)
    if call is None:
        raise NotFound(f"no call {cmd.call_id!r}")
    if call.script_id != cmd.script_id:
        raise InvalidArgument("script_id", f"call {call.id} follows script {call.script_id!r}")
    if call.customer_id != cmd.customer_id:
        raise InvalidArgument("customer_id", f"call {call.id} is to customer {call.customer_id!r}")
    if cmd.direction is not Direction.OUTBOUND:
        raise InvalidArgument("direction", "a campaign's call is OUTBOUND")
    return call


async def start_run(cmd: StartRun, uow: UnitOfWork, env: Env) -> tuple[spb.ScriptRun, bool]:
    repo = ScriptRepository(uow.session)
    call = await _call(repo, cmd) if cmd.call_id else None
    script = await _script(repo, cmd.script_id)
    if cmd.version:
        script.check_version(cmd.version)
    if not cmd.version and not script.published_version:
        raise FailedPrecondition(
            f"script {script.id} has no published version: publish one, or rehearse a draft by its version"
        )
    if cmd.version and cmd.version != script.published_version and not cmd.rehearsal:
        raise FailedPrecondition(
            f"version: only the published version ({script.published_version or 'none yet'}) of script"
            f" {script.id} is followed with customers; set rehearsal to try version {cmd.version}"
        )
    number = cmd.version or script.published_version
    version = await repo.version(script.id, number)
    assert version is not None, "versions 1 to the newest are never deleted"
    if cmd.service_request_id:
        case = await uow.repo.get(cmd.service_request_id)
        if case is None:
            raise NotFound(f"no service request {cmd.service_request_id!r}")
        if case.customer_id != cmd.customer_id:
            raise InvalidArgument("service_request_id", "is a case of another customer")
    tier = (await uow.repo.tiers_of([cmd.customer_id])).get(cmd.customer_id, "")
    complaints = (await uow.repo.open_complaint_ids([cmd.customer_id])).get(cmd.customer_id, ())
    run = Run(
        id=new_uuid(),
        script_id=script.id,
        script_name=script.name,
        version=number,
        customer_id=cmd.customer_id,
        facts=Facts(cmd.customer_name, tier, len(complaints)),
        agent=cmd.actor,
        channel=cmd.channel,
        direction=cmd.direction,
        started_at=env.now,
        service_request_id=cmd.service_request_id,
        rehearsal=cmd.rehearsal,
        call_id=cmd.call_id,
    )
    if call is not None:
        was = call.state
        call.start(run.id, cmd.actor.id)
        await repo.save_call(call, was)
    run.begin(version, env.now)
    if not run.rehearsal:
        await repo.tally(run.script_id, run.version, Counter({("", "started", ""): 1}))
    await _ended(run, version, uow, env)
    await repo.add_run(run)
    answer = messages.script_run(run, version)
    await uow.commit(answer)
    return answer, False


async def answer_step(
    run_id: str, step_id: str, answer: str, uow: UnitOfWork, env: Env
) -> tuple[spb.ScriptRun, bool]:
    repo = ScriptRepository(uow.session)
    run, version = await _run(repo, run_id, lock=True)
    if run.answered_last(step_id, answer):
        return messages.script_run(run, version), True
    run.answer(version, step_id, answer, env.now)
    await _ended(run, version, uow, env)
    await repo.save_run(run)
    await uow.commit()
    return messages.script_run(run, version), False


async def back_step(run_id: str, step_id: str, uow: UnitOfWork, env: Env) -> tuple[spb.ScriptRun, bool]:
    repo = ScriptRepository(uow.session)
    run, version = await _run(repo, run_id, lock=True)
    if run.went_back_from(step_id):
        return messages.script_run(run, version), True
    run.back(step_id)
    await repo.save_run(run)
    await uow.commit()
    return messages.script_run(run, version), False


async def abandon_run(run_id: str, reason: str, uow: UnitOfWork, env: Env) -> tuple[spb.ScriptRun, bool]:
    repo = ScriptRepository(uow.session)
    run, version = await _run(repo, run_id, lock=True)
    if run.state is RunState.ABANDONED and run.abandon_reason == reason:
        return messages.script_run(run, version), True
    run.abandon(reason, env.now)
    await _ended(run, version, uow, env)
    await repo.save_run(run)
    await uow.commit()
    return messages.script_run(run, version), False


async def get_run(run_id: str, uow: UnitOfWork) -> spb.ScriptRun:
    run, version = await _run(ScriptRepository(uow.session), run_id)
    return messages.script_run(run, version)


async def _ended(run: Run, version: Version, uow: UnitOfWork, env: Env) -> None:
    """A run that has ended (not a rehearsal) is logged as the customer's interaction, its captured
    answers are told as the customer's traits, and it is counted."""
    if run.state is RunState.IN_PROGRESS or run.rehearsal:
        return
    outcome = "completed" if run.state is RunState.COMPLETED else "abandoned"
    entry = await log_entry(
        LogInteraction(
            direction=run.direction,
            channel=run.channel,
            service_request_id=run.service_request_id,
            customer_id=run.customer_id,
            author=run.agent,
            occurred_at=run.started_at,
            subject=f"Script {run.script_name!r} (version {run.version}) {outcome}",
            body=run.transcript(),
            duration=(run.ended_at or env.now) - run.started_at,
        ),
        uow,
        env,
    )
    run.interaction_id = entry.id
    if run.call_id:
        await _call_ended(run, uow)
    traits = run.traits(version)
    if traits:
        uow.emit(
            ev.CustomerTraitsCaptured(
                customer_id=run.customer_id,
                traits=[ev.CustomerTraitsCaptured.Trait(name=n, value=v) for n, v in sorted(traits.items())],
                run_id=run.id,
                script_id=run.script_id,
                capture_time=ts(run.ended_at),
            ),
            run.customer_id,
        )
    await ScriptRepository(uow.session).tally(run.script_id, run.version, tally(run))


async def _call_ended(run: Run, uow: UnitOfWork) -> None:
    """The call the run made: made (the campaign told the customer was reached, as a delivery system
    tells it a message was opened), or one more attempt."""
    repo = ScriptRepository(uow.session)
    call = await repo.call(run.call_id, lock=True)
    if call is None or call.run_id != run.id or call.state is not CallState.IN_PROGRESS:
        return
    if call.ended(run):
        uow.emit(
            value_events.CampaignMessageResponded(
                message_id=call.id,
                response=value_events.CampaignMessageResponded.MESSAGE_RESPONSE_OPENED,
                respond_time=ts(run.ended_at),
            ),
            call.id,
        )
    await repo.save_call(call, CallState.IN_PROGRESS)


async def list_calls(
    states: tuple[CallState, ...],
    due_by: datetime | None,
    customer_id: str,
    size: int,
    token: str,
    uow: UnitOfWork,
    agent_id: str | None = None,
) -> tuple[list[Call], str]:
    # The token holds whether only due calls are listed, not the instant: the next page reads "now" again.
    filters = ([s.value for s in states], due_by is not None, customer_id, agent_id)
    position = decode_token(token, filters)
    after = (position.instant("t"), position.text("i")) if position is not None else None
    found = await ScriptRepository(uow.session).calls(states, due_by, customer_id, size + 1, after, agent_id)
    return page_of(found, size, lambda c: {"t": c.due_at.isoformat(), "i": c.id}, filters)


async def assign_call(call_id: str, agent_id: str, uow: UnitOfWork) -> tuple[spb.Call, bool]:
    repo = ScriptRepository(uow.session)
    call = await repo.call(call_id, lock=True)
    if call is None:
        raise NotFound(f"no call {call_id!r}")
    was = call.state
    if not call.assign(agent_id):
        return messages.call(call), True
    await repo.save_call(call, was)
    await uow.commit()
    return messages.call(call), False


def tally(run: Run) -> Counter[tuple[str, str, str]]:
    """What an ended run adds to its script's figures: each step shown, skipped or answered (each
    answer once a run), where it was abandoned, and how it ended."""
    shown = {e.step_id for e in run.entries if e.kind is not EntryKind.SKIPPED}
    if run.state is RunState.ABANDONED and run.current_step:
        shown.add(run.current_step)
    counts: Counter[tuple[str, str, str]] = Counter()
    counts.update((s, "shown", "") for s in shown)
    counts.update((s, "skipped", "") for s in {e.step_id for e in run.entries if e.kind is EntryKind.SKIPPED})
    answered = {(e.step_id, e.answer if e.label else "") for e in run.entries if e.kind is EntryKind.ANSWERED}
    counts.update((s, "answered", a) for s, a in answered)
    if run.state is RunState.ABANDONED:
        counts[(run.current_step, "abandoned_at", "")] += 1
    counts[("", run.state.value.lower(), "")] += 1
    return counts


async def report(script_id: str, version: int, uow: UnitOfWork) -> spb.GetScriptReportResponse:
    repo = ScriptRepository(uow.session)
    script = await _script(repo, script_id)
    if version:
        script.check_version(version)
    figures = await repo.tallies(script_id, version)
    newest = await repo.version(script_id, version or script.latest_version)
    assert newest is not None
    order = [s.step_id for s in newest.steps]
    order += sorted({s for s, *_ in figures if s and s not in order})
    steps = {s: spb.StepReport(step_id=s) for s in order}
    totals: Counter[str] = Counter()
    answers: dict[str, Counter[str]] = {}
    for step_id, what, answer, count in figures:
        if not step_id:
            totals[what] += count
        elif what == "answered":
            answers.setdefault(step_id, Counter())[answer] += count
        else:
            field_name = "abandoned" if what == "abandoned_at" else what
            setattr(steps[step_id], field_name, getattr(steps[step_id], field_name) + count)
    for step_id, counted in answers.items():
        steps[step_id].answers.extend(
            spb.AnswerCount(answer=a, count=n)
            for a, n in sorted(counted.items(), key=lambda x: (-x[1], x[0]))
        )
    return spb.GetScriptReportResponse(
        script_id=script_id,
        started=totals["started"],
        completed=totals["completed"],
        abandoned=totals["abandoned"],
        steps=list(steps.values()),
    )
