"""Canonical records (dicts) to the hub's request messages, and golden customers back to records.

The mapping is mechanical because the canonical schemas mirror the protos; what is not in a proto
field goes into ``attributes``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from isthmus.connectors.sdk import Record, Tracer
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2, records_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2, service_requests_pb2
from isthmus_client.api.value.v1 import campaigns_pb2


def _ts(value: str | None) -> Timestamp | None:
    if not value:
        return None
    ts = Timestamp()
    ts.FromDatetime(datetime.fromisoformat(value))
    return ts


def _enum(prefix: str, value: str | None) -> str:
    """A protobuf enum value's name (message constructors take names and reject unknown ones)."""
    return f"{prefix}_{value.upper() if value else 'UNSPECIFIED'}"


def _date(value: str | None) -> common_pb2.Date | None:
    if not value:
        return None
    y, m, d = (int(p) for p in value.split("-"))
    return common_pb2.Date(year=y, month=m, day=d)


def consents(
    system: str, instance: str, customer_id: str, record: Record
) -> list[customers_pb2.SetConsentRequest]:
    """The record's consent statements, each for the customer master's SetConsent: the source is
    the system (and where in it, when the record says), the time the customer's own."""
    actor = common_pb2.Actor(kind=common_pb2.ACTOR_KIND_CONNECTOR, id=instance)
    return [
        customers_pb2.SetConsentRequest(
            customer_id=customer_id,
            channel=_enum("CONSENT_CHANNEL", c["channel"]),
            status=_enum("CONSENT_STATUS", c["status"]),
            source=f"{system}:{c['source']}" if c.get("source") else system,
            give_time=_ts(c["given_at"]),
            actor=actor,
        )
        for c in record.get("consents") or ()
    ]


def source_record(system: str, record: Record) -> records_pb2.SourceRecord:
    name = record.get("name") or {}
    out = records_pb2.SourceRecord(
        source_system=system,
        source_id=record["source_id"],
        name=records_pb2.PersonName(**name),
        emails=[
            records_pb2.EmailAddress(
                address=e["address"],
                kind=_enum("CONTACT_KIND", e.get("kind")),
                primary=e.get("primary", False),
            )
            for e in record.get("emails") or ()
        ],
        phones=[
            records_pb2.PhoneNumber(
                number=p["number"],
                kind=_enum("CONTACT_KIND", p.get("kind")),
                primary=p.get("primary", False),
                default_region=p.get("default_region", ""),
            )
            for p in record.get("phones") or ()
        ],
        addresses=[
            records_pb2.Address(
                address=common_pb2.PostalAddress(
                    address_lines=a.get("lines") or [],
                    locality=a.get("locality", ""),
                    administrative_area=a.get("administrative_area", ""),
                    postal_code=a.get("postal_code", ""),
                    region_code=a.get("region_code", ""),
                ),
                kind=_enum("CONTACT_KIND", a.get("kind")),
                primary=a.get("primary", False),
            )
            for a in record.get("addresses") or ()
        ],
        company=record.get("company", ""),
        attributes=record.get("attributes") or {},
    )
    dob = _date(record.get("date_of_birth"))
    if dob is not None:
        out.birth_date.CopyFrom(dob)
    observed = _ts(record.get("updated_at"))
    if observed is not None:
        out.observe_time.CopyFrom(observed)
    return out


def _connector_actor(instance: str) -> common_pb2.Actor:
    return common_pb2.Actor(kind=common_pb2.ACTOR_KIND_CONNECTOR, id=instance)


def create_order(
    system: str, instance: str, customer_id: str, record: Record
) -> orders_pb2.CreateOrderRequest:
    currency = record["currency_code"]
    return orders_pb2.CreateOrderRequest(
        source_system=system,
        external_order_id=record["external_order_id"],
        customer_id=customer_id,
        channel=_enum("ORDER_CHANNEL", record.get("channel")),
        currency_code=currency,
        lines=[
            order_pb2.OrderLine(
                line_id=line.get("line_id", ""),
                sku=line["sku"],
                description=line.get("description", ""),
                quantity=line["quantity"],
                unit_price=common_pb2.Money(amount=line["unit_price"], currency_code=currency),
                category=line.get("category", ""),
                shipping_method=line.get("shipping_method", ""),
                expected_ship_date=_date(line.get("expected_ship_date")),
                expected_delivery_date=_date(line.get("expected_delivery_date")),
                instalments=line.get("instalments", 0),
                payment_method=line.get("payment_method", ""),
                drop_ship_supplier=line.get("drop_ship_supplier", ""),
                price_pending=line.get("price_pending", False),
            )
            for line in record["lines"]
        ],
        place_time=_ts(record["placed_at"]),
        attributes=record.get("attributes") or {},
        actor=_connector_actor(instance),
    )


def open_service_request(
    system: str, instance: str, customer_id: str, order_id: str, record: Record
) -> service_requests_pb2.OpenServiceRequestRequest:
    return service_requests_pb2.OpenServiceRequestRequest(
        customer_id=customer_id,
        order_id=order_id,
        channel=_enum("CHANNEL", record.get("channel")),
        kind=_enum("SERVICE_REQUEST_KIND", record["kind"]),
        category=record.get("category", ""),
        priority=_enum("PRIORITY", record.get("priority")),
        subject=record["subject"],
        description=record.get("description", ""),
        source_system=system,
        external_id=record["external_id"],
        actor=_connector_actor(instance),
        open_time=_ts(record["opened_at"]),
    )


def _once(*parts: str) -> str:
    """A request id the same source fact always gives (a re-sync of it is a replay)."""
    return "connector-" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


def cancel_order(
    system: str, instance: str, order: order_pb2.Order, record: Record
) -> orders_pb2.CancelOrderRequest | None:
    """The cancellation of an order the source cancelled (``cancelled_at``), unless the hub's order is
    cancelled already; the reason defaults to ``other``. One request id per order, so a re-sync of
    the cancelled order is a replay. An order the hub shipped meanwhile is refused (FAILED_PRECONDITION:
    the record is dead-lettered with the reason), as a return, not a cancellation, undoes it there."""
    if not record.get("cancelled_at") or order.state == order_pb2.ORDER_STATE_CANCELLED:
        return None
    return orders_pb2.CancelOrderRequest(
        order_id=order.order_id,
        reason_code=_enum("CANCELLATION_REASON", record.get("cancellation_reason") or "other"),
        reason_text=record.get("cancellation_note", ""),
        actor=_connector_actor(instance),
        cancel_time=_ts(record["cancelled_at"]),
        request_id=_once("cancel", system, record["external_order_id"]),
    )


def _now_expected(line: order_pb2.OrderLine, estimate: str, promise: str) -> common_pb2.Date | None:
    """What the hub now expects for a line: its estimate, else its promise."""
    for name in (estimate, promise):
        if line.HasField(name):
            found: common_pb2.Date = getattr(line, name)
            return found
    return None


def final_prices(
    system: str, instance: str, order: order_pb2.Order, record: Record
) -> orders_pb2.SetFinalPricesRequest | None:
    """The final prices of lines the hub holds at an estimate, once the source sends them as final
    (no longer ``price_pending``); lines are matched in the order's order. None when none is new."""
    priced = [
        orders_pb2.FinalPrice(
            line_id=line.line_id,
            unit_price=common_pb2.Money(amount=sent["unit_price"], currency_code=record["currency_code"]),
        )
        for line, sent in zip(order.lines, record["lines"], strict=False)
        if line.price_pending and not sent.get("price_pending", False)
    ]
    if not priced or order.state != order_pb2.ORDER_STATE_PLACED:
        return None
    prices = ";".join(f"{p.line_id}:{p.unit_price.amount}" for p in priced)
    return orders_pb2.SetFinalPricesRequest(
        order_id=order.order_id,
        lines=priced,
        reason=f"{system} sent the final prices",
        actor=_connector_actor(instance),
        request_id=_once("final", system, record["external_order_id"], prices),
    )


def estimate_order(
    system: str, instance: str, order: order_pb2.Order, record: Record
) -> orders_pb2.UpdateDeliveryEstimateRequest | None:
    """The source's dates for lines of an order it sends again, where they moved from what the hub
    expects: a new estimate. The order keeps the promise it was taken with."""
    if order.state not in (
        order_pb2.ORDER_STATE_PLACED,
        order_pb2.ORDER_STATE_PAID,
        order_pb2.ORDER_STATE_SHIPPED,
    ):
        return None
    moved = []
    for line, sent in zip(order.lines, record["lines"], strict=False):
        estimate = orders_pb2.LineEstimate(line_id=line.line_id)
        ship, arrive = _date(sent.get("expected_ship_date")), _date(sent.get("expected_delivery_date"))
        if ship is not None and ship != _now_expected(line, "estimated_ship_date", "expected_ship_date"):
            estimate.ship_date.CopyFrom(ship)
        if arrive is not None and arrive != _now_expected(
            line, "estimated_delivery_date", "expected_delivery_date"
        ):
            estimate.delivery_date.CopyFrom(arrive)
        if estimate.HasField("ship_date") or estimate.HasField("delivery_date"):
            moved.append(estimate)
    if not moved:
        return None
    dates = ";".join(f"{m.line_id}:{m.ship_date}:{m.delivery_date}" for m in moved)
    return orders_pb2.UpdateDeliveryEstimateRequest(
        order_id=order.order_id,
        lines=moved,
        reason=f"{system} sent new dates",
        actor=_connector_actor(instance),
        request_id=_once("estimate", system, record["external_order_id"], dates),
    )


def pay_instalments(
    system: str, instance: str, order: order_pb2.Order, record: Record
) -> list[orders_pb2.PayInstalmentRequest]:
    """The flex-pay instalments the source says were paid (``instalments_paid``, checkout included)
    that the order does not hold paid yet, in order."""
    paid = record.get("instalments_paid") or 0
    if paid < 2 or order.state in (order_pb2.ORDER_STATE_PLACED, order_pb2.ORDER_STATE_CANCELLED):
        return []
    key = record["external_order_id"]
    return [
        orders_pb2.PayInstalmentRequest(
            order_id=order.order_id,
            number=i.number,
            amount=i.amount,
            payment_reference=f"{system}:{key}:{i.number}",
            actor=_connector_actor(instance),
            request_id=_once(f"instalment-{i.number}", system, key),
        )
        for i in order.instalments
        if 1 < i.number <= paid and not i.HasField("pay_time") and Decimal(i.amount.amount or "0") > 0
    ]


def ship_order(
    system: str, instance: str, order: order_pb2.Order, record: Record
) -> orders_pb2.ShipOrderRequest | None:
    """The shipment of a paid order the source shipped (``shipped_at``), with carrier and tracking."""
    if not record.get("shipped_at") or order.state != order_pb2.ORDER_STATE_PAID:
        return None
    return orders_pb2.ShipOrderRequest(
        order_id=order.order_id,
        carrier=record.get("carrier", ""),
        tracking_number=record.get("tracking_number", ""),
        warehouse=record.get("warehouse", ""),
        manifest_number=record.get("manifest_number", ""),
        ship_time=_ts(record["shipped_at"]),
        actor=_connector_actor(instance),
        request_id=_once("ship", system, record["external_order_id"]),
    )


def deliver_order(
    system: str, instance: str, order: order_pb2.Order, record: Record
) -> orders_pb2.DeliverOrderRequest | None:
    """The delivery of a shipped order the source says arrived (``delivered_at``)."""
    if not record.get("delivered_at") or order.state != order_pb2.ORDER_STATE_SHIPPED:
        return None
    return orders_pb2.DeliverOrderRequest(
        order_id=order.order_id,
        deliver_time=_ts(record["delivered_at"]),
        actor=_connector_actor(instance),
        request_id=_once("deliver", system, record["external_order_id"]),
    )


def return_order_lines(
    system: str, instance: str, order: order_pb2.Order, record: Record, returned: Record
) -> orders_pb2.ReturnOrderLinesRequest:
    """One of the source's returns (``returns[]``): its lines by the order's line ids, with reasons."""
    return orders_pb2.ReturnOrderLinesRequest(
        order_id=order.order_id,
        lines=[
            order_pb2.ReturnLine(
                line_id=line["line_id"],
                quantity=line["quantity"],
                reason_code=_enum("RETURN_REASON", line.get("reason") or "other"),
                reason_text=line.get("note", ""),
            )
            for line in returned["lines"]
        ],
        exchange=bool(returned.get("exchange")),
        actor=_connector_actor(instance),
        return_time=_ts(returned["returned_at"]),
        request_id=_once("return", system, record["external_order_id"], returned["return_id"]),
    )


# The case workflow as the service allows it (service_request.proto, ServiceRequestState): from each
# state, the states a case may move to next.
_NEXT_STATES = {
    "NEW": ("OPEN",),
    "OPEN": ("PENDING_CUSTOMER", "RESOLVED"),
    "PENDING_CUSTOMER": ("OPEN", "RESOLVED"),
    "RESOLVED": ("OPEN", "CLOSED"),
    "CLOSED": ("OPEN",),
}
# The resolution of a case the source resolved without saying how.
RESOLVED_IN_SOURCE = "RESOLVED_IN_SOURCE"
# A state the source gives that a case in the hub is already past: a resolved case the hub closed
# since stays closed (reaching RESOLVED again would mean reopening it).
_PAST = {"RESOLVED": {"CLOSED"}}


def _route(current: str, target: str) -> list[str]:
    """The states a case passes through from ``current`` to ``target`` by the fewest moves (none when
    it is there, or cannot get there: no move leads back to NEW)."""
    routes: dict[str, list[str]] = {current: []}
    queue = [current]
    for state in queue:
        for following in _NEXT_STATES.get(state, ()):
            if following not in routes:
                routes[following] = [*routes[state], following]
                queue.append(following)
    return routes.get(target, [])


def change_service_request_states(
    system: str, instance: str, case: service_request_pb2.ServiceRequest, record: Record
) -> list[service_requests_pb2.ChangeServiceRequestStateRequest]:
    """The moves that bring the hub's ``case`` to the state the source gives it (none without a
    state): a complaint resolved in the call center is resolved in the hub, and so stops suppressing
    its customer. Each move's request_id is made of the case's version before it, so a retried call
    is a replay and a later change in the source (a reopening) is a new move."""
    wanted = record.get("state")
    if not wanted:
        return []
    current = service_request_pb2.ServiceRequestState.Name(case.state).removeprefix("SERVICE_REQUEST_STATE_")
    if current in _PAST.get(wanted.upper(), ()):
        return []
    moves = []
    for n, target in enumerate(_route(current, wanted.upper())):
        key = f"{system}\0{record['external_id']}\0{case.version + n}\0{target}"
        resolving = target == "RESOLVED"
        moves.append(
            service_requests_pb2.ChangeServiceRequestStateRequest(
                service_request_id=case.service_request_id,
                target_state=f"SERVICE_REQUEST_STATE_{target}",
                resolution_code=(record.get("resolution_code") or RESOLVED_IN_SOURCE) if resolving else "",
                note=record.get("resolution_note", "") if resolving else "",
                actor=_connector_actor(instance),
                occur_time=_ts(record.get("updated_at")),
                request_id="connector-" + hashlib.sha256(key.encode()).hexdigest()[:40],
            )
        )
    return moves


def record_abandoned_cart(
    system: str, customer_id: str, record: Record
) -> campaigns_pb2.RecordAbandonedCartRequest:
    currency = record["currency_code"]
    return campaigns_pb2.RecordAbandonedCartRequest(
        customer_id=customer_id,
        source_system=system,
        external_cart_id=record["external_cart_id"],
        lines=[
            campaigns_pb2.CartLine(
                sku=line["sku"],
                description=line.get("description", ""),
                quantity=line["quantity"],
                unit_price=common_pb2.Money(amount=line["unit_price"], currency_code=currency),
            )
            for line in record["lines"]
        ],
        total=common_pb2.Money(amount=record["total"], currency_code=currency),
        abandon_time=_ts(record["abandoned_at"]),
        recovery_url=record.get("recovery_url", ""),
    )


def set_stock_level(system: str, instance: str, record: Record) -> orders_pb2.SetStockLevelRequest:
    request = orders_pb2.SetStockLevelRequest(
        sku=record["sku"],
        on_hand=record["on_hand"],
        description=record.get("description", ""),
        reason=f"counted in {system}",
        actor=_connector_actor(instance),
    )
    expected = _ts(record.get("expected_receipt_at"))
    if expected is not None:
        request.expected_receipt_time.CopyFrom(expected)
    else:
        request.clear_expected_receipt = True
    return request


def log_interaction(
    system: str, instance: str, customer_id: str, service_request_id: str, record: Record
) -> service_requests_pb2.LogInteractionRequest:
    author = (
        common_pb2.Actor(kind=common_pb2.ACTOR_KIND_USER, id=record["agent"])
        if record.get("agent")
        else _connector_actor(instance)
    )
    interaction = service_request_pb2.Interaction(
        service_request_id=service_request_id,
        customer_id=customer_id,
        direction=_enum("DIRECTION", record["direction"]),
        channel=_enum("CHANNEL", record["channel"]),
        author=author,
        occur_time=_ts(record["occurred_at"]),
        subject=record.get("subject", ""),
        body=record.get("body", ""),
        source_system=system,
        external_id=record["external_id"],
    )
    if record.get("duration_seconds") is not None:
        interaction.duration.CopyFrom(Duration(seconds=record["duration_seconds"]))
    return service_requests_pb2.LogInteractionRequest(interaction=interaction)


def tracer_note(
    system: str, instance: str, tracer: Tracer, reference: str
) -> service_requests_pb2.LogInteractionRequest:
    """The case's note that the carrier took the tracer: internal, keyed by the carrier's reference."""
    where = f", parcel {tracer.tracking_number}" if tracer.tracking_number else ""
    return service_requests_pb2.LogInteractionRequest(
        interaction=service_request_pb2.Interaction(
            service_request_id=tracer.service_request_id,
            customer_id=tracer.customer_id,
            direction=service_request_pb2.DIRECTION_INTERNAL,
            channel=service_request_pb2.CHANNEL_INTERNAL,
            author=_connector_actor(instance),
            subject=f"Tracer filed with {tracer.carrier or system}: claim {reference}",
            body=f"{system} took the trace request{where}, under claim {reference}.",
            source_system=system,
            external_id=f"tracer:{reference}"[:200],
        )
    )


def golden_values(customer: records_pb2.Customer) -> Record:
    """A golden customer in the canonical customer shape (what write-back hands a connector)."""
    name = customer.name
    values: Record = {
        "name": {k: getattr(name, k) for k in ("given_name", "middle_name", "family_name", "full_name")
                 if getattr(name, k)},
        "emails": [{"address": e.address, "primary": e.primary} for e in customer.emails],
        "phones": [{"number": p.number, "primary": p.primary} for p in customer.phones],
        "addresses": [
            {
                "lines": list(a.address.address_lines),
                "locality": a.address.locality,
                "postal_code": a.address.postal_code,
                "region_code": a.address.region_code,
                "primary": a.primary,
            }
            for a in customer.addresses
        ],
    }  # fmt: skip
    if customer.HasField("birth_date"):
        d = customer.birth_date
        values["date_of_birth"] = f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    if customer.company:
        values["company"] = customer.company
    return values
