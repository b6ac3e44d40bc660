"""``isthmus demo``: the hub in-process, three simulated source systems with messy overlapping data
about the same people, the three reference connectors, and what came of it.

Everything runs in this process on embedded SQLite under a temporary directory and the in-process
event bus; nothing outside is touched. Where a hub service is not available in this build, the demo
says so instead of pretending.

``isthmus demo --deployed`` runs the same story against deployed components instead (the Tilt loop
runs it in the connectors pod): the simulated systems and the connectors run in this process, and
records go to the APIs the connectors component's settings name (ISTHMUS_CONNECTORS_*_TARGET,
TLS, token), with the connector state in its database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import grpc

from isthmus import demo_campaigns, demo_scripts
from isthmus.connectors import webhooks
from isthmus.connectors.channels import HubChannels, hub_settings
from isthmus.connectors.engine import Syncer
from isthmus.connectors.hub import GrpcHub, HubRefused
from isthmus.connectors.idmap import SqlIdMap
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.connectors.runtime import ConnectorRuntime, Instance
from isthmus.connectors.state import SqlStateStore
from isthmus.kernel.enums import label
from isthmus.platform import config
from isthmus.platform.component import Runtime
from isthmus.platform.hub import running
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc, records_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp
from isthmus_client.api.value.v1 import value_pb2, value_pb2_grpc

HUB = ["customers", "orders", "loyalty", "service-requests", "value", "connectors"]
ANNA_IN_ERP: list[str] = []  # her current ERP contact id, set by seed()
SHOPPERS: list[int] = []  # the shop ids of the customers who later leave a cart, set by seed()


def seed(directory: Path) -> tuple[list[Instance], list[Any]]:
    """The same people as each system knows them: other spellings, old addresses, duplicate accounts."""
    from isthmus_connector_callcenter.simulator import CallCenterSimulator
    from isthmus_connector_ecommerce.simulator import ShopSimulator
    from isthmus_connector_erp.simulator import ErpSimulator

    erp = ErpSimulator(directory, seed=0)
    # A duplicate account for the same person, typed years ago with a misspelt name.
    old = erp.add_account("Schmidt Feinkost", "Lindenweg 4", "80331", "Muenchen", "DE")
    erp.add_contact(old, "Anna", "Schmitt", email="ANNA.SCHMIDT@schmidt-feinkost.de", birth_date="29.02.1980")
    schmidt = erp.add_account("Schmidt Feinkost KG", "Lindenweg 4", "80331", "München", "Deutschland")
    anna = erp.add_contact(schmidt, "Anna", "Schmidt", email="anna.schmidt@schmidt-feinkost.de",
                           phone="089 1234567", birth_date="29.02.1980", salutation="Frau")  # fmt: skip
    hamburg = erp.add_account("", "Am Markt 2", "20095", "Hamburg", "Germany")
    meyer = erp.add_contact(
        hamburg,
        "Jonas",
        "Meyer",
        email="j.meyer@posteo.example",
        phone="040 7654321",
        birth_date="12.07.1975",
    )
    # The ERP counts its articles; the hub keeps their stock, and an invoice for more than is on the
    # shelf waits on backorder for the next delivery.
    erp.set_stock("OIL-5", "Olive oil 5l", 12)
    erp.set_stock("TEA-1", "Green tea", 2, next_delivery=date(2024, 6, 3))
    erp.add_invoice(anna, "INV-24-001", [("OIL-5", "Olive oil 5l", 2, "39.90")], day=2)
    erp.add_invoice(meyer, "INV-24-002", [("TEA-1", "Green tea", 3, "7.50")], day=5)

    shop = ShopSimulator(directory, seed=0, rate_limit_every=3)
    rosenstr = {"address1": "Rosenstr. 9", "zip": "80331", "city": "München", "country_code": "DE"}
    web_anna = shop.add_customer(
        "Anna",
        "Schmidt",
        "anna.schmidt@schmidt-feinkost.de",
        phone="+49 89 1234567",
        default_address=rosenstr,
    )
    web_jonas = shop.add_customer("Jonas", "Meier", "jonas.meier@gmail.example", phone="+49 40 7654321")
    shop.add_customer("Lena", "Vogel", "lena.vogel@web.example")
    shop.add_order(web_anna["id"], [("BAS-2", "Basket", 1, "24.00"), ("OIL-1", "Olive oil 1l", 2, "9.95")])
    shop.add_order(web_jonas["id"], [("MUG-1", "Mug", 2, "12.50")])

    calls = CallCenterSimulator(directory, seed=0)
    calls.drop("callers", [
        calls.caller("K-0815", "Schmidt, Anna", phone="089/123 45 67", street="Lindenweg 4", zip_code="80331",
                     city="München"),
        calls.caller("K-0816", "Meyer, Jonas", phone="040 765 4321"),
    ])  # fmt: skip
    calls.drop("calls", [
        calls.call("C-1", "K-0815", topic="Damaged delivery", complaint=True, notes="Bottle broken"),
        calls.call("C-2", "K-0815", topic="Follow-up", started="04.05.2024 09:30", notes="Replacement sent"),
        calls.call("C-3", "K-0816", topic="Invoice question", notes="Explained VAT line"),
        ["C-4", "K-0816", "broken line"],
    ])  # fmt: skip
    ANNA_IN_ERP[:] = [str(anna)]
    SHOPPERS[:] = [web_jonas["id"], web_anna["id"]]
    instances = [
        Instance("erp", "erp", erp.config()),
        Instance("webshop", "ecommerce", shop.config()),
        Instance("callcenter", "callcenter", calls.config()),
    ]
    return instances, [erp, shop, calls]


async def run(
    out: Callable[[str], None] = print,
    data_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    serve: bool = False,
    console_port: int | None = None,
) -> dict[str, Any]:
    """The demo story; ``environ`` adds settings (e.g. ``ISTHMUS_AMQP_URL`` to run it over RabbitMQ).
    With ``serve`` the hub keeps running afterwards, with the web console, until SIGTERM/SIGINT."""
    with tempfile.TemporaryDirectory(prefix="isthmus-demo-") as tmp:
        directory = Path(data_dir or tmp)
        settings = config.load({"ISTHMUS_DATA_DIR": str(directory / "hub"), "ISTHMUS_AUTH_DISABLED": "true",
                                "ISTHMUS_GRPC_PORT": "0", "ISTHMUS_METRICS_PORT": "0",
                                **(environ or {})})  # fmt: skip
        instances, simulators = seed(directory)
        try:
            async with running(settings, HUB) as hub:
                channel = hub.channel()
                try:
                    drain = lambda: hub.runtime.bus.drain(timeout=30)  # noqa: E731
                    summary = await _sync_and_report(
                        hub.runtime.engine("connectors"), channel, channel, (), instances, simulators[1],
                        out, drain, _refit_value(channel),
                    )  # fmt: skip
                    summary["campaign"] = await demo_campaigns.run(
                        hub.runtime.engine("connectors"),
                        channel,
                        simulators[1],
                        instances[1],
                        SHOPPERS,
                        out,
                        drain,
                    )
                    summary["calls"] = await demo_scripts.run(channel, SHOPPERS, out, drain)
                finally:
                    await channel.close()
                if serve:
                    await _serve_console(settings, hub.port, console_port, out)
                return summary
        finally:
            for sim in simulators:
                sim.close()


async def run_deployed(out: Callable[[str], None] = print) -> dict[str, Any]:
    """The story against deployed components, as the connectors component would deliver it."""
    settings = config.load()
    hub = hub_settings(settings)
    channels = HubChannels(hub)
    runtime = Runtime(settings)
    metadata = (("authorization", f"Bearer {hub.token}"),) if hub.token else ()
    stub = customers_pb2_grpc.CustomerMasterServiceStub(channels.customers)
    with tempfile.TemporaryDirectory(prefix="isthmus-demo-") as tmp:
        seeded, simulators = seed(Path(tmp))
        # Fresh instance names: each run reads its simulators from the start; the people are the same.
        run = uuid.uuid4().hex[:6]
        instances = [dataclasses.replace(i, name=f"demo-{run}-{i.name}") for i in seeded]
        try:
            return await _sync_and_report(
                runtime.engine("connectors"), channels, channels.customers, metadata, instances,
                simulators[1], out, lambda: _settled(stub, metadata),
            )  # fmt: skip
        finally:
            for sim in simulators:
                sim.close()
            await channels.close()
            await runtime.close()


async def _settled(
    stub: Any, metadata: Sequence[tuple[str, str]], quiet_s: float = 3, limit_s: float = 60
) -> None:
    """Events flow between deployed components on their own time: wait until the 360s stop changing."""
    last, since, deadline = None, time.monotonic(), time.monotonic() + limit_s
    while time.monotonic() < deadline:
        found = await stub.SearchCustomers(
            customers_pb2.SearchCustomersRequest(page_size=500), metadata=metadata
        )
        views = []
        for c in found.customers:
            request = customers_pb2.GetCustomer360Request(customer_id=c.customer_id)
            views.append(
                ((await stub.GetCustomer360(request, metadata=metadata)).customer360).SerializeToString()
            )
        now = sorted(views)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        await asyncio.sleep(0.5)


async def _sync_and_report(
    engine: Any,
    hub: Any,
    channel: grpc.aio.Channel,
    metadata: Sequence[tuple[str, str]],
    instances: list[Instance],
    shop: Any,
    out: Callable[[str], None],
    settle: Callable[[], Awaitable[Any]],
    refit: Callable[[], Awaitable[Any]] | None = None,
) -> dict[str, Any]:
    plugins = get_plugin_manager({})
    store = SqlStateStore(engine)
    token = dict(metadata).get("authorization", "").removeprefix("Bearer ") or None
    syncer = Syncer(store, GrpcHub(hub, SqlIdMap(engine), token=token), plugins)
    connectors = ConnectorRuntime(instances, plugins, syncer)
    summary: dict[str, Any] = {"read": 0, "accepted": 0, "rejected": 0, "outcomes": Counter(), "refused": []}
    out("Syncing three source systems into the hub...\n")
    try:
        # The shop pushes Anna's account as a webhook: the endpoint keeps it, the sync reads it.
        endpoint = await webhooks.start(connectors, "127.0.0.1", 0)
        try:
            shop.subscribe(f"http://127.0.0.1:{endpoint.port}/webhooks/{instances[1].name}")
            anna = shop.data["customers"][SHOPPERS[1]]
            status = await asyncio.to_thread(shop.send_webhook, "customers/update", anna)
        finally:
            await endpoint.stop()
        out(f"  {instances[1].name:<10} webhook          customers/update answered {status}")
        for inst in instances:
            for stream in connectors.streams(inst.name):
                try:
                    (r,) = await connectors.sync(inst.name, [stream], progress=False)  # one line each below
                except HubRefused as exc:
                    summary["refused"].append(f"{inst.name}/{stream}")
                    out(f"  {inst.name:<10} {stream:<16} hub refused: {exc}")
                    continue
                summary["read"] += r.read
                summary["accepted"] += r.accepted
                summary["rejected"] += r.rejected
                if stream == "customers":
                    summary["outcomes"].update(r.outcomes)
                out(f"  {inst.name:<10} {stream:<16} read {r.read:>3}  accepted {r.accepted:>3}  "
                    f"dead-lettered {r.rejected}")  # fmt: skip
        for inst in instances:
            for dead in await store.dead_letters(inst.name):
                out(f"    dead letter, {inst.name} {dead.stream}: {dead.reason}")
        # Orders -> loyalty points, cases -> contact suppression, everything -> the 360: all by events.
        await settle()
        if refit is not None:
            # The value models, fitted on what just arrived, tier the customers (the 360 hears of it).
            await refit()
            await settle()
        # Deployed, each API has its own address; in one process the hub's channel serves them all.
        orders = hub.orders if isinstance(hub, HubChannels) else channel
        await _report(channel, orders, metadata, summary, out)
    finally:
        connectors.close()
    return summary


async def _serve_console(
    settings: config.Settings, grpc_port: int, console_port: int | None, out: Callable[[str], None]
) -> None:
    from isthmus.console.main import beside_hub
    from isthmus.platform.server import stop_signals, until_signalled

    stopping = stop_signals()
    console = await beside_hub(settings, grpc_port, console_port)
    if console is None:
        out(f"\nThe hub keeps running on port {grpc_port} (gRPC, no authentication); Ctrl-C stops it.")
    else:
        out(f"\nThe web console, with the demo data loaded: http://127.0.0.1:{console.port}/")
        out(f"(the hub's gRPC API is on port {grpc_port}, without authentication; Ctrl-C stops both)")
    sys.stdout.flush()  # the address must reach a pipe now, not when the process ends
    try:
        await until_signalled(stopping)
    finally:
        if console is not None:
            await console.stop()


def _money(amounts: Any) -> str:
    return ", ".join(f"{m.amount} {m.currency_code}" for m in amounts) or "nothing paid"


def _worth(value: Any) -> str:
    """A customer's value line from the 360 (the value service's events)."""
    if not value.lifetime_value.currency_code:
        return "value: nothing bought yet"
    tier = f"tier {label(common_pb2.ValueTier, value.tier)}" if value.tier else "not tiered yet"
    risk = ", at risk of churning" if value.churn_risk else ""
    credit = label(common_pb2.CreditRank, value.credit_rank).lower() or "not ranked yet"
    return (
        f"value {value.lifetime_value.amount} {value.lifetime_value.currency_code} ({tier}{risk}; "
        f"historical {value.historical_value.amount}, predicted {value.predicted_value.amount}); "
        f"credit {credit}"
    )


def _refit_value(channel: grpc.aio.Channel) -> Callable[[], Awaitable[Any]]:
    async def refit() -> Any:
        stub = value_pb2_grpc.ValueServiceStub(channel)
        return await stub.RefitValueModel(value_pb2.RefitValueModelRequest())

    return refit


def _name(customer: Any) -> str:
    return f"{customer.name.given_name} {customer.name.family_name}".strip() or customer.name.full_name


async def _report(
    channel: grpc.aio.Channel,
    orders_channel: grpc.aio.Channel,
    metadata: Sequence[tuple[str, str]],
    summary: dict[str, Any],
    out: Callable[[str], None],
) -> None:
    outcomes = summary["outcomes"]
    source_records = sum(outcomes.values())
    auto = outcomes["LINKED_DETERMINISTIC"] + outcomes["LINKED_PROBABILISTIC"]
    golden = outcomes["NEW_CUSTOMER"] + outcomes["REVIEW_OPENED"]
    out(f"\n{source_records} customer source records -> {golden} golden customers "
        f"({auto} auto-linked, {outcomes['REVIEW_OPENED']} sent to review)")  # fmt: skip
    stub = customers_pb2_grpc.CustomerMasterServiceStub(channel)
    found = await stub.SearchCustomers(customers_pb2.SearchCustomersRequest(page_size=500), metadata=metadata)
    totals: Counter[str] = Counter()
    out("")
    for customer in sorted(found.customers, key=_name):
        request = customers_pb2.GetCustomer360Request(customer_id=customer.customer_id)
        view = (await stub.GetCustomer360(request, metadata=metadata)).customer360
        sources = ", ".join(sorted(f"{s.source_system}:{s.source_id}" for s in customer.sources))
        orders, loyalty, open_cases = view.orders, view.loyalty, len(view.service_requests.open)
        suppressed = view.contact_suppression.suppressed
        totals.update(orders=orders.order_count, points=loyalty.points_balance, cases=open_cases)
        totals.update(suppressed=int(suppressed))
        out(f"  {_name(customer):<14} from {sources}")
        out(f"  {'':<14} orders {orders.order_count} ({_money(orders.revenue)}), "
            f"points {loyalty.points_balance} ({loyalty.tier_name or 'not enrolled'}), "
            f"open cases {open_cases}{', contact suppressed' if suppressed else ''}")  # fmt: skip
        out(f"  {'':<14} {_worth(view.value)}")
    summary.update(golden=len(found.customers), **totals)
    out(f"\nOrders {totals['orders']}, loyalty points awarded {totals['points']}, open cases "
        f"{totals['cases']}, customers not to be approached with offers {totals['suppressed']}")  # fmt: skip
    await _stock(orders_channel, metadata, ["OIL-5", "TEA-1"], out)
    looked = await stub.GetCustomerBySourceId(
        customers_pb2.GetCustomerBySourceIdRequest(source_system="erp", source_id=ANNA_IN_ERP[0]),
        metadata=metadata,
    )
    await _show_360(stub, metadata, looked.customer_id, out)


async def _stock(
    channel: grpc.aio.Channel,
    metadata: Sequence[tuple[str, str]],
    skus: list[str],
    out: Callable[[str], None],
) -> None:
    stub = orders_pb2_grpc.OrderServiceStub(channel)
    try:
        found = await stub.GetStock(orders_pb2.GetStockRequest(skus=skus), metadata=metadata)
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.PERMISSION_DENIED:
            raise
        # Deployed, the demo runs with the connectors' token, which writes stock and reads none.
        out(f"Stock: not shown ({exc.details()})")
        return
    out("Stock the ERP counted, as the hub keeps it:")
    for s in found.stock:
        waiting = f", {s.backordered} on backorder" if s.backordered else ""
        due = (
            f" (next delivery {s.expected_receipt_time.ToDatetime():%Y-%m-%d})"
            if s.HasField("expected_receipt_time")
            else ""
        )
        out(
            f"  {s.sku}: {s.on_hand} on hand, {s.allocated} set aside for orders, {s.available} free"
            f"{waiting}{due}"
        )


async def _show_360(
    stub: Any, metadata: Sequence[tuple[str, str]], customer_id: str, out: Callable[[str], None]
) -> None:
    full = (
        await stub.GetCustomer(
            customers_pb2.GetCustomerRequest(customer_id=customer_id, view=records_pb2.CUSTOMER_VIEW_FULL),
            metadata=metadata,
        )
    ).customer
    view = (
        await stub.GetCustomer360(
            customers_pb2.GetCustomer360Request(customer_id=customer_id), metadata=metadata
        )
    ).customer360
    systems = sorted({s.source_system for s in full.sources})
    out(f"\nThe 360 of {_name(full)} ({customer_id}), seen by {', '.join(systems)}:")
    out("  golden record, each value with the source record and survivorship rule that supplied it:")
    for line in full.lineage:
        rule = records_pb2.SurvivorshipRule.Name(line.rule).removeprefix("SURVIVORSHIP_RULE_").lower()
        out(f"    {line.field:<24} {line.value:<34} <- {line.source_system}:{line.source_id} ({rule})")
    out("  source records:")
    for s in full.sources:
        outcome = records_pb2.MatchOutcome.Name(s.link_outcome).removeprefix("MATCH_OUTCOME_").lower()
        score = f", score {s.score:g}" if s.score else ""
        out(f"    {s.source_system + ':' + s.source_id:<18} {outcome}{score}")
    last = view.orders.last_order
    out(f"  orders: {view.orders.order_count}, revenue {_money(view.orders.revenue)}; last "
        f"{last.external_order_id} via {label(order_pb2.OrderChannel, last.channel)} "
        f"({label(order_pb2.OrderState, last.state)}, {_money([last.total])})")  # fmt: skip
    out(f"  loyalty: {view.loyalty.points_balance} points, tier {view.loyalty.tier_name or '-'}")
    out(f"  {_worth(view.value)}")
    for case in view.service_requests.open:
        kind, state = label(srp.ServiceRequestKind, case.kind), label(srp.ServiceRequestState, case.state)
        out(f"  open case: {case.subject} ({kind}, {state}, {label(srp.Priority, case.priority)}), "
            f"resolution due {case.resolution_due_time.ToDatetime():%Y-%m-%d %H:%M} UTC")  # fmt: skip
    if view.contact_suppression.suppressed:
        out(f"  contact suppressed: {view.contact_suppression.reason}")
    out("  timeline, newest first:")
    for entry in view.timeline:
        out(f"    {entry.occur_time.ToDatetime():%Y-%m-%d %H:%M:%S}  {entry.summary}")
