"""Record builders shared by the customer master's integration tests."""

from __future__ import annotations

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

STEWARD = common_pb2.Actor(kind=common_pb2.ACTOR_KIND_USER, id="steward-1", display_name="Sam Steward")


def person(
    system: str,
    sid: str,
    given: str,
    family: str,
    *,
    email: str = "",
    phone: str = "",
    dob: tuple[int, int, int] | None = (1980, 5, 17),
    street: str = "",
    postcode: str = "",
    lawful_basis: str = "",
) -> pb.SourceRecord:
    r = pb.SourceRecord(
        source_system=system, source_id=sid, name=pb.PersonName(given_name=given, family_name=family)
    )
    r.lawful_basis = lawful_basis
    if email:
        r.emails.add(address=email)
    if phone:
        r.phones.add(number=phone)
    if dob:
        r.birth_date.CopyFrom(common_pb2.Date(year=dob[0], month=dob[1], day=dob[2]))
    if street or postcode:
        r.addresses.add(
            address=common_pb2.PostalAddress(address_lines=[street], postal_code=postcode, region_code="DE")
        )
    return r


async def upsert(master, record: pb.SourceRecord) -> api.UpsertResult:  # type: ignore[no-untyped-def]
    return (await master.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=record))).result
