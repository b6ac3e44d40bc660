"""Stored rows and value objects -> protobuf messages (the read side of the API and event payloads)."""

from __future__ import annotations

from typing import Any, cast

from isthmus.customers.store import CustomerRow, SourceRow
from isthmus.customers.survivorship import Golden, Rule
from isthmus.kernel.timestamps import ts
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as pb

RULES = {
    Rule.SOURCE_PRIORITY: pb.SURVIVORSHIP_RULE_SOURCE_PRIORITY,
    Rule.MOST_RECENT: pb.SURVIVORSHIP_RULE_MOST_RECENT,
    Rule.MOST_FREQUENT: pb.SURVIVORSHIP_RULE_MOST_FREQUENT,
    Rule.MOST_COMPLETE: pb.SURVIVORSHIP_RULE_MOST_COMPLETE,
    Rule.UNION: pb.SURVIVORSHIP_RULE_UNION,
    Rule.STEWARD: pb.SURVIVORSHIP_RULE_STEWARD,
}


def actor(data: dict[str, Any] | None) -> common_pb2.Actor | None:
    if not data:
        return None
    return common_pb2.Actor(kind=data["kind"], id=data["id"], display_name=data.get("display_name", ""))


def source_reference(row: SourceRow) -> pb.SourceReference:
    return pb.SourceReference(
        source_system=row.source_system,
        source_id=row.source_id,
        link_time=ts(row.linked_at),
        link_outcome=row.link_outcome,  # type: ignore[arg-type]
        score=row.score,
        observe_time=ts(row.observed_at),
    )


def golden_into(msg: pb.Customer, g: Golden, *, lineage: bool) -> None:
    n = g.name
    msg.name.CopyFrom(
        pb.PersonName(
            given_name=n.given,
            middle_name=n.middle,
            family_name=n.family,
            prefix=n.prefix,
            suffix=n.suffix,
            full_name=n.display,
        )
    )
    msg.emails.extend(
        pb.EmailAddress(address=e.address, kind=cast(pb.ContactKind, e.kind), primary=e.primary)
        for e in g.emails
    )
    msg.phones.extend(
        pb.PhoneNumber(number=p.number, kind=cast(pb.ContactKind, p.kind), primary=p.primary)
        for p in g.phones
    )
    for a in g.addresses:
        msg.addresses.append(
            pb.Address(
                address=common_pb2.PostalAddress(
                    address_lines=list(a.lines),
                    locality=a.locality,
                    administrative_area=a.area,
                    postal_code=a.postal_code,
                    region_code=a.region,
                    recipient=a.recipient,
                ),
                kind=a.kind,  # type: ignore[arg-type]
                primary=a.primary,
            )
        )
    if g.dob:
        y, m, d = (int(x) for x in g.dob.split("-"))
        msg.birth_date.CopyFrom(common_pb2.Date(year=y, month=m, day=d))
    msg.identifiers.extend(
        pb.Identifier(kind=i.kind, value=i.value, issuing_country=i.country)  # type: ignore[arg-type]
        for i in g.identifiers
    )
    msg.company = g.company
    if lineage:
        msg.lineage.extend(
            pb.FieldLineage(
                field=e.field,
                value=e.value,
                raw_value=e.raw,
                source_system=e.source_system,
                source_id=e.source_id,
                rule=RULES[e.rule],
                observe_time=ts(e.observed_at),
            )
            for e in g.lineage
        )


def customer(
    row: CustomerRow,
    sources: list[SourceRow] = (),  # type: ignore[assignment]
    consents: list[pb.Consent] = (),  # type: ignore[assignment]
    *,
    lineage: bool = False,
    golden: Golden | None = None,
) -> pb.Customer:
    msg = pb.Customer(
        customer_id=row.customer_id,
        state=row.state,  # type: ignore[arg-type]
        merged_into_id=row.merged_into_id or "",
        version=row.version,
        quality_flags=row.flags,  # type: ignore[arg-type]
        create_time=ts(row.create_time),
        update_time=ts(row.update_time),
    )
    if row.state == pb.CUSTOMER_STATE_ACTIVE and (golden is not None or row.golden):
        golden_into(msg, golden if golden is not None else Golden.from_json(row.golden), lineage=lineage)
    msg.sources.extend(
        source_reference(s) for s in sorted(sources, key=lambda s: (s.source_system, s.source_id))
    )
    msg.consents.extend(consents)
    return msg
