"""Golden values and lineage from source records (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from isthmus.customers.records import Email, Name, Record
from isthmus.customers.survivorship import Golden, Rule, SurvivorshipConfig, diff, golden_record

T = datetime(2025, 1, 1, tzinfo=UTC)
PRIORITY = SurvivorshipConfig(("erp", "webshop", "callcenter"))


def rec(system, sid, *, given="", family="", dob="", email="", days=0, company=""):  # type: ignore[no-untyped-def]
    return Record(
        system,
        sid,
        T + timedelta(days=days),
        Name(given=given, family=family, raw=f"{given} {family}"),
        emails=(Email(email, email.upper()),) if email else (),
        dob=dob,
        dob_raw=dob,
        company=company,
    )


def test_name_comes_from_the_most_trusted_source_with_lineage():
    g = golden_record(
        [
            rec("webshop", "w", given="Anne", family="Schmidt", days=5),
            rec("erp", "e", given="Anna", family="Schmidt"),
        ],
        PRIORITY,
    )
    assert g.name.given == "Anna"
    entry = next(e for e in g.lineage if e.field == "name.given_name")
    assert (entry.source_system, entry.source_id, entry.rule, entry.raw) == (
        "erp",
        "e",
        Rule.SOURCE_PRIORITY,
        "Anna Schmidt",
    )


def test_a_blank_never_overwrites_a_value():
    g = golden_record(
        [rec("erp", "e", given="Anna", dob=""), rec("webshop", "w", dob="1980-01-02", days=9)], PRIORITY
    )
    assert (g.name.given, g.dob) == ("Anna", "1980-01-02")


def test_date_of_birth_most_sources_agree_on_wins_and_the_conflict_is_flagged():
    g = golden_record(
        [
            rec("erp", "e", dob="1980-01-02"),
            rec("webshop", "w", dob="1980-02-01"),
            rec("callcenter", "c", dob="1980-02-01"),
        ],
        PRIORITY,
    )
    assert g.dob == "1980-02-01"
    assert g.conflicting


def test_most_recent_rule_and_most_complete_rule():
    cfg = SurvivorshipConfig(("erp",), name=Rule.MOST_COMPLETE, company=Rule.MOST_RECENT)
    g = golden_record(
        [
            rec("erp", "e", given="A", family="Schmidt", company="Old GmbH"),
            rec("webshop", "w", given="Anna", family="Schmidt", company="New AG", days=3),
        ],
        cfg,
    )
    assert (g.name.given, g.company) == ("Anna", "New AG")


def test_emails_are_a_union_newest_first_with_one_primary():
    g = golden_record(
        [rec("erp", "e", email="a@x.de"), rec("webshop", "w", email="b@x.de", days=1)], PRIORITY
    )
    assert [(e.address, e.primary) for e in g.emails] == [("b@x.de", True), ("a@x.de", False)]
    assert [e.rule for e in g.lineage if e.field.startswith("emails")] == [Rule.UNION, Rule.UNION]


def test_golden_round_trips_through_json_and_diff_lists_changed_fields():
    g = golden_record([rec("erp", "e", given="Anna", email="a@x.de")], PRIORITY)
    assert Golden.from_json(g.to_json()) == g
    assert diff({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == [("b", "2", "3"), ("c", "", "4")]


def test_a_golden_record_from_records_of_several_times_round_trips_with_each_entrys_own_time():
    g = golden_record(
        [rec("erp", "e", given="Anna", email="a@x.de"), rec("webshop", "w", email="b@x.de", days=3)],
        PRIORITY,
    )
    assert {e.observed_at for e in g.lineage} == {T, T + timedelta(days=3)}
    assert Golden.from_json(g.to_json()) == g


systems = st.sampled_from(["erp", "webshop", "callcenter"])


@given(
    st.lists(
        st.tuples(systems, st.sampled_from(["", "Anna", "Ann"]), st.integers(0, 9)), min_size=1, max_size=6
    )
)
def test_golden_values_do_not_depend_on_the_order_records_arrive_in(items):
    records = [rec(s, str(i), given=g, family="S", days=d) for i, (s, g, d) in enumerate(items)]
    assert golden_record(records, PRIORITY).flat() == golden_record(list(reversed(records)), PRIORITY).flat()
