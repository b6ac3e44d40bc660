"""One bad value never costs the record: it is kept raw and flagged, on SQLite and PostgreSQL.

The record is stored and matched on its other values; the bad value comes back in the upsert
result, is stored on the record, counted in a metric and listed for a steward; it never becomes a
golden value. Only a record without an address is refused, alone: the others in its batch or
stream are stored.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from prometheus_client import REGISTRY

from isthmus.platform import config, hub
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.errors import field_violations

from .helpers import person, upsert


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def master(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[customers_pb2_grpc.CustomerMasterServiceStub]:
    if request.param == "sqlite":
        env = {"ISTHMUS_DATA_DIR": str(tmp_path_factory.mktemp("findings"))}
    else:
        env = {"ISTHMUS_DATABASE_URL": request.getfixturevalue("pg_module_database")}
    settings = config.load(
        {
            **env,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
            "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS": "erp,webshop",
            "ISTHMUS_CUSTOMERS_DEFAULT_REGION": "DE",
        }
    )
    async with hub.running(settings, ["customers"]) as h, h.channel() as channel:
        yield customers_pb2_grpc.CustomerMasterServiceStub(channel)


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:8]


def _counted(system: str, rule: str) -> float:
    labels = {"source_system": system, "rule": rule}
    return REGISTRY.get_sample_value("isthmus_customers_data_quality_findings_total", labels) or 0.0


async def _findings(master, **filters) -> list[pb.DataQualityFinding]:  # type: ignore[no-untyped-def]
    out: list[pb.DataQualityFinding] = []
    token = ""
    while True:
        page = await master.ListDataQualityFindings(
            api.ListDataQualityFindingsRequest(page_size=2, page_token=token, **filters)
        )
        out.extend(page.findings)
        if not (token := page.next_page_token):
            return out


async def test_a_date_of_birth_that_is_no_date_is_kept_raw_and_flagged_not_refused(master, uid):
    before = _counted("erp", "calendar_date")
    record = person("erp", f"D-{uid}", f"{uid}Greta", "Hahn", email=f"greta{uid}@example.org", dob=None)
    record.birth_date.CopyFrom(common_pb2.Date(year=1945, month=4, day=93))
    result = await upsert(master, record)
    assert result.outcome == pb.MATCH_OUTCOME_NEW_CUSTOMER
    assert [(f.field, f.rule, f.raw_value) for f in result.findings] == [
        ("birth_date", "calendar_date", "1945-04-93")
    ]
    assert _counted("erp", "calendar_date") == before + 1
    customer = (await master.GetCustomer(api.GetCustomerRequest(customer_id=result.customer_id))).customer
    assert customer.emails[0].address == f"greta{uid}@example.org"
    assert not customer.HasField("birth_date")  # never a golden value
    listed = [f for f in await _findings(master, rule="calendar_date") if f.source_id == f"D-{uid}"]
    assert [(f.source_system, f.field, f.raw_value, f.customer_id) for f in listed] == [
        ("erp", "birth_date", "1945-04-93", result.customer_id)
    ]
    # The same record again is unchanged and not counted twice; fixed, its finding goes.
    again = await upsert(master, record)
    assert again.outcome == pb.MATCH_OUTCOME_UNCHANGED
    assert _counted("erp", "calendar_date") == before + 1
    record.birth_date.CopyFrom(common_pb2.Date(year=1945, month=4, day=23))
    fixed = await upsert(master, record)
    assert fixed.outcome == pb.MATCH_OUTCOME_REFRESHED and not fixed.findings
    assert not [f for f in await _findings(master, source_system="erp") if f.source_id == f"D-{uid}"]


async def test_a_bad_record_in_the_middle_of_a_batch_costs_only_itself(master, uid):
    records = [person("webshop", f"M{i}-{uid}", f"{uid}Nina{i}", "Roth") for i in range(5)]
    records[1].emails.add(address="nina\x00@example.org")  # flagged, the record is stored
    records[2].source_id = f"M2-{uid}\x00"  # no usable address: refused alone
    records[3].phones.add(number="12")  # flagged
    response = await master.BatchUpsertSourceRecords(api.BatchUpsertSourceRecordsRequest(records=records))
    outcomes = [r.outcome for r in response.results]
    assert outcomes[2] == pb.MATCH_OUTCOME_REJECTED
    assert field_violations(response.results[2].error)[0][0] == "source_id"
    assert pb.MATCH_OUTCOME_REJECTED not in outcomes[:2] + outcomes[3:]
    assert [f.raw_value for f in response.results[1].findings] == ["nina\\u0000@example.org"]
    assert [f.field for f in response.results[3].findings] == ["phones[0].number"]
    for i in (0, 1, 3, 4):
        found = await master.GetCustomerBySourceId(
            api.GetCustomerBySourceIdRequest(source_system="webshop", source_id=f"M{i}-{uid}")
        )
        assert found.customer_id == response.results[i].customer_id


async def test_a_bad_record_in_the_middle_of_a_stream_ends_neither_its_batch_nor_the_stream(master, uid):
    batches = [
        [person("erp", f"S{b}{i}-{uid}", f"{uid}Paul{b}{i}", "Frank") for i in range(3)] for b in range(3)
    ]
    batches[1][1].name.family_name = "Fr\x00ank"
    batches[1][1].source_system = "erp\x00"

    async def requests():  # type: ignore[no-untyped-def]
        for n, records in enumerate(batches):
            yield api.StreamSourceRecordsRequest(records=records, batch_id=f"s{n}")

    answers = [a async for a in master.StreamSourceRecords(requests())]
    assert [a.batch_id for a in answers] == ["s0", "s1", "s2"]
    assert [a.rejected_count for a in answers] == [0, 1, 0]
    assert field_violations(answers[1].results[1].error)[0][0] == "source_system"
    for b, records in enumerate(batches):
        for i, record in enumerate(records):
            if (b, i) == (1, 1):
                continue
            found = await master.GetCustomerBySourceId(
                api.GetCustomerBySourceIdRequest(source_system="erp", source_id=record.source_id)
            )
            assert found.customer_id == answers[b].results[i].customer_id


async def test_findings_are_listed_newest_first_filtered_by_source_system_and_rule(master, uid):
    for i in range(3):
        record = person("webshop", f"L{i}-{uid}", f"{uid}Ida{i}", "Kern")
        record.emails.add(address=f"not-an-address-{uid}-{i}")
        await upsert(master, record)
    listed = [
        f
        for f in await _findings(master, source_system="webshop", rule="email_address")
        if uid in f.source_id
    ]
    assert [f.source_id for f in listed] == [f"L{i}-{uid}" for i in (2, 1, 0)]
    assert {f.rule for f in await _findings(master, rule="phone_number")} <= {"phone_number"}
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await master.ListDataQualityFindings(api.ListDataQualityFindingsRequest(page_token="forged"))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_control_character_in_a_lookup_id_is_invalid_argument_naming_the_field(master):
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await master.GetCustomer(api.GetCustomerRequest(customer_id="c\x00"))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "customer_id" in error.value.details()
    for size, code in (
        (10_000, grpc.StatusCode.INVALID_ARGUMENT),
        (10_000_000, grpc.StatusCode.RESOURCE_EXHAUSTED),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await master.GetCustomer(api.GetCustomerRequest(customer_id="x" * size))
        assert error.value.code() == code
        assert len(error.value.details()) < 200  # the value is not echoed back


async def test_an_erased_customer_takes_its_findings_along(master, uid):
    record = person("erp", f"E-{uid}", f"{uid}Eva", "Stein")
    record.emails.add(address=f"eva-{uid}")
    result = await upsert(master, record)
    assert result.findings
    await master.EraseCustomer(api.EraseCustomerRequest(customer_id=result.customer_id, reason="request"))
    assert not [f for f in await _findings(master, source_system="erp") if f.source_id == f"E-{uid}"]


async def test_the_trend_counts_findings_per_day_source_and_rule(master, uid):
    system = "erp"

    async def today_count() -> int:
        found = await master.SummarizeDataQualityFindings(
            api.SummarizeDataQualityFindingsRequest(source_system=system, rule="phone_number", days=1)
        )
        assert all((c.source_system, c.rule) == (system, "phone_number") for c in found.counts)
        return sum(c.count for c in found.counts)

    before = await today_count()
    for i in range(2):
        record = person(system, f"T{i}-{uid}", f"{uid}Tia{i}", "Trend")
        record.phones.add(number="12")
        await upsert(master, record)
    assert await today_count() == before + 2
    month = await master.SummarizeDataQualityFindings(api.SummarizeDataQualityFindingsRequest())
    days = [(c.day.year, c.day.month, c.day.day) for c in month.counts]
    assert days == sorted(days) and days
    for bad in (-1, 367):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await master.SummarizeDataQualityFindings(api.SummarizeDataQualityFindingsRequest(days=bad))
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "days" in (error.value.details() or "")
