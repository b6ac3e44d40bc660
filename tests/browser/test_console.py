"""What a data steward, an operator and a read-only user do in the console, in headless chromium."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from isthmus.kernel.ids import is_uuid
from isthmus.platform.events.envelope import CONTENT_TYPE, new_envelope
from isthmus_client import Hub as Stubs
from isthmus_client import connect
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import service_requests_pb2 as sev
from isthmus_client.api.orders.v1 import order_pb2 as order_pb
from isthmus_client.api.orders.v1 import orders_pb2 as orders_api
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb
from isthmus_client.api.service_requests.v1 import scripts_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp

from .conftest import Hub

pytestmark = pytest.mark.slow


def person(system: str, sid: str, given: str, family: str, **fields: Any) -> pb.SourceRecord:
    record = pb.SourceRecord(
        source_system=system, source_id=sid, name=pb.PersonName(given_name=given, family_name=family)
    )
    if "email" in fields:
        record.emails.add(address=fields["email"])
    if "phone" in fields:
        record.phones.add(number=fields["phone"])
    if "dob" in fields:
        y, m, d = fields["dob"]
        record.birth_date.CopyFrom(common_pb2.Date(year=y, month=m, day=d))
    if "street" in fields:
        address = common_pb2.PostalAddress(
            address_lines=[fields["street"]], postal_code=fields["postcode"], region_code="DE"
        )
        record.addresses.add(address=address)
    return record


class World:
    """What the tests find in the hub: a pair waiting for a steward, a person to search for."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        channel = connect(f"127.0.0.1:{hub.grpc_port}", token=hub.token("loader"))
        self.stubs = Stubs(channel)
        self.review_customer = self.existing_customer = ""
        self.ida = self.quentin = ""

    def upsert(self, record: pb.SourceRecord) -> api.UpsertResult:
        return self.stubs.customers.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=record)).result

    def seed(self) -> None:
        # Same name, birth dates a digit apart, another address and phone: the matcher cannot decide.
        a = self.upsert(person("erp", "V1", "Greta", "Hahn", street="Am Markt 1", postcode="20095",
                               phone="+49 40 1234567", dob=(1980, 5, 17)))  # fmt: skip
        b = self.upsert(person("webshop", "V2", "Greta", "Hahn", street="Seeweg 9", postcode="80331",
                               phone="+49 89 7654321", dob=(1980, 5, 18)))  # fmt: skip
        assert b.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED, b
        self.existing_customer, self.review_customer = a.customer_id, b.customer_id
        ida = self.upsert(person("erp", "I1", "Ida", "Berg", email="ida.berg@example.org", dob=(1990, 1, 2)))
        self.ida = ida.customer_id
        # A source that sends a date of birth that is no date and an address that is no address.
        quentin = person("erp", "Q1", "Quentin", "Quast", email="quentin(at)example.org", dob=(1945, 4, 93))
        self.quentin = self.upsert(quentin).customer_id

    def dead_letter(self, subject: str) -> None:
        """An event the customer 360's consumer gave up on (as if its handler had failed five times)."""
        interaction = srp.Interaction(
            interaction_id=str(uuid.uuid4()), customer_id=self.ida, subject=subject, body="Where is it?"
        )
        interaction.occur_time.FromDatetime(datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
        envelope = new_envelope(
            sev.InteractionLogged(interaction=interaction),
            aggregate_id=self.ida,
            correlation_id="c",
            causation_id="",
            producer="service-requests",
            occurred_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        )
        with sqlite3.connect(Path(self.hub.data_dir) / "customers.sqlite") as db:
            db.execute(
                "INSERT INTO dead_letters (consumer, event_id, routing_key, content_type, type, body, reason,"
                " last_error, attempts, dead_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    "isthmus.customers.customer360",
                    envelope.event_id,
                    envelope.type,
                    CONTENT_TYPE,
                    envelope.type,
                    envelope.SerializeToString(),
                    "handler failed 5 times",
                    "Traceback (most recent call last): ... OperationalError: database is locked",
                    5,
                    datetime.now(UTC).isoformat(sep=" "),
                ),
            )


@pytest.fixture(scope="session")
def world(console_hub: Hub) -> World:
    w = World(console_hub)
    w.seed()
    return w


async def sign_in(page: Page, hub: Hub, who: str, then: str = "/reviews") -> None:
    await page.goto(hub.console + then)
    await expect(page).to_have_url(re.compile(r"/signin\?next="))
    await page.get_by_label("Access token").fill(hub.token(who))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("user")).to_have_text(who)


async def shot(page: Page, folder: Path | None, name: str) -> None:
    if folder is not None:
        await page.screenshot(
            path=str(folder / f"console-{name}.png"), full_page=False, animations="disabled"
        )


async def test_a_wrong_token_does_not_sign_in(page: Page, console_hub: Hub) -> None:
    await page.goto(console_hub.console + "/signin")
    await page.get_by_label("Access token").fill("not-a-token-anyone-has")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("The hub does not know this token.")
    await page.goto(console_hub.console + "/customers")
    await expect(page).to_have_url(re.compile(r"/signin"))


async def test_steward_resolves_a_review_as_match_with_the_keyboard_and_sees_the_customers_merged(
    page: Page, console_hub: Hub, world: World, screenshots: Path | None
) -> None:
    await sign_in(page, console_hub, "steward")
    queue = page.get_by_role("table")
    await expect(queue.get_by_role("row")).to_have_count(2)  # the header and Greta's review
    await shot(page, screenshots, "reviews")
    await queue.get_by_role("link", name="Greta Hahn").click()
    await expect(page.get_by_role("heading", name="Same person?")).to_be_visible()
    comparisons = page.get_by_role("table", name="Every comparison and its weight")
    await expect(comparisons.get_by_role("row").nth(1)).to_be_visible()
    sides = page.get_by_role("table", name=re.compile("Both sides"))
    await expect(sides).to_contain_text("erp:V1")
    await expect(sides).to_contain_text("webshop:V2")
    # What a match would produce, computed by the API without changing anything.
    merged = page.get_by_test_id("merged")
    await expect(merged).to_contain_text("erp:V1")
    await expect(merged).to_contain_text("webshop:V2")
    await shot(page, screenshots, "review")
    await page.keyboard.press("c")
    await page.keyboard.type("same person, moved to Munich")
    await page.keyboard.press("Escape")
    await page.keyboard.press("m")
    await expect(page.get_by_role("status")).to_have_text(
        f"Matched: {world.review_customer} was merged into {world.existing_customer}."
    )
    await expect(page).to_have_url(f"{console_hub.console}/customers/{world.existing_customer}")
    await expect(page.get_by_test_id("sources")).to_contain_text("erp:V1")
    await expect(page.get_by_test_id("sources")).to_contain_text("webshop:V2")
    await page.goto(f"{console_hub.console}/customers/{world.review_customer}")
    await expect(page.get_by_test_id("state")).to_have_text("merged")
    await page.goto(f"{console_hub.console}/customers/{world.existing_customer}/history")
    merged = page.get_by_role("row").filter(has_text="merged")
    await expect(merged).to_contain_text("same person, moved to Munich")
    await expect(merged).to_contain_text("steward")


async def test_steward_unmerges_and_both_customers_are_back(
    page: Page, console_hub: Hub, world: World, screenshots: Path | None
) -> None:
    survivor = world.existing_customer
    if (
        world.stubs.customers.GetCustomer(
            api.GetCustomerRequest(customer_id=world.review_customer)
        ).customer.state
        != 2
    ):
        pytest.skip("runs after the review was resolved as a match")
    await sign_in(page, console_hub, "steward", f"/customers/{survivor}")
    unmerge = page.locator("form", has=page.get_by_role("heading", name="Unmerge"))
    await expect(unmerge.get_by_role("checkbox", name=world.review_customer)).to_be_checked()
    await unmerge.get_by_label("Reason").fill("different birthdays after all")
    await unmerge.get_by_role("button", name="Unmerge").click()
    await expect(page.get_by_role("status")).to_have_text(f"Unmerged: restored {world.review_customer}.")
    await expect(page.get_by_test_id("sources")).not_to_contain_text("webshop:V2")
    await page.goto(f"{console_hub.console}/customers/{world.review_customer}")
    await expect(page.get_by_test_id("state")).to_have_text("active")
    await expect(page.get_by_test_id("sources")).to_contain_text("webshop:V2")


async def test_search_by_email_opens_the_360(
    page: Page, console_hub: Hub, world: World, screenshots: Path | None
) -> None:
    await sign_in(page, console_hub, "reader", "/customers")
    await page.get_by_label("Email (exact)").fill("ida.berg@example.org")
    await page.get_by_role("button", name="Search").click()
    await shot(page, screenshots, "search")
    await page.get_by_role("link", name="Ida Berg").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Ida Berg")
    golden = page.get_by_role("table").first
    await expect(golden.get_by_role("row", name=re.compile("birth_date"))).to_contain_text("1990-01-02")
    await expect(golden).to_contain_text("erp:I1")
    await shot(page, screenshots, "customer360")
    # By source id: straight to the customer.
    await page.goto(console_hub.console + "/customers?source_system=erp&source_id=I1")
    await expect(page).to_have_url(f"{console_hub.console}/customers/{world.ida}")


async def test_operator_replays_a_dead_letter_and_the_event_reaches_the_360(
    page: Page, console_hub: Hub, world: World, screenshots: Path | None
) -> None:
    world.dead_letter("Asked about her delivery")
    await sign_in(page, console_hub, "operator", "/operations/events?component=customers")
    letters = page.locator("#letters")
    await expect(letters).to_contain_text("service_requests.InteractionLogged")
    await expect(letters).to_contain_text("handler failed 5 times")
    await shot(page, screenshots, "events")
    await letters.get_by_role("checkbox").first.check()
    await letters.get_by_role("button", name="Replay chosen").click()
    await expect(page.get_by_role("status")).to_have_text("Replay asked for 1 dead letter(s) of customers.")
    for _ in range(50):  # the consumer redelivers within about a second
        await page.reload()
        if await page.get_by_text("No dead letters.").count():
            break
        await page.wait_for_timeout(200)
    await expect(page.get_by_text("No dead letters.")).to_be_visible()
    await page.goto(f"{console_hub.console}/customers/{world.ida}")
    await expect(page.locator(".timeline")).to_contain_text("Asked about her delivery")


async def test_the_360_shows_how_the_customer_pays(page: Page, console_hub: Hub, world: World) -> None:
    """Orders reach the value context, and its credit rank and what is owed the customer's 360: one
    order whose payment failed, one not paid yet."""

    def order(total: str) -> order_pb.Order:
        return world.stubs.orders.CreateOrder(
            orders_api.CreateOrderRequest(
                source_system="webshop",
                external_order_id=f"B-{uuid.uuid4().hex[:10]}",
                customer_id=world.ida,
                channel=order_pb.ORDER_CHANNEL_WEB,
                currency_code="EUR",
                lines=[order_pb.OrderLine(sku="A", quantity=1, unit_price=common_pb2.Money(amount=total))],
            )
        ).order

    failed = order("30.00")
    world.stubs.orders.CancelOrder(
        orders_api.CancelOrderRequest(
            order_id=failed.order_id, reason_code=order_pb.CANCELLATION_REASON_PAYMENT_FAILED
        )
    )
    order("12.50")
    await sign_in(page, console_hub, "reader", f"/customers/{world.ida}")
    credit = page.locator("dt:text-is('Credit') + dd")
    orders = page.locator("dt:text-is('Orders') + dd")
    for _ in range(50):  # the events reach the value context and the 360, within a second or two
        # Each on its own queue: the credit rank may come before the 360 has the second order.
        if (
            await credit.count()
            and "failed" in await credit.inner_text()
            and "owes" in await orders.inner_text()
        ):
            break
        await page.wait_for_timeout(200)
        await page.reload()
    await expect(credit).to_contain_text("fair")
    await expect(credit).to_contain_text("1 payment failed in the last 365 days")
    # What she owes comes from the orders themselves: the order not paid yet, not the cancelled one.
    await expect(orders).to_contain_text("owes 12.50 EUR")


async def test_a_read_only_token_sees_no_button_and_cannot_change_anything(
    page: Page, console_hub: Hub, world: World
) -> None:
    await sign_in(page, console_hub, "reader", f"/customers/{world.ida}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Ida Berg")
    await expect(page.get_by_role("button", name="Merge")).to_have_count(0)
    await expect(page.get_by_role("link", name="privacy")).to_have_count(0)
    await page.goto(f"{console_hub.console}/operations/events?component=customers")
    await expect(page.get_by_role("button", name=re.compile("Replay|Discard"))).to_have_count(0)
    # A form forged in the page, with the session's own CSRF token, is still refused: no scope.
    csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
    for path, form in (
        (f"/customers/{world.ida}/merge", {"merged_id": world.existing_customer, "reason": "x"}),
        (f"/customers/{world.ida}/erase", {"confirm": world.ida, "reason": "x"}),
        ("/operations/events/discard", {"component": "customers", "id": "1"}),
    ):
        response = await page.request.post(console_hub.console + path, form={"csrf": csrf or "", **form})
        assert response.status == 403, (path, response.status)
    still = world.stubs.customers.GetCustomer(api.GetCustomerRequest(customer_id=world.ida)).customer
    assert still.state == pb.CUSTOMER_STATE_ACTIVE


async def test_a_form_without_the_session_csrf_token_is_refused(
    page: Page, console_hub: Hub, world: World
) -> None:
    await sign_in(page, console_hub, "steward", f"/customers/{world.ida}")
    response = await page.request.post(
        f"{console_hub.console}/customers/{world.ida}/merge",
        form={"csrf": "guessed", "merged_id": world.existing_customer, "reason": "x"},
    )
    assert response.status == 403
    assert "Form expired" in await response.text()
    headers = (await page.request.get(f"{console_hub.console}/customers/{world.ida}")).headers
    assert "script-src 'self'" in headers["content-security-policy"]
    cookie = next(c for c in await page.context.cookies() if c["name"] == "isthmus_console")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"


async def test_sign_in_with_openid_connect_maps_the_users_roles_to_scopes(
    page: Page, console_hub: Hub, world: World
) -> None:
    await page.goto(console_hub.console + "/reviews")
    await page.get_by_role("link", name="Sign in with your organisation's account").click()
    await expect(page.get_by_test_id("user")).to_have_text("Olga Steward")
    await expect(page).to_have_url(f"{console_hub.console}/reviews")
    await page.goto(f"{console_hub.console}/customers/{world.ida}")
    await expect(page.get_by_role("button", name="Merge")).to_be_visible()
    # The role grants no operations scope: the console refuses before calling the API.
    await expect(page.get_by_role("link", name="Events")).to_have_count(0)
    response = await page.request.get(f"{console_hub.console}/operations/events")
    assert response.status == 403


async def test_operator_replays_a_connector_dead_letter_from_the_connectors_page(
    page: Page, console_hub: Hub
) -> None:
    await sign_in(page, console_hub, "operator", "/operations/connectors?instance=callcenter")
    letters = page.locator("#connector-letters")
    for _ in range(50):  # the instance syncs once at start
        if await letters.count():
            break
        await page.wait_for_timeout(200)
        await page.reload()
    await expect(letters).to_contain_text("3 fields, expected 9")
    row = letters.get_by_role("row").filter(has_text="3 fields, expected 9").first
    await expect(row.get_by_role("cell").nth(5)).to_have_text("0")
    dead_letter_id = await row.get_by_role("cell").nth(1).text_content()
    assert is_uuid(str(dead_letter_id))  # named by the id the hub minted (rule 8)
    await row.get_by_role("checkbox").check()
    await letters.get_by_role("button", name="Replay chosen").click()
    # A malformed line stays a dead letter (only the source can mend it), now replayed once.
    await expect(page.get_by_role("status")).to_have_text(
        "Replayed 1 dead letter(s) of callcenter: 0 delivered, 1 refused again."
    )
    replayed = page.locator("#connector-letters").get_by_role("row").filter(has_text="3 fields, expected 9")
    await expect(replayed.filter(has_text=str(dead_letter_id)).get_by_role("cell").nth(5)).to_have_text("1")
    await page.locator("#connector-letters").get_by_role("button", name="Replay all of callcenter").click()
    await expect(page.get_by_role("status")).to_contain_text("0 delivered")


async def test_operator_sees_each_connector_stream_and_discards_its_dead_letter(
    page: Page, console_hub: Hub, screenshots: Path | None
) -> None:
    await sign_in(page, console_hub, "operator", "/operations/connectors")
    streams = page.get_by_role("table", name="Streams of callcenter")
    for _ in range(50):  # the instance syncs once at start
        if (
            await streams.get_by_role("row", name=re.compile("^interactions"))
            .filter(has_text="succeeded")
            .count()
        ):
            break
        await page.wait_for_timeout(200)
        await page.reload()
    interactions = streams.get_by_role("row", name=re.compile("^interactions"))
    await expect(interactions).to_contain_text("succeeded")
    await page.goto(console_hub.console + "/operations/connectors?instance=callcenter")
    letters = page.locator("#connector-letters")
    await expect(letters).to_contain_text("3 fields, expected 9")
    await shot(page, screenshots, "connectors")
    count = await letters.get_by_role("checkbox").count()
    for i in range(count):
        await letters.get_by_role("checkbox").nth(i).check()
    page.once("dialog", lambda dialog: dialog.accept())
    await letters.get_by_role("button", name="Discard chosen").click()
    await expect(page.get_by_role("status")).to_have_text(f"Discarded {count} dead letter(s) of callcenter.")
    await expect(page.get_by_text("No dead letters.")).to_be_visible()


UNLABELLED = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
    .map(e => e.outerHTML)"""


async def test_every_control_is_labelled_and_every_page_fits_a_tablet(
    browser: Any, console_hub: Hub, world: World
) -> None:
    context = await browser.new_context(viewport={"width": 768, "height": 1024})
    try:
        page = await context.new_page()
        await sign_in(page, console_hub, "operator", "/customers")
        for path in (
            "/reviews",
            "/customers?q=Ida",
            f"/customers/{world.ida}",
            f"/customers/{world.ida}/history",
            "/operations/events?component=customers",
            "/operations/connectors",
            "/quality",
        ):
            await page.goto(console_hub.console + path)
            assert await page.evaluate(UNLABELLED) == [], path
            overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
        # The first Tab reaches the skip link, which moves focus past the navigation.
        await page.keyboard.press("Tab")
        assert await page.evaluate("() => document.activeElement.textContent") == "Skip to content"

        # An agent's and a script author's pages: the forms to follow, write and publish scripts.
        channel = connect(f"127.0.0.1:{console_hub.grpc_port}", token=console_hub.token("loader"))
        script = (
            scripts_pb2_grpc.ScriptServiceStub(channel)
            .CreateScript(
                spb.CreateScriptRequest(
                    name="Tablet check",
                    steps=[spb.ScriptStep(step_id="hello", prompt="Hello {customer_name}.")],
                )
            )
            .script
        )
        await page.context.clear_cookies()
        await sign_in(page, console_hub, "agent", "/scripts")
        for path in ("/scripts", f"/scripts/{script.script_id}", "/calls?all=1", f"/customers/{world.ida}"):
            await page.goto(console_hub.console + path)
            assert await page.evaluate(UNLABELLED) == [], path
            overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
    finally:
        await context.close()


async def test_steward_pages_through_data_quality_findings_and_opens_the_customer(
    page: Page, console_hub: Hub, world: World, screenshots: Path | None
) -> None:
    await sign_in(page, console_hub, "reader", "/quality")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Data quality")
    trend = page.get_by_role("table", name=re.compile("Findings that arrived"))
    await expect(trend.get_by_role("row").nth(1)).to_contain_text("calendar_date 1")  # today's, newest first
    findings = page.get_by_role("table", name=re.compile("Data-quality findings"))
    await expect(findings.get_by_role("row", name=re.compile("birth_date"))).to_contain_text("1945-04-93")
    await expect(findings.get_by_role("row", name=re.compile("emails"))).to_contain_text(
        "quentin(at)example.org"
    )
    await shot(page, screenshots, "quality")
    await page.get_by_label("Rule").fill("calendar_date")
    await page.get_by_role("button", name="Apply").click()
    await expect(findings.get_by_role("row")).to_have_count(2)  # the header and the date of birth
    await page.get_by_role("link", name="erp:Q1").click()
    await expect(page).to_have_url(f"{console_hub.console}/customers/{world.quentin}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Quentin Quast")


async def test_steward_exports_a_person_and_erases_them_after_typing_their_id(
    page: Page, console_hub: Hub, world: World
) -> None:
    done = world.upsert(person("webshop", "E1", "Ole", "Vik", email="ole.vik@example.org", dob=(1970, 3, 4)))
    cid = done.customer_id
    await sign_in(page, console_hub, "steward", f"/customers/{cid}")
    await page.get_by_role("link", name="privacy").click()
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download export").click()
    download = await info.value
    assert download.suggested_filename == f"customer-{cid}.json"
    exported = await asyncio.to_thread(Path(await download.path()).read_text)
    assert "ole.vik@example.org" in exported and "webshop" in exported
    erase = page.locator("form", has=page.get_by_role("heading", name="Erase (right to erasure)"))
    await erase.get_by_label("Reason").fill("GDPR art. 17 request")
    await erase.get_by_label(re.compile("Type the customer id")).fill("not the id")
    await erase.get_by_role("button", name="Erase this person").click()
    await expect(page.get_by_role("status")).to_have_text("Not erased: type the customer's id to confirm.")
    await erase.get_by_label("Reason").fill("GDPR art. 17 request")
    await erase.get_by_label(re.compile("Type the customer id")).fill(cid)
    await erase.get_by_role("button", name="Erase this person").click()
    await expect(page.get_by_role("status")).to_contain_text(f"Erased {cid}")
    await expect(page.get_by_test_id("state")).to_have_text("erased")
    gone = world.stubs.customers.GetCustomer(api.GetCustomerRequest(customer_id=cid)).customer
    assert gone.state == pb.CUSTOMER_STATE_ERASED and not gone.emails


async def test_an_agent_follows_a_script_with_a_caller_screen_by_screen(
    page: Page, console_hub: Hub, world: World
) -> None:
    channel = connect(f"127.0.0.1:{console_hub.grpc_port}", token=console_hub.token("loader"))
    scripts = scripts_pb2_grpc.ScriptServiceStub(channel)
    name = f"Order call {uuid.uuid4().hex[:6]}"
    steps = [
        spb.ScriptStep(step_id="greet", prompt="Good morning {customer_name}.", next_step_id="reason"),
        spb.ScriptStep(
            step_id="reason",
            prompt="What can I do for you?",
            answers=[spb.ScriptAnswer(value="order", label="An order", next_step_id="which")],
        ),
        spb.ScriptStep(step_id="which", prompt="Which order?", free_text=True),
    ]
    created = scripts.CreateScript(spb.CreateScriptRequest(name=name, steps=steps)).script
    scripts.PublishScript(spb.PublishScriptRequest(script_id=created.script_id, version=1))

    await sign_in(page, console_hub, "agent", then=f"/customers/{world.ida}")
    await page.get_by_label("Script", exact=True).select_option(label=name)
    await page.get_by_role("button", name="Start the script").click()
    await expect(page.get_by_test_id("prompt")).to_have_text("Good morning Ida Berg.")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_test_id("prompt")).to_have_text("What can I do for you?")
    await page.get_by_role("button", name="An order").click()
    await page.get_by_label("What the customer said").fill("INV-24-001, the tea")
    await page.get_by_role("button", name="Record the answer").click()
    await expect(page.get_by_test_id("logged")).to_contain_text("Logged on the customer's record")
    await expect(page.get_by_text("INV-24-001, the tea")).to_be_visible()
