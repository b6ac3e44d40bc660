"""Writing agent scripts in the console: a user with service_requests:admin creates a script from the
steps as the API takes them (JSON), revises it, rehearses the draft with a customer and publishes it;
steps the console cannot read, or the API refuses, show why on the page with the text as typed; a user
who may only read or follow scripts sees no such form and is refused a forged one. The console runs in
process against a customer master and a service request service on SQLite."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from isthmus.platform import config, hub
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb
from isthmus_client.api.service_requests.v1 import scripts_pb2_grpc

from .browser_kit import Browser, console, text

LEAD = ["customers:read", "service_requests:read", "service_requests:write", "service_requests:admin"]
AGENT = ["customers:read", "service_requests:read", "service_requests:write"]
READER = ["customers:read", "service_requests:read"]

STEPS = [
    {"step_id": "greet", "prompt": "Good morning {customer_name}.", "next_step_id": "reason"},
    {
        "step_id": "reason",
        "prompt": "What can I do for you?",
        "answers": [
            {"value": "order", "label": "An order", "next_step_id": "close"},
            {"value": "other", "label": "Something <else>", "end": True},
        ],
    },
    {"step_id": "close", "prompt": "Anything else I can do for you?"},
]


@dataclass
class World:
    port: int
    scripts: scripts_pb2_grpc.ScriptServiceStub
    customers: customers_pb2_grpc.CustomerMasterServiceStub
    ida: str  # Ida Berg

    async def script(self, script_id: str) -> spb.Script:
        return (await self.scripts.GetScript(spb.GetScriptRequest(script_id=script_id))).script


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    settings = config.load(
        {
            "ISTHMUS_DATA_DIR": str(tmp_path_factory.mktemp("console-authoring")),
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    async with hub.running(settings, ["customers", "service-requests"]) as h, h.channel() as channel:
        customers = customers_pb2_grpc.CustomerMasterServiceStub(channel)
        record = pb.SourceRecord(
            source_system="erp", source_id="C1", name=pb.PersonName(given_name="Ida", family_name="Berg")
        )
        record.emails.add(address="ida.berg@example.org")
        done = await customers.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=record))
        yield World(h.port, scripts_pb2_grpc.ScriptServiceStub(channel), customers, done.result.customer_id)


@pytest.fixture
async def browser(world: World) -> AsyncIterator[Browser]:
    async with console(world.port, "Lena Lead", "lena") as found:
        yield found.sign_in(LEAD)


def textarea(page: httpx.Response, name: str = "steps") -> str:
    """What a textarea holds, as the browser reads it."""
    found = re.search(rf'<textarea[^>]* name="{name}"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert found is not None, page.text[-800:]
    return html.unescape(found[1])


def key(page: httpx.Response, action: str) -> str:
    """The request id of the form posting to ``action``."""
    form = page.text.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    found = re.search(r'name="request_id" value="([^"]+)"', form)
    assert found is not None, form
    return found[1]


async def create(browser: Browser, name: str, steps: str, description: str = "") -> httpx.Response:
    """Sends the "New script" form as the page renders it, with its key."""
    page = await browser.get("/scripts")
    assert page.status_code == 200, page.text[-800:]
    return await browser.post(
        "/scripts", name=name, description=description, steps=steps, request_id=key(page, "/scripts")
    )


async def created(browser: Browser, name: str, steps: list[dict[str, Any]] = STEPS) -> str:
    done = await create(browser, name, json.dumps(steps))
    assert done.status_code == 303, done.text[-800:]
    script_id = done.headers["location"].removeprefix("/scripts/")
    assert re.fullmatch(r"[0-9a-f-]+", script_id), done.headers["location"]
    return script_id


async def test_a_lead_creates_a_script_from_the_form(world: World, browser: Browser) -> None:
    page = await browser.get("/scripts")
    assert page.status_code == 200, page.text[-800:]
    assert 'action="/scripts"' in page.text and "New script" in page.text
    for field in ("script-name", "script-description", "script-steps"):
        assert f'<label for="{field}">' in page.text and f'id="{field}"' in page.text
    assert key(page, "/scripts") != key(await browser.get("/scripts"), "/scripts")  # one per render

    done = await create(browser, "Inbound call", json.dumps(STEPS), description="Calls <about> orders")
    assert done.status_code == 303
    script_id = done.headers["location"].removeprefix("/scripts/")
    page = await browser.follow(done)
    assert page.status_code == 200, page.text[-800:]
    shown = text(page)
    assert "Created as draft version 1" in shown and '<p class="flash" role="status">' in page.text
    assert "No version is published yet" in shown and "Draft version 1" in shown and "By Lena Lead" in shown
    assert "Calls &lt;about&gt; orders" in page.text  # escaped, as everything typed
    assert "An order (order) → close" in shown and "Something <else> (other) → end" in shown

    found = await world.script(script_id)
    assert found.name == "Inbound call" and found.latest_version == 1 and not found.published_version
    assert found.draft.actor.id == "lena" and found.draft.actor.display_name == "Lena Lead"
    assert [s.step_id for s in found.draft.steps] == ["greet", "reason", "close"]
    assert found.draft.steps[1].answers[1].end

    # The form sent again (a double click) creates one script.
    listed = await world.scripts.ListScripts(spb.ListScriptsRequest())
    page = await browser.get("/scripts")
    fields = {"name": "Twice", "steps": json.dumps(STEPS), "request_id": key(page, "/scripts")}
    first, again = await browser.post("/scripts", **fields), await browser.post("/scripts", **fields)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    after = await world.scripts.ListScripts(spb.ListScriptsRequest())
    assert len(after.scripts) == len(listed.scripts) + 1


async def test_steps_that_are_no_json_or_that_the_api_refuses_show_why_and_stay_as_typed(
    world: World, browser: Browser
) -> None:
    before = len((await world.scripts.ListScripts(spb.ListScriptsRequest())).scripts)

    typed = '[{"step_id": "greet", "prompt": "Hello <you>",}]'
    page = await create(browser, "Broken", typed, description="Typed with care")
    assert page.status_code == 400, page.text[-800:]
    shown = text(page)
    assert "Not created: the steps are not JSON: Expecting property name enclosed in double quotes" in shown
    assert '<p class="error" role="alert" id="new-script-error">' in page.text
    assert 'aria-invalid="true"' in page.text
    assert textarea(page) == typed and "Hello &lt;you&gt;" in page.text  # kept, escaped
    assert 'value="Broken"' in page.text and 'value="Typed with care"' in page.text

    typed = json.dumps([{"step_id": "greet", "prompt": "Hello", "colour": "red"}])
    page = await create(browser, "Unknown field", typed)
    assert page.status_code == 400
    assert "Not created: steps[0]: " in text(page) and 'no field named "colour"' in text(page)
    assert textarea(page) == typed

    page = await create(browser, "Not a list", '{"step_id": "greet"}')
    assert page.status_code == 400 and "the steps must be a JSON list" in text(page)

    # Read, but refused by the API: every bad field named.
    steps = [
        {"step_id": "greet", "prompt": "Hello", "answers": [{"value": "yes", "next_step_id": "clsoe"}]},
        {"step_id": "close", "prompt": "Bye {nobody}"},
    ]
    typed = json.dumps(steps, indent=2)
    page = await create(browser, "Leads nowhere", typed)
    assert page.status_code == 400, page.text[-800:]
    shown = text(page)
    assert "Not created: " in shown
    assert "steps[0].answers[0].next_step_id: names no step of the script ('clsoe')" in shown
    assert "steps[1].prompt: {nobody} is no placeholder" in shown
    assert textarea(page) == typed and 'value="Leads nowhere"' in page.text
    assert "Inbound call" in shown or "No script is defined yet." in shown  # the list still shows

    page = await create(browser, "", json.dumps(STEPS))
    assert page.status_code == 400 and "Not created: " in text(page) and "name: " in text(page)

    after = len((await world.scripts.ListScripts(spb.ListScriptsRequest())).scripts)
    assert after == before


async def test_a_lead_revises_rehearses_and_publishes_a_script(world: World, browser: Browser) -> None:
    script_id = await created(browser, "Order call")
    page = await browser.get(f"/scripts/{script_id}")
    assert f'action="/scripts/{script_id}/revise"' in page.text
    assert '<label for="revise-steps">' in page.text and '<label for="revise-note">' in page.text
    assert json.loads(textarea(page)) == STEPS  # the newest version's steps, as the API takes them
    assert '"step_id": "greet"' in textarea(page)  # proto field names, pretty
    assert ">Publish version 1</button>" in page.text
    assert ">Rehearse version 1</button>" in page.text
    assert (
        '<label for="rehearse-customer-1">' in page.text and '<label for="rehearse-direction-1">' in page.text
    )

    # Publish the draft: agents follow it; no draft left, so no publish or rehearse button.
    page = await browser.follow(await browser.post(f"/scripts/{script_id}/publish", version="1"))
    shown = text(page)
    assert "Version 1 is published: agents' new runs follow it." in shown
    assert "Published version 1" in shown and "by Lena Lead" in shown
    assert ">Publish version" not in page.text and ">Rehearse version" not in page.text
    assert (await world.script(script_id)).published_version == 1
    page = await browser.follow(await browser.post(f"/scripts/{script_id}/publish", version="1"))
    assert "Version 1 was published already." in text(page)

    # Revise: the text as the page offers it, one prompt changed, with a note.
    page = await browser.get(f"/scripts/{script_id}")
    steps = json.loads(textarea(page))
    steps[2]["prompt"] = "Thank you, {customer_name}. Anything else?"
    revise = {
        "steps": json.dumps(steps),
        "note": "Thank them",
        "request_id": key(page, f"/scripts/{script_id}/revise"),
    }
    done = await browser.post(f"/scripts/{script_id}/revise", **revise)
    page = await browser.follow(done)
    shown = text(page)
    assert "Kept as draft version 2" in shown
    assert "Published version 1" in shown and "Draft version 2" in shown and "Thank them" in shown
    assert json.loads(textarea(page)) == steps  # now the draft's
    assert ">Publish version 2</button>" in page.text and ">Rehearse version 2</button>" in page.text
    found = await world.script(script_id)
    assert found.published_version == 1 and found.latest_version == 2 and found.draft.note == "Thank them"
    again = await browser.post(f"/scripts/{script_id}/revise", **revise)  # a double click
    assert again.status_code == 303 and (await world.script(script_id)).latest_version == 2

    # Rehearse the draft with Ida: a run marked as a rehearsal, addressing her by her name.
    page = await browser.get(f"/scripts/{script_id}")
    fields = {
        "version": "2",
        "customer_id": world.ida,
        "direction": "outbound",
        "request_id": key(page, f"/scripts/{script_id}/rehearse"),
    }
    started = await browser.post(f"/scripts/{script_id}/rehearse", **fields)
    assert started.status_code == 303, started.text[-800:]
    assert re.fullmatch(r"/script-runs/[0-9a-f-]+", started.headers["location"])
    page = await browser.follow(started)
    assert '<span class="badge warn" data-testid="rehearsal">rehearsal</span>' in page.text
    assert "Order call version 2" in text(page) and "Good morning Ida Berg." in text(page)
    assert "outbound phone" in text(page)
    run_id = started.headers["location"].rsplit("/", 1)[1]
    run = (await world.scripts.GetScriptRun(spb.GetScriptRunRequest(run_id=run_id))).run
    assert run.rehearsal and run.version == 2 and run.customer_id == world.ida and run.agent.id == "lena"
    again = await browser.post(f"/scripts/{script_id}/rehearse", **fields)  # the same form again
    assert again.headers["location"] == started.headers["location"]

    # Publish the draft.
    page = await browser.follow(await browser.post(f"/scripts/{script_id}/publish", version="2"))
    assert "Version 2 is published" in text(page) and "Published version 2" in text(page)
    assert "Draft version" not in text(page)
    assert (await world.script(script_id)).published_version == 2

    # Version 2 goes wrong on the phone: back to version 1 from the list of versions.
    versions = page.text.split('data-testid="versions"')[1].split("</table>")[0]
    assert "Thank them" in versions and "Publish version 1" in versions
    assert "Publish version 2" not in versions  # the published one
    page = await browser.follow(await browser.post(f"/scripts/{script_id}/publish", version="1"))
    assert "Version 1 is published" in text(page)
    assert (await world.script(script_id)).published_version == 1


async def test_the_apis_refusals_of_a_revision_a_rehearsal_and_a_publication_show_on_the_page(
    world: World, browser: Browser
) -> None:
    script_id = await created(browser, "Refused call")
    page = await browser.get(f"/scripts/{script_id}")

    steps = json.loads(textarea(page))
    steps[1]["answers"][0]["next_step_id"] = "nowhere"
    typed = json.dumps(steps, indent=1)
    refused = await browser.post(
        f"/scripts/{script_id}/revise",
        steps=typed,
        note="Oops",
        request_id=key(page, f"/scripts/{script_id}/revise"),
    )
    assert refused.status_code == 400, refused.text[-800:]
    shown = text(refused)
    assert "Not revised: " in shown
    assert "steps[1].answers[0].next_step_id: names no step of the script ('nowhere')" in shown
    assert '<p class="error" role="alert" id="revise-error">' in refused.text
    assert textarea(refused) == typed and 'value="Oops"' in refused.text
    assert "Draft version 1" in shown  # the page as it was, the script unchanged
    assert (await world.script(script_id)).latest_version == 1

    refused = await browser.post(f"/scripts/{script_id}/revise", steps="[1, 2]", note="")
    assert refused.status_code == 400 and "Not revised: steps[0]: a step is a JSON object" in text(refused)
    assert textarea(refused) == "[1, 2]"

    page = await browser.follow(await browser.post(f"/scripts/{script_id}/publish", version="7"))
    assert "Not published: " in text(page) and '<p class="flash" role="status">' in page.text
    page = await browser.follow(await browser.post(f"/scripts/{script_id}/publish", version="x"))
    assert "Not published: say which version." in text(page)

    page = await browser.follow(
        await browser.post(f"/scripts/{script_id}/rehearse", version="1", customer_id="", direction="inbound")
    )
    assert "Not rehearsed: " in text(page) and "customer_id" in text(page)
    page = await browser.follow(
        await browser.post(
            f"/scripts/{script_id}/rehearse", version="1", customer_id="no-such-customer", direction="inbound"
        )
    )
    assert "Not rehearsed: " in text(page)
    page = await browser.follow(
        await browser.post(
            f"/scripts/{script_id}/rehearse", version="5", customer_id=world.ida, direction="inbound"
        )
    )
    assert "Not rehearsed: " in text(page) and "version" in text(page)

    missing = await browser.post(
        "/scripts/00000000-0000-7000-8000-00000000dead/revise", steps=json.dumps(STEPS)
    )
    assert missing.status_code == 404


async def test_a_user_who_may_only_read_or_follow_scripts_cannot_write_them(
    world: World, browser: Browser
) -> None:
    script_id = await created(browser, "Guarded call")
    for scopes in (READER, AGENT):
        browser.sign_in(scopes)
        listed = await browser.get("/scripts")
        assert listed.status_code == 200, listed.text[-800:]
        assert "Guarded call" in listed.text
        assert "New script" not in listed.text and '<form method="post" action="/scripts"' not in listed.text
        assert "needs the scope service_requests:admin" in text(listed)
        page = await browser.get(f"/scripts/{script_id}")
        assert page.status_code == 200 and "Draft version 1" in text(page)
        assert f'action="/scripts/{script_id}' not in page.text and "<textarea" not in page.text
        assert "needs the scope service_requests:admin" in text(page)
        for path, form in (
            ("/scripts", {"name": "Forged", "steps": json.dumps(STEPS)}),
            (f"/scripts/{script_id}/revise", {"steps": json.dumps(STEPS), "note": "forged"}),
            (f"/scripts/{script_id}/publish", {"version": "1"}),
            (
                f"/scripts/{script_id}/rehearse",
                {"version": "1", "customer_id": world.ida, "direction": "inbound"},
            ),
        ):
            refused = await browser.post(path, **form)
            assert refused.status_code == 403, (scopes, path, refused.status_code)
            assert "Not allowed" in refused.text and "service_requests:admin" in refused.text
    found = await world.script(script_id)
    assert found.latest_version == 1 and not found.published_version
    listed = await world.scripts.ListScripts(spb.ListScriptsRequest())
    assert "Forged" not in [s.name for s in listed.scripts]

    # A lead who may not follow scripts writes and publishes them, but does not rehearse.
    browser.sign_in(["service_requests:read", "service_requests:admin"])
    page = await browser.get(f"/scripts/{script_id}")
    assert ">Publish version 1</button>" in page.text and ">Rehearse version" not in page.text
    assert "Rehearsing a draft needs the scope service_requests:write too." in text(page)
    refused = await browser.post(
        f"/scripts/{script_id}/rehearse", version="1", customer_id=world.ida, direction="inbound"
    )
    assert refused.status_code == 403 and "service_requests:write" in refused.text


async def test_a_form_from_another_session_is_refused(world: World, browser: Browser) -> None:
    refused = await browser._send("POST", "/scripts", data={"csrf": "forged", "name": "x", "steps": "[]"})
    assert refused.status_code == 403 and "Form expired" in refused.text
