"""Blocking keys, comparators, scores and decisions (no I/O)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from isthmus.customers.matching import (
    Comparator,
    ComparatorRegistry,
    Features,
    MatchConfig,
    Matcher,
    Outcome,
    blocking_keys,
    builtin_comparators,
    similarity_comparator,
)
from isthmus.customers.records import Address, Email, Identifier, Name, Phone, Record

T = datetime(2025, 1, 1, tzinfo=UTC)


def rec(
    sid="1",
    given="Anna",
    family="Schmidt",
    dob="1980-05-17",
    email="",
    phone="",
    street="",
    pc="",
    company="",
):  # type: ignore[no-untyped-def]
    return Record(
        "erp",
        sid,
        T,
        Name(given=given, family=family),
        emails=(Email(email, email),) if email else (),
        phones=(Phone(phone, phone),) if phone else (),
        addresses=(Address((street,), "Berlin", "", pc),) if street else (),
        dob=dob,
        company=company,
    )


def decide(a: Record, b: Record, config: MatchConfig | None = None):  # type: ignore[no-untyped-def]
    m = Matcher(config or MatchConfig())
    return m.decide(Features(a), [m.score(Features(a), "c1", [Features(b)])])


def test_same_email_links_deterministically():
    d = decide(rec(email="a@x.de", dob=""), rec(sid="2", given="Ann", email="a@x.de", dob=""))
    assert (d.outcome, d.rule) == (Outcome.DETERMINISTIC, "email_exact")


def test_shared_phone_with_a_different_person_is_vetoed_as_a_deterministic_link():
    d = decide(rec(phone="+4930123"), rec(sid="2", given="Klaus", dob="1950-01-01", phone="+4930123"))
    assert d.outcome is Outcome.NEW
    assert d.rule == ""


def test_nickname_and_family_typo_with_same_birth_date_and_address_link_with_explanation():
    a = rec(given="William", family="Meyer", street="Hauptstr. 5", pc="10115")
    b = rec(sid="2", given="Bill", family="Meier", street="Hauptstrasse 5", pc="10115")
    d = decide(a, b)
    assert d.outcome is Outcome.PROBABILISTIC
    name = next(c for c in d.comparisons if c.comparator == "given_name")
    assert "nickname" in name.explanation


def test_transposed_names_still_match():
    d = decide(rec(given="Schmidt", family="Anna", street="A 1", pc="1"), rec(sid="2", street="A 1", pc="1"))
    assert d.outcome is Outcome.PROBABILISTIC
    assert any("transposed" in c.explanation for c in d.comparisons)


def test_same_name_different_birth_date_is_a_new_customer():
    assert decide(rec(), rec(sid="2", dob="1990-02-03")).outcome is Outcome.NEW


def test_score_between_thresholds_opens_a_review():
    a = rec(street="Am Markt 1", pc="20095", phone="+4940111")
    b = rec(sid="2", dob="1980-05-18", street="Seeweg 9", pc="80331", phone="+4989222")
    assert decide(a, b).outcome is Outcome.REVIEW


def test_the_full_name_and_a_birth_date_one_digit_off_link():
    a = rec(street="Am Markt 1", pc="20095")
    assert (
        decide(a, rec(sid="2", dob="1980-05-18", street="Seeweg 9", pc="80331")).outcome
        is Outcome.PROBABILISTIC
    )


def test_record_with_only_a_name_is_insufficient_and_never_auto_linked():
    a = rec(dob="")
    d = decide(a, rec(sid="2", dob=""))
    assert d.insufficient
    assert d.outcome in (Outcome.NEW, Outcome.REVIEW)


def test_thresholds_are_configuration():
    a = rec(street="Am Markt 1", pc="20095", phone="+4940111")
    b = rec(sid="2", dob="1980-05-18", street="Seeweg 9", pc="80331", phone="+4989222")
    assert decide(a, b, MatchConfig(upper_threshold=9, lower_threshold=5)).outcome is Outcome.PROBABILISTIC
    assert decide(a, b, MatchConfig(upper_threshold=12, lower_threshold=9.5)).outcome is Outcome.NEW


def test_a_plugged_in_comparator_adds_its_weight_and_explanation():
    def company(left: Record, right: Record) -> tuple[str, str, float] | None:
        if not left.company or not right.company:
            return None
        return left.company, right.company, 1.0 if left.company == right.company else 0.0

    registry = ComparatorRegistry(builtin_comparators(MatchConfig().weights))
    registry.register(similarity_comparator("company", company, agree_weight=2.5, disagree_weight=-1))
    m = Matcher(MatchConfig(), registry)
    a, b = rec(company="ACME"), rec(sid="2", company="ACME")
    total, comparisons, _ = m.score_pair(Features(a), Features(b))
    base, _, _ = Matcher(MatchConfig()).score_pair(Features(a), Features(b))
    assert total == base + 2.5
    assert "company" in [c.comparator for c in comparisons]


def test_registering_two_comparators_with_one_name_fails_loudly():
    registry = ComparatorRegistry()
    registry.register(Comparator("x", lambda a, b: None))
    try:
        registry.register(Comparator("x", lambda a, b: None))
    except ValueError as exc:
        assert "x" in str(exc)
    else:
        raise AssertionError("duplicate accepted")


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10)


def _typo(name: str) -> str:
    return name[:-1] + ("x" if name[-1] != "x" else "y")


@given(names, names)
def test_a_typo_in_either_name_or_a_swap_still_shares_a_blocking_key(given_name, family):
    a = rec(given=given_name, family=family)  # with a birth date
    keys = blocking_keys(Features(a))
    assert keys & blocking_keys(Features(rec(sid="2", given=given_name, family=_typo(family))))
    assert keys & blocking_keys(Features(rec(sid="3", given=_typo(given_name), family=family)))
    assert keys & blocking_keys(Features(rec(sid="4", given=family, family=given_name)))


@given(names, names)
def test_with_names_alone_a_swap_or_a_typo_in_a_vowel_still_shares_a_blocking_key(given_name, family):
    keys = blocking_keys(Features(rec(given=given_name, family=family, dob="")))
    swapped = rec(sid="2", given=family, family=given_name, dob="")
    assert keys & blocking_keys(Features(swapped))
    vowel = family[0] + "".join("e" if c in "aiou" else c for c in family[1:])
    assert keys & blocking_keys(Features(rec(sid="3", given=given_name, family=vowel, dob="")))


def test_names_alone_are_keyed_by_their_sounds():
    keys = blocking_keys(Features(rec(given="Anna", family="Schmidt", dob="")))
    assert keys == {"np:A500|S530"}


@given(names, names, st.dates().map(str))
def test_scoring_is_symmetric(given_name, family, dob):
    a = rec(given=given_name, family=family, dob=dob)
    b = rec(sid="2", given=family, family=given_name)
    m = Matcher(MatchConfig())
    assert m.score_pair(Features(a), Features(b))[0] == m.score_pair(Features(b), Features(a))[0]


def with_id(r: Record, value: str) -> Record:
    return replace(r, identifiers=(Identifier(1, value, "DE"),))


def test_an_identifier_one_keystroke_off_counts_for_but_a_different_one_against():
    m = Matcher(MatchConfig())
    a = Features(with_id(rec(), "DE123456789"))
    typo = Features(with_id(rec(sid="2"), "DE123456780"))
    other = Features(with_id(rec(sid="3"), "DE987654321"))
    near = next(c for c in m.score_pair(a, typo)[1] if c.comparator == "identifier")
    far = next(c for c in m.score_pair(a, other)[1] if c.comparator == "identifier")
    assert (near.weight > 0, near.explanation) == (True, "identifier differs by one character")
    assert far.weight < 0
    short = [Features(with_id(rec(sid=s), v)) for s, v in (("4", "12345"), ("5", "12346"))]
    assert next(c for c in m.score_pair(*short)[1] if c.comparator == "identifier").weight < 0


def test_customers_are_compatible_when_names_agree_and_no_birth_date_or_identifier_contradicts():
    m = Matcher(MatchConfig())
    anna = [Features(rec(email="a@x.de")), Features(rec(sid="2", given="Ann", phone="+4930123"))]
    assert m.compatible(anna, [Features(rec(sid="3", phone="+4930999", dob=""))])
    assert not m.compatible(anna, [Features(rec(sid="4", dob="1955-03-02"))])
    assert not m.compatible(anna, [Features(rec(sid="5", given="Klaus", family="Wagner"))])


def test_name_comparisons_of_one_pair_are_shared_and_never_leak_into_the_next_pair():
    by_name = {c.name: c.compare for c in builtin_comparators(MatchConfig().weights)}
    given, family = by_name["given_name"], by_name["family_name"]
    anna = Features(rec())
    anne = Features(rec(sid="2", given="Anne", family="Schmitt"))
    lena = Features(rec(sid="3", given="Lena", family="Weber"))
    assert given(anna, anne) is not None and given(anna, anne) is given(anna, anne)
    # Each pair gets its own comparison, whatever pair came before, in either order.
    fresh = {c.name: c.compare for c in builtin_comparators(MatchConfig().weights)}
    for a, b in [(anna, lena), (lena, anna), (anna, anne), (anne, anna)]:
        assert family(a, b) == fresh["family_name"](a, b)
        assert given(a, b) == fresh["given_name"](a, b)
    assert given(anna, lena).level == "different"
    assert family(anna, anne).level != "different" and family(anna, lena).level == "different"


def person(
    given: str,
    dob: str,
    email: str,
    phone: str,
    home: tuple[str, str],
    ident: str,
    sid: str,
    family: str = "Schmidt",
) -> Record:
    r = rec(
        sid=sid, given=given, family=family, dob=dob, email=email, phone=phone, street=home[0], pc=home[1]
    )
    return with_id(r, ident) if ident else r


people = st.builds(
    person,
    # "Schmidt" with "Anna" as the family name: the two names swapped
    st.sampled_from(["Anna", "Ann", "Hanna", "Klaus", "Anna-Lena", "A.", "Schmidt", ""]),
    st.sampled_from(["1980-05-17", "1980-05-18", "1908-05-17", "1980-17-05", "1955-03-02", "1955-02-03", ""]),
    st.sampled_from(["", "anna@x.de", "klaus@x.de"]),
    st.sampled_from(["", "+493012345678", "+4915112345678"]),  # a Berlin landline, a mobile
    st.sampled_from(
        [
            ("", ""),
            ("Hauptstr. 5", "10115"),
            ("Hauptstr.", "10115"),
            ("Hauptstr. 5", "10116"),
            ("Ring 2", "20095"),
        ]
    ),
    st.sampled_from(["", "DE123456789", "DE123456780", "DE987654321"]),
    st.integers(1, 9).map(str),
    st.sampled_from(["Schmidt", "Schmitt", "Anna", "Weber", ""]),
)


@given(people, st.lists(people, min_size=1, max_size=3))
def test_a_candidate_set_aside_unscored_is_one_scoring_calls_someone_else_and_no_household(record, members):
    m = Matcher(MatchConfig())
    f, theirs = Features(record), [Features(x) for x in members]
    if m.plainly_someone_else(f, theirs):
        scored = m.score(f, "c", theirs)
        assert scored.against and not scored.household
        assert m.decide(f, [scored]).outcome is Outcome.NEW


def test_a_namesake_born_another_day_is_set_aside_but_not_a_household_nor_the_person_s_own_identifier():
    m = Matcher(MatchConfig())
    anna = Features(
        person("Anna", "1980-05-17", "", "+4915112345678", ("Ring 2", "20095"), "DE123456789", "1")
    )
    namesake = person("Anna", "1955-03-02", "", "", ("", ""), "", "2")
    assert m.plainly_someone_else(anna, [Features(namesake)])
    # Not when a member's birth date is within a typo of the record's, nor with a shared contact
    # point (a household), nor when the identifier agrees (the person's own, whatever the date says).
    typo = person("Ann", "1980-05-18", "", "", ("", ""), "", "3")
    assert not m.plainly_someone_else(anna, [Features(namesake), Features(typo)])
    for other in (
        person("Anna", "1955-03-02", "", "+4915112345678", ("", ""), "", "4"),
        person("Anna", "1955-03-02", "", "", ("Ring 2", "20095"), "", "5"),
        person("Anna", "1955-03-02", "", "", ("Ring 2", "20096"), "", "5a"),  # the postcode one digit off
        person("Anna", "1955-03-02", "", "", ("", ""), "DE123456780", "6"),
    ):
        assert not m.plainly_someone_else(anna, [Features(other)])
    # Without a birth date to tell, the given names do: a Klaus is someone else, an Ann may be Anna.
    assert not m.plainly_someone_else(Features(rec(dob="")), [Features(namesake)])
    klaus = person("Klaus", "", "", "", ("", ""), "", "7")
    assert m.plainly_someone_else(Features(rec(dob="")), [Features(klaus)])
    assert m.plainly_someone_else(anna, [Features(namesake), Features(klaus)])
    assert not m.plainly_someone_else(
        anna, [Features(klaus), Features(person("Ann", "", "", "", ("", ""), "", "8"))]
    )
    # Names swapped (given "Schmidt", family "Anna") are the same names, as scoring aligns them.
    swapped = person("Schmidt", "", "", "", ("", ""), "", "9", family="Anna")
    assert not m.plainly_someone_else(Features(rec(dob="")), [Features(swapped)])


@given(people, st.lists(people, min_size=1, max_size=3))
def test_a_customer_that_never_links_is_one_scoring_never_links(record, members):
    m = Matcher(MatchConfig())
    f, theirs = Features(record), [Features(x) for x in members]
    if m.never_links(f, theirs):
        scored = m.score(f, "c", theirs)
        assert scored.against and not m.links(scored)


def test_the_people_of_a_household_never_link_without_scoring_though_they_are_not_set_aside():
    m = Matcher(MatchConfig())
    home = ("Hauptstr. 5", "10115")
    father = Features(person("Klaus", "1955-03-02", "", "+493012345678", home, "", "1"))
    son = Features(person("Klaus", "1980-05-17", "", "+493012345678", home, "", "2"))
    mother = Features(person("Anna", "", "anna@x.de", "+493012345678", home, "", "3"))
    # A household shares the home and its landline: never set aside, but the birth dates (father and
    # son) or the given names (mother and son) say someone else, whatever the rest scores.
    for record, theirs in ((son, [father]), (father, [son]), (mother, [son]), (son, [father, mother])):
        assert not m.plainly_someone_else(record, theirs)
        assert m.never_links(record, theirs)
        assert not m.links(m.score(record, "c", theirs))
    # Not certain: one member's date may be a typo of the son's, his own identifier, or a date keyed
    # wrong twice on a record with the son's own mobile.
    typo = Features(person("Klaus", "1980-05-18", "", "", ("", ""), "", "4"))
    assert not m.never_links(son, [father, typo])
    own_id = Features(person("Klaus", "1955-03-02", "", "", home, "DE123456789", "5"))
    son_id = Features(person("Klaus", "1980-05-17", "", "", home, "DE123456789", "6"))
    assert not m.never_links(son_id, [own_id])
    mobile = Features(person("Klaus", "1955-03-02", "", "+4915112345678", home, "", "7"))
    son_mobile = Features(person("Klaus", "1980-05-17", "", "+4915112345678", home, "", "8"))
    assert not m.never_links(son_mobile, [mobile])
    # The same person's date keyed wrong twice ("1987-09-08" for "1987-06-09"), the e-mail his own.
    keyed = Features(person("Klaus", "1987-09-08", "klaus@x.de", "", home, "", "9"))
    first = Features(person("Klaus", "1987-06-09", "klaus@x.de", "", home, "", "10"))
    assert m.links(m.score(keyed, "c", [first]))
    assert not m.never_links(keyed, [first])
