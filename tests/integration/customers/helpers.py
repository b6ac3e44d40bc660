"""Record builders shared by the customer master's integration tests."""

from __future__ import annotations

import datetime
import os
import zlib

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

STEWARD = common_pb2.Actor(kind=common_pb2.ACTOR_KIND_USER, id="steward-1", display_name="Sam Steward")
OWN_DATE = (0, 0, 0)  # ``person``'s default birth date: the test's own (``own_birth_date``)


def own_birth_date() -> tuple[int, int, int]:
    """A birth date of the running test's own, the same for every record it makes.

    The tests share one database, and the family names they make (``f"{uid}Vogt"``) sound alike
    across tests more often than real ones: a family name's sound has a few thousand values, and a
    uid in front of the name decides it. A record of one test and another test's customer with the
    same given name, such a family name and one birth date shared by every test would be candidates
    of each other. Derived from the test's id (pytest's ``PYTEST_CURRENT_TEST``): a day of August in
    the 1920s, a year and a month no test spells out, so no date a test writes is a typo of it."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    h = zlib.crc32(test.encode())
    return 1921 + h % 9, 8, 10 + (h >> 8) % 19


def tag_number(tag: str, modulo: int) -> int:
    """A number below ``modulo`` of this tag's own, for the phones and postcodes of records made in
    bulk: the tests share one database, and people of two calls with the same phone or address would
    be candidates of each other."""
    return zlib.crc32(tag.encode()) % modulo


def tag_birth_date(tag: str, i: int) -> tuple[int, int, int]:
    """The birth date of the ``i``-th person a call with this tag makes: a day of 1931-1999 of the
    tag's own, 401 days apart from one ``i`` to the next. Bulk-made people are named alike in every
    call (``f"Given{i}x{tag}"``: a common prefix and random hex, which sometimes score close enough),
    so people of two calls born on one day could link; and never a date of ``own_birth_date``'s."""
    days = (zlib.crc32(f"born {tag}".encode()) + 401 * i) % 25_000
    born = datetime.date(1931, 1, 1) + datetime.timedelta(days=days)
    return born.year, born.month, born.day


def person(
    system: str,
    sid: str,
    given: str,
    family: str,
    *,
    email: str = "",
    phone: str = "",
    dob: tuple[int, int, int] | None = OWN_DATE,
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
    if dob == OWN_DATE:
        dob = own_birth_date()
    if dob:
        r.birth_date.CopyFrom(common_pb2.Date(year=dob[0], month=dob[1], day=dob[2]))
    if street or postcode:
        r.addresses.add(
            address=common_pb2.PostalAddress(address_lines=[street], postal_code=postcode, region_code="DE")
        )
    return r


async def upsert(master, record: pb.SourceRecord) -> api.UpsertResult:  # type: ignore[no-untyped-def]
    return (await master.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=record))).result
