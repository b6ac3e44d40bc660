"""The console's agent scripts: an agent starts a published script from the customer's page and follows
its screens to the end (answers, free text, going back, abandoning); the API's refusals show on the
run's page; a user who may only read sees no form and is refused a forged one; the scripts page lists
each script's steps and how its runs went. The console runs in process against a customer master and a
service request service on SQLite."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from isthmus.platform import config, hub
from isthmus.platform.events.testing import publish
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import value_pb2
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb
from isthmus_client.api.service_requests.v1 import scripts_pb2_grpc, service_requests_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srpb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc

from .browser_kit import Browser, console, text

AGENT = ["customers:read", "service_requests:read", "service_requests:write"]
READER = ["customers:read", "service_requests:read"]
AUTHOR = common_pb2.Actor(kind=common_pb2.ACTOR_KIND_USER, id="lead-1", display_name="Lena Lead")
PITCH_SKIPPED = "a sales pitch, and the customer has an open complaint"


def steps() -> list[spb.ScriptStep]:
    return [
        spb.ScriptStep(step_id="greet", prompt="Good morning {customer_name}.", next_step_id="reason"),
        spb.ScriptStep(
            step_id="reason",
            prompt="What can I do for you?",
            capture="call_reason",
            answers=[
                spb.ScriptAnswer(value="complaint", label="A complaint", next_step_id="listen"),
                spb.ScriptAnswer(value="order", label="An order", next_step_id="offer"),
            ],
        ),
        spb.ScriptStep(step_id="listen", prompt="What happened?", free_text=True, next_step_id="offer"),
        spb.ScriptStep(
            step_id="offer",
            prompt="May I tell you about this week's <offer>?",
            answers=[spb.ScriptAnswer(value="yes", label="Yes, tell me"), spb.ScriptAnswer(value="no")],
            pitch=True,
        ),
    ]


@dataclass
class World:
    port: int
    scripts: scripts_pb2_grpc.ScriptServiceStub
    cases: service_requests_pb2_grpc.ServiceRequestServiceStub
    customers: customers_pb2_grpc.CustomerMasterServiceStub
    ida: str  # Ida Berg, no case
    script: spb.Script  # "Inbound call", published
    bus: Any = None  # the hub's event bus, to publish as another context would

    async def publish(self, name: str) -> spb.Script:
        created = await self.scripts.CreateScript(
            spb.CreateScriptRequest(name=name, description="Calls about orders", steps=steps(), actor=AUTHOR)
        )
        done = await self.scripts.PublishScript(
            spb.PublishScriptRequest(script_id=created.script.script_id, version=1, actor=AUTHOR)
        )
        return done.script

    async def customer(self, source_id: str, given: str, family: str) -> str:
        record = pb.SourceRecord(
            source_system="erp", source_id=source_id, name=pb.PersonName(given_name=given, family_name=family)
        )
        record.emails.add(address=f"{given.lower()}.{family.lower()}@example.org")
        done = await self.customers.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=record))
        return done.result.customer_id


@asynccontextmanager
async def running(folder: Path) -> AsyncIterator[World]:
    """A hub with the customer master and the service requests, and Ida Berg; no script yet."""
    settings = config.load(
        {
            "ISTHMUS_DATA_DIR": str(folder),
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    async with hub.running(settings, ["customers", "service-requests"]) as h, h.channel() as channel:
        found = World(
            h.port,
            scripts_pb2_grpc.ScriptServiceStub(channel),
            service_requests_pb2_grpc.ServiceRequestServiceStub(channel),
            customers_pb2_grpc.CustomerMasterServiceStub(channel),
            "",
            spb.Script(),
            h.runtime.bus,
        )
        found.ida = await found.customer("C1", "Ida", "Berg")
        yield found


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with running(tmp_path_factory.mktemp("console-scripts")) as found:
        found.script = await found.publish("Inbound call")
        # A draft no agent follows.
        await found.scripts.CreateScript(spb.CreateScriptRequest(name="Winter campaign", steps=steps()))
        yield found


@pytest.fixture
async def browser(world: World) -> AsyncIterator[Browser]:
    async with console(world.port) as found:
        yield found


async def start(browser: Browser, world: World, customer: str = "", **form: str) -> httpx.Response:
    """Starts the published script from the customer's page as the page's form would, with its key."""
    customer = customer or world.ida
    page = await browser.get(f"/customers/{customer}")
    assert page.status_code == 200, page.text[-500:]
    key = re.search(r'name="request_id" value="([^"]+)"', page.text.split("Follow a script")[1])
    assert key is not None
    fields = {"script_id": world.script.script_id, "direction": "inbound", "request_id": key[1], **form}
    started = await browser.post(f"/customers/{customer}/scripts", **fields)
    assert started.status_code == 303, started.text[-500:]
    assert re.fullmatch(r"/script-runs/[0-9a-f-]+", started.headers["location"])
    return started


async def answer(browser: Browser, run: str, step: str, value: str = "") -> httpx.Response:
    done = await browser.post(f"{run}/answer", step_id=step, answer=value)
    page = await browser.follow(done)
    assert page.status_code == 200, page.text[-500:]
    return page


async def test_the_customer_page_offers_the_published_scripts_to_an_agent_only(
    world: World, browser: Browser
) -> None:
    page = await browser.sign_in(AGENT).get(f"/customers/{world.ida}")
    assert page.status_code == 200, page.text[-500:]
    assert f'action="/customers/{world.ida}/scripts"' in page.text
    assert f'<option value="{world.script.script_id}">Inbound call</option>' in page.text
    assert "Winter campaign" not in page.text  # a draft, never published
    assert '<option value="inbound">' in page.text and '<option value="outbound">' in page.text
    assert '<label for="script_id">' in page.text and '<label for="direction">' in page.text
    assert 'href="/scripts"' in page.text

    page = await browser.sign_in(READER).get(f"/customers/{world.ida}")
    assert page.status_code == 200, page.text[-500:]
    assert "Follow a script" not in page.text
    assert 'href="/scripts"' in page.text  # reading them is allowed

    page = await browser.sign_in(["customers:read"]).get(f"/customers/{world.ida}")
    assert "Follow a script" not in page.text and 'href="/scripts"' not in page.text


async def test_with_no_published_script_the_customer_page_says_so(tmp_path: Path) -> None:
    async with running(tmp_path) as empty, console(empty.port) as browser:
        await empty.scripts.CreateScript(spb.CreateScriptRequest(name="Winter campaign", steps=steps()))
        page = await browser.sign_in(AGENT).get(f"/customers/{empty.ida}")
        assert page.status_code == 200, page.text[-500:]
        assert "No script is published yet." in page.text
        assert f'action="/customers/{empty.ida}/scripts"' not in page.text


async def test_an_agent_follows_the_script_to_its_end_and_the_run_is_logged(
    world: World, browser: Browser
) -> None:
    browser.sign_in(AGENT)
    started = await start(browser, world, direction="outbound")
    run = started.headers["location"]
    page = await browser.follow(started)
    assert page.status_code == 200, page.text[-500:]
    shown = text(page)
    assert "Inbound call version 1" in shown and "in progress" in shown and "outbound phone" in shown
    assert "Good morning Ida Berg." in shown  # the customer's name as the customer page shows it
    assert f'href="/customers/{world.ida}"' in page.text
    assert '<input type="hidden" name="step_id" value="greet">' in page.text
    assert ">Continue</button>" in page.text and ">Back</button>" not in page.text  # nothing answered yet

    page = await answer(browser, run, "greet")
    assert "What can I do for you?" in text(page)
    assert '<button type="submit" name="answer" value="complaint">A complaint</button>' in page.text
    assert '<button type="submit" name="answer" value="order">An order</button>' in page.text
    assert ">Back</button>" in page.text

    page = await answer(browser, run, "reason", "complaint")
    assert '<textarea id="answer" name="answer"' in page.text and '<label for="answer">' in page.text
    page = await answer(browser, run, "listen", "The parcel came <b>broken</b>")
    assert "The parcel came &lt;b&gt;broken&lt;/b&gt;" in page.text  # escaped, as everything the API says
    assert "this week&#39;s &lt;offer&gt;?" in page.text
    page = await answer(browser, run, "offer", "yes")

    shown = text(page)
    assert "Completed" in shown and "Say now" not in shown and "Abandon" not in shown
    found = (await world.scripts.GetScriptRun(spb.GetScriptRunRequest(run_id=run.rsplit("/", 1)[1]))).run
    assert found.state == spb.SCRIPT_RUN_STATE_COMPLETED and found.interaction_id
    assert found.agent.id == "kim" and found.direction == srpb.DIRECTION_OUTBOUND
    assert f"Logged on the customer's record as interaction {found.interaction_id}" in shown
    for said in ("read out", "A complaint", "The parcel came <b>broken</b>", "Yes, tell me"):
        assert said in shown, said


async def test_the_same_form_sent_twice_starts_one_run(world: World, browser: Browser) -> None:
    browser.sign_in(AGENT)
    page = await browser.get(f"/customers/{world.ida}")
    key = re.findall(r'name="request_id" value="([^"]+)"', page.text)
    assert key, page.text[-500:]
    fields = {"script_id": world.script.script_id, "direction": "inbound", "request_id": key[0]}
    first = await browser.post(f"/customers/{world.ida}/scripts", **fields)
    again = await browser.post(f"/customers/{world.ida}/scripts", **fields)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    # Every render of the page has a key of its own.
    assert key[0] not in (await browser.get(f"/customers/{world.ida}")).text


async def test_going_back_strikes_the_answer_and_abandoning_ends_the_run(
    world: World, browser: Browser
) -> None:
    browser.sign_in(AGENT)
    run = (await start(browser, world)).headers["location"]
    await answer(browser, run, "greet")
    page = await answer(browser, run, "reason", "order")
    assert "this week&#39;s &lt;offer&gt;?" in page.text

    page = await browser.follow(await browser.post(f"{run}/back", step_id="offer"))
    assert "What can I do for you?" in text(page).split("Transcript")[0]
    assert "<del>An order</del>" in page.text and "taken back" in page.text
    # The same button sent again (a double click) goes back once.
    page = await browser.follow(await browser.post(f"{run}/back", step_id="offer"))
    assert "What can I do for you?" in text(page).split("Transcript")[0]
    assert page.text.count("<del>An order</del>") == 1 and "Not taken back" not in page.text

    page = await browser.follow(await browser.post(f"{run}/abandon", reason="The line dropped"))
    shown = text(page)
    assert "Abandoned" in shown and "Why: The line dropped" in shown
    assert "Logged on the customer's record as interaction" in shown
    assert 'action="' + run + '/answer"' not in page.text and ">Back</button>" not in page.text


async def test_the_apis_refusal_shows_on_the_run_page(world: World, browser: Browser) -> None:
    browser.sign_in(AGENT)
    run = (await start(browser, world)).headers["location"]
    await answer(browser, run, "greet")

    page = await answer(browser, run, "reason", "maybe")
    shown = text(page)
    assert (
        "Not recorded: " in shown and "must be one of step 'reason''s answers: 'complaint', 'order'" in shown
    )
    assert '<p class="flash" role="status">' in page.text
    assert "What can I do for you?" in shown  # still the step shown

    page = await answer(browser, run, "offer", "yes")  # a step not shown (a page of another run, say)
    assert "Not recorded: " in text(page) and "shows step 'reason', not 'offer'" in text(page)

    page = await browser.follow(await browser.post(f"{run}/abandon", reason=""))
    assert "Not abandoned: " in text(page) and "reason" in text(page)

    missing = await browser.get("/script-runs/00000000-0000-7000-8000-00000000dead")
    assert missing.status_code == 404 and "no script run" in missing.text


async def test_a_user_who_may_only_read_sees_the_run_but_cannot_change_it(
    world: World, browser: Browser
) -> None:
    browser.sign_in(AGENT)
    run = (await start(browser, world)).headers["location"]

    browser.sign_in(READER)
    page = await browser.get(run)
    assert page.status_code == 200 and "Good morning Ida Berg." in text(page)
    assert '<form method="post" action="/script-runs' not in page.text
    assert "needs the scope service_requests:write" in text(page)
    forged = {"script_id": world.script.script_id, "direction": "inbound"}
    for path, form in (
        (f"/customers/{world.ida}/scripts", forged),
        (f"{run}/answer", {"step_id": "greet", "answer": ""}),
        (f"{run}/back", {"step_id": "greet"}),
        (f"{run}/abandon", {"reason": "x"}),
    ):
        refused = await browser.post(path, **form)
        assert refused.status_code == 403, (path, refused.status_code)
        assert "Not allowed" in refused.text and "service_requests:write" in refused.text
    still = (await world.scripts.GetScriptRun(spb.GetScriptRunRequest(run_id=run.rsplit("/", 1)[1]))).run
    assert still.state == spb.SCRIPT_RUN_STATE_IN_PROGRESS and not still.entries

    browser.sign_in(["customers:read"])
    assert (await browser.get(run)).status_code == 403
    assert (await browser.get("/scripts")).status_code == 403


async def test_a_case_of_the_customer_is_attached_and_the_pitch_skipped_for_a_complaint(
    world: World, browser: Browser
) -> None:
    customer = await world.customer("C2", "Otto", "Ost")
    opened = await world.cases.OpenServiceRequest(
        rpc.OpenServiceRequestRequest(
            customer_id=customer,
            channel=srpb.CHANNEL_PHONE,
            kind=srpb.SERVICE_REQUEST_KIND_COMPLAINT,
            priority=srpb.PRIORITY_HIGH,
            category="delivery",
            subject="Parcel two weeks late",
            description="The parcel never arrived",
        )
    )
    case = opened.service_request.service_request_id
    browser.sign_in(AGENT)
    # The 360 learns of the case from the service requests' events.
    deadline = time.monotonic() + 10
    while case not in (page := await browser.get(f"/customers/{customer}")).text:
        assert time.monotonic() < deadline, "the case never reached the 360"
        await asyncio.sleep(0.1)
    assert f'<option value="{case}">Parcel two weeks late (complaint)</option>' in page.text
    assert '<label for="service_request_id">' in page.text

    run = (await start(browser, world, customer, service_request_id=case)).headers["location"]
    page = await browser.get(run)
    assert f"about case {case}" in text(page) and "Good morning Otto Ost." in text(page)
    await answer(browser, run, "greet")
    page = await answer(browser, run, "reason", "order")
    shown = text(page)
    assert "Completed" in shown and f"skipped {PITCH_SKIPPED}" in shown

    found = (await world.scripts.GetScriptRun(spb.GetScriptRunRequest(run_id=run.rsplit("/", 1)[1]))).run
    assert found.service_request_id == case

    # A case of another customer is refused, and the refusal shows on the customer's page.
    page = await browser.follow(await _with_case(browser, world, case))
    assert "Not started: " in text(page) and "is a case of another customer" in text(page)


async def _with_case(browser: Browser, world: World, case: str) -> httpx.Response:
    """Starts the script with Ida and another customer's case, as a forged form would."""
    page = await browser.get(f"/customers/{world.ida}")
    key = re.findall(r'name="request_id" value="([^"]+)"', page.text)[0]
    fields = {"script_id": world.script.script_id, "direction": "inbound", "request_id": key}
    return await browser.post(f"/customers/{world.ida}/scripts", **fields, service_request_id=case)


async def test_a_rehearsal_is_marked_and_never_logged(world: World, browser: Browser) -> None:
    request = spb.StartScriptRunRequest(
        script_id=world.script.script_id,
        customer_id=world.ida,
        version=1,
        rehearsal=True,
        direction=srpb.DIRECTION_INBOUND,
        customer_name="Ida",
    )
    run = "/script-runs/" + (await world.scripts.StartScriptRun(request)).run.run_id
    browser.sign_in(AGENT)
    page = await browser.get(run)
    assert '<span class="badge warn" data-testid="rehearsal">rehearsal</span>' in page.text
    page = await browser.follow(await browser.post(f"{run}/abandon", reason="Just trying"))
    shown = text(page)
    assert "A rehearsal: not logged on the customer's record." in shown and "interaction" not in shown


async def test_the_scripts_pages_list_each_script_with_its_steps_and_how_its_runs_went(
    world: World, browser: Browser
) -> None:
    script = await world.publish("Order call")
    browser.sign_in(AGENT)
    # One run completed, one abandoned at the offer, one still going (started, not ended yet).
    for ending in ("no", "abandon", ""):
        run = (await start(browser, world, script_id=script.script_id)).headers["location"]
        await answer(browser, run, "greet")
        await answer(browser, run, "reason", "order")
        if ending == "abandon":
            await browser.post(f"{run}/abandon", reason="No time")
        elif ending:
            await answer(browser, run, "offer", ending)

    browser.sign_in(READER)
    listed = await browser.get("/scripts")
    assert listed.status_code == 200, listed.text[-500:]
    assert f'<a href="/scripts/{script.script_id}">Order call</a>' in listed.text
    assert "Winter campaign" in listed.text and "none" in text(listed)  # a draft is listed too
    assert 'aria-current="page">Scripts</a>' in listed.text

    page = await browser.get(f"/scripts/{script.script_id}")
    assert page.status_code == 200, page.text[-500:]
    shown = text(page)
    assert "Version 1 is published" in shown and "by Lena Lead" in shown and "Calls about orders" in shown
    assert "Published version 1" in shown and "Draft version" not in shown
    assert "A complaint (complaint) → listen" in shown and "An order (order) → offer" in shown
    assert (
        "free text → offer" in shown and "read out → reason" in shown and "Yes, tell me (yes) → end" in shown
    )
    assert '<span class="badge">pitch</span>' in page.text
    assert '<span class="badge">kept as traits.call_reason</span>' in page.text
    assert "Started 3 Completed 1 Abandoned 1" in shown
    report = text(page).split("How its runs went")[1]
    assert "greet 2 0 0 read out: 2" in report
    assert "reason 2 0 0 order: 2" in report
    assert "offer 2 0 1 no: 1" in report
    assert "listen 0 0 0" in report

    draft = await browser.get(f"/scripts/{(await _draft(world)).script_id}")
    assert "No version is published yet" in text(draft) and "Draft version 1" in text(draft)


async def _draft(world: World) -> spb.Script:
    listed = await world.scripts.ListScripts(spb.ListScriptsRequest())
    return next(s for s in listed.scripts if s.name == "Winter campaign")


async def test_the_calls_page_lists_a_phone_campaigns_calls_and_an_agent_makes_one(
    world: World, browser: Browser
) -> None:
    call_id = f"msg-{time.time_ns()}"
    requested = value_pb2.CampaignMessageRequested(
        message_id=call_id,
        campaign_id="camp-9",
        customer_id=world.ida,
        channel=pb.CONSENT_CHANNEL_PHONE,
        template_id=world.script.script_id,
    )
    await publish(world.bus, requested, world.ida, datetime.now(UTC))
    await world.bus.drain()

    browser.sign_in(["service_requests:read"])
    looked = await browser.get("/calls")
    assert looked.status_code == 200, looked.text[-500:]
    assert call_id not in looked.text and "Inbound call" in looked.text and world.ida in looked.text
    assert f'action="/calls/{call_id}/start"' not in looked.text  # a reader starts nothing
    refused = await browser.post(
        f"/calls/{call_id}/start", script_id=world.script.script_id, customer_id=world.ida
    )
    assert refused.status_code == 403

    browser.sign_in(["service_requests:read", "service_requests:write", "customers:read"])
    listed = await browser.get("/calls")
    form = listed.text.split(f'action="/calls/{call_id}/start"')[1].split("</form>")[0]
    key = re.search(r'name="request_id" value="([^"]+)"', form)
    assert key is not None
    fields = {"script_id": world.script.script_id, "customer_id": world.ida, "request_id": key[1]}
    started = await browser.post(f"/calls/{call_id}/start", **fields)
    run = await browser.follow(started)
    assert "Good morning Ida Berg." in text(run)
    again = await browser.post(f"/calls/{call_id}/start", **fields)  # the same form twice: one run
    assert again.headers["location"] == started.headers["location"]
    after = await browser.get("/calls")
    assert f'action="/calls/{call_id}/start"' not in after.text  # being made: off the list
    other = await browser.post(
        f"/calls/{call_id}/start", script_id=world.script.script_id, customer_id=world.ida
    )
    assert "Not started" in text(await browser.follow(other))  # another agent: refused, said why


async def test_an_agent_takes_a_call_makes_it_theirs_and_gives_it_back(
    world: World, browser: Browser
) -> None:
    call_id = f"msg-{time.time_ns()}"
    requested = value_pb2.CampaignMessageRequested(
        message_id=call_id,
        campaign_id="camp-10",
        customer_id=world.ida,
        channel=pb.CONSENT_CHANNEL_PHONE,
        template_id=world.script.script_id,
    )
    await publish(world.bus, requested, world.ida, datetime.now(UTC))
    await world.bus.drain()
    browser.sign_in(["service_requests:read", "service_requests:write", "customers:read"])

    taken = await browser.follow(await browser.post(f"/calls/{call_id}/take"))
    assert taken.url.path == "/calls" and taken.url.params["whose"] == "mine"
    assert f'action="/calls/{call_id}/start"' in taken.text and "Give back" in taken.text
    [call] = [
        c
        for c in (await world.scripts.ListCalls(spb.ListCallsRequest(agent_id="kim"))).calls
        if c.call_id == call_id
    ]
    assert call.agent_id == "kim"
    nobodys = await browser.get("/calls?whose=free")
    assert f'action="/calls/{call_id}/take"' not in nobodys.text

    given = await browser.follow(await browser.post(f"/calls/{call_id}/take", release="1"))
    assert given.url.path == "/calls"
    free = await browser.get("/calls?whose=free")
    assert f'action="/calls/{call_id}/take"' in free.text
    reader = browser.sign_in(["service_requests:read"])
    assert (await reader.post(f"/calls/{call_id}/take")).status_code == 403
