"""The match model: EM estimates come back from data with known m and u, term frequency moves a score
the expected way, a model survives its JSON form, and households are never one person."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given as generated
from hypothesis import strategies as st

from isthmus.customers.matching import (
    LEVELS,
    Features,
    MatchConfig,
    Matcher,
    MatchModel,
    Outcome,
    own_evidence,
    scoring,
    shared_contacts,
)
from isthmus.customers.matching.comparators import dob_level
from isthmus.customers.matching.training import (
    ESTIMATED,
    TrainingOptions,
    estimate_u,
    expectation_maximisation,
    train,
    u_without_one_person,
)
from isthmus.customers.records import Address, Email, Name, Phone, Record

M = {
    "email_exact": [0.55, 0.05, 0.40],
    "phone_exact": [0.7, 0.3],
    "identifier": [0.8, 0.1, 0.1],
    "given_name": [0.8, 0.05, 0.06, 0.02, 0.02, 0.02, 0.01, 0.02],
    "family_name": [0.85, 0.07, 0.02, 0.02, 0.01, 0.03],
    "date_of_birth": [0.8, 0.04, 0.06, 0.02, 0.02, 0.06],
    "postal_address": [0.6, 0.05, 0.05, 0.05, 0.05, 0.2],
}
U = {
    "email_exact": [0.01, 0.01, 0.98],
    "phone_exact": [0.02, 0.98],
    "identifier": [0.001, 0.01, 0.989],
    "given_name": [0.02, 0.01, 0.02, 0.01, 0.05, 0.02, 0.02, 0.85],
    "family_name": [0.08, 0.04, 0.02, 0.05, 0.01, 0.80],
    "date_of_birth": [0.001, 0.001, 0.01, 0.003, 0.01, 0.975],
    "postal_address": [0.01, 0.005, 0.005, 0.01, 0.07, 0.9],
}


def _draw(rng: random.Random, probabilities: dict[str, list[float]]) -> tuple[int, ...]:
    out = []
    for name in ESTIMATED:
        if rng.random() < 0.15:  # a side lacks the value
            out.append(-1)
        else:
            ps = probabilities[name]
            out.append(rng.choices(range(len(ps)), ps)[0])
    return tuple(out)


def test_em_recovers_m_and_the_prior_from_pairs_drawn_with_known_m_and_u():
    rng = random.Random(3)
    prior = 0.3
    pairs = Counter(_draw(rng, M if rng.random() < prior else U) for _ in range(60_000))
    randoms = Counter(_draw(rng, U) for _ in range(60_000))
    u = estimate_u(randoms)
    m, estimated_prior, iterations = expectation_maximisation(pairs, u, TrainingOptions())
    assert estimated_prior == pytest.approx(prior, abs=0.02)
    for name in ESTIMATED:
        assert u[name] == pytest.approx(U[name], abs=0.01), name
        assert m[name] == pytest.approx(M[name], abs=0.03), name
    assert iterations < TrainingOptions().iterations


def test_u_leaves_out_the_random_pairs_that_are_one_person():
    # People with several records each: one random pair in a hundred is one person, as often as two
    # people share an identifier by chance ten times over.
    rng = random.Random(4)
    share = 0.01
    randoms = Counter(_draw(rng, M if rng.random() < share else U) for _ in range(200_000))
    naive = estimate_u(randoms)
    u, estimated_share = u_without_one_person(randoms, M, TrainingOptions())
    assert estimated_share == pytest.approx(share, rel=0.2)
    for name, level in (("identifier", 0), ("date_of_birth", 0)):
        assert naive[name][level] > 3 * U[name][level], name  # what counting every pair gives
        assert u[name][level] == pytest.approx(U[name][level], rel=0.3), name
    for name in ESTIMATED:
        assert u[name] == pytest.approx(U[name], abs=0.005), name


def rec(
    sid: str,
    given: str,
    family: str,
    dob: str = "",
    *,
    street: str = "",
    pc: str = "",
    phone: str = "",
    email: str = "",
    suffix: str = "",
) -> Features:
    return Features(
        Record(
            source_system="erp",
            source_id=sid,
            observed_at=datetime(2026, 1, 1, tzinfo=UTC),
            name=Name(given=given, family=family, suffix=suffix),
            emails=(Email(email, email),) if email else (),
            phones=(Phone(phone, phone),) if phone else (),
            addresses=(Address(lines=(street,), postal_code=pc),) if street else (),
            dob=dob,
        )
    )


def _model_with_frequencies() -> MatchModel:
    builtin = MatchConfig().builtin_model()
    u = {c: {level: 0.05 for level in levels} for c, levels in LEVELS.items()}
    return MatchModel(
        "7",
        builtin.weights,
        10.0,
        8.0,
        u=u,
        term_frequencies={"family_name": {"smith": 0.2, "wojcikiewicz": 0.0001}, "given_name": {}},
        tf_floor={"family_name": 0.0001, "given_name": 0.0001},
    )


def test_term_frequency_makes_agreeing_on_a_common_name_worth_less_than_on_a_rare_one():
    matcher = Matcher(MatchConfig(), model=_model_with_frequencies())
    builtin = Matcher(MatchConfig())

    def family_weight(m: Matcher, family: str) -> float:
        comparisons = m.score_pair(rec("1", "Anna", family), rec("2", "Anna", family))[1]
        return next(c.weight for c in comparisons if c.comparator == "family_name")

    common, rare = family_weight(matcher, "Smith"), family_weight(matcher, "Wojcikiewicz")
    plain = family_weight(builtin, "Smith")
    assert common < plain < rare
    # u(exact) 0.05 against a share of 0.2: two bits less; a name never seen counts as rare.
    assert common == pytest.approx(plain - 2.0)
    assert family_weight(matcher, "Zzyzx") == rare


def test_a_trained_model_learns_from_records_and_survives_its_json_form():
    rng = random.Random(5)
    people = [
        (f"Given{n % 97}", f"Family{n % 89}", f"19{50 + n % 40}-0{1 + n % 9}-1{n % 9}") for n in range(400)
    ]
    features = []
    for n, (given, family, dob) in enumerate(people):
        for copy in range(1 + n % 2):
            typo = family if copy == 0 or rng.random() < 0.7 else family[:-1] + "x"
            features.append(rec(f"{n}-{copy}", given, typo, dob, street=f"Weg {n % 50}", pc=f"{10000 + n}"))
    model = train(features, MatchConfig().builtin_model(), TrainingOptions(random_pairs=20_000))
    assert model.weight("date_of_birth", "exact") > 5 > model.weight("date_of_birth", "different")
    assert model.weight("family_name", "exact") > model.weight("family_name", "typo")
    assert model.weight("family_name", "typo") > model.weight("family_name", "different")
    assert model.lower_threshold < model.upper_threshold
    again = MatchModel.from_json(model.to_json(), version="3")
    assert again.version == "3" and again.weights == model.weights
    assert again.adjusted("family_name", "exact", "family1") == model.adjusted(
        "family_name", "exact", "family1"
    )


def test_records_without_duplicates_teach_nothing_and_training_says_so():
    # One record per person, many sharing a family name and a postcode: every candidate pair is two people.
    rng = random.Random(9)

    def word() -> str:
        return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))

    features = [
        rec(
            str(n),
            word(),
            f"Family{n % 7}",
            f"19{50 + n % 40}-0{1 + n % 9}-1{n % 9}",
            street="Weg 1",
            pc="10115",
        )
        for n in range(300)
    ]
    with pytest.raises(ValueError, match="too few duplicates"):
        train(features, MatchConfig().builtin_model(), TrainingOptions(random_pairs=5_000))


def test_a_model_file_missing_a_level_is_refused_naming_it():
    data = MatchConfig().builtin_model().to_json()
    del data["weights"]["date_of_birth"]["one_digit"]
    with pytest.raises(ValueError, match="date_of_birth"):
        MatchModel.from_json(data)


# --- households are not people -----------------------------------------------------------------------


HOME = {"street": "Lindenallee 4", "pc": "10115", "phone": "+493012345678"}


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        # twins: family, birth date, address and landline shared; the given names differ
        (
            rec("1", "Lena", "Berger", "2001-03-04", **HOME),
            rec("2", "Jonas", "Berger", "2001-03-04", **HOME),
            "given",
        ),
        # a father and his son of one name, at one address: 28 years apart
        (
            rec("1", "Thomas", "Berger", "1960-03-04", **HOME),
            rec("2", "Thomas", "Berger", "1988-11-20", **HOME),
            "dates",
        ),
        # and when one copy has no birth date, the generations still tell them apart
        (
            rec("1", "Thomas", "Berger", "", suffix="Sr.", **HOME),
            rec("2", "Thomas", "Berger", "1988-11-20", suffix="Jr", **HOME),
            "generations",
        ),
        # spouses sharing a household e-mail and the landline
        (
            rec("1", "Maria", "Berger", "1962-01-01", email="familie@example.com", **HOME),
            rec("2", "Peter", "Berger", "", email="familie@example.com", **HOME),
            "given",
        ),
    ],
)
def test_a_household_is_never_one_person_however_much_it_shares(a: Features, b: Features, why: str):
    for model in (None, _model_with_frequencies()):
        matcher = Matcher(MatchConfig(), model=model)
        scored = matcher.score(b, "c1", [a])
        assert why in scored.against
        assert scored.score > MatchConfig().upper_threshold or why != "given"  # shares enough to link
        decision = matcher.decide(b, [scored])
        assert decision.outcome is Outcome.NEW and decision.rule == ""
        assert [h.customer_id for h in decision.households] == ["c1"]


def test_a_persons_own_identifier_outweighs_a_birth_date_keyed_wrong():
    from isthmus.customers.records import Identifier

    def with_id(f: Features, value: str) -> Features:
        record = f.record
        return Features(
            Record(
                source_system=record.source_system,
                source_id=record.source_id,
                observed_at=record.observed_at,
                name=record.name,
                addresses=record.addresses,
                dob=record.dob,
                identifiers=(Identifier(1, value, "AU", value),),
            )
        )

    a = with_id(rec("1", "Thomas", "Berger", "1960-03-04", street="Lindenallee 4", pc="10115"), "4817613")
    b = with_id(rec("2", "Thomas", "Berger", "1930-12-06", street="Lindenallee 4", pc="10115"), "4816613")
    scored = Matcher(MatchConfig()).score(b, "c1", [a])
    assert scored.against == ""


@pytest.mark.parametrize(
    ("x", "y", "level"),
    [
        ("1980-05-17", "1980-05-17", "exact"),
        ("1980-05-07", "1980-07-05", "day_month_swapped"),
        ("1980-05-17", "1980-05-18", "one_digit"),
        ("1957-05-17", "1975-05-17", "digits_transposed"),
        # Across a dash: the year's last digit with the month's first, the month's last with the day's.
        ("1990-12-05", "1991-02-05", "digits_transposed"),
        ("1980-11-03", "1980-10-13", "digits_transposed"),
        # Two digits apart but not side by side once the dashes are gone, or not each other's.
        ("1990-12-05", "1992-10-05", "different"),
        ("1980-05-17", "1980-05-28", "year_month"),
        ("1980-05-17", "1980-05-02", "year_month"),
        ("1980-05-17", "1952-11-02", "different"),
    ],
)
def test_birth_date_levels(x: str, y: str, level: str):
    from isthmus.customers.matching.comparators import dob_level

    assert dob_level(x, y) == level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (("10115", "Hauptstraße 5"), ("10115", "Hauptstr. 5"), "exact"),
        (("10115", "Hauptstraße 5"), ("10116", "Hauptstraße 5"), "postcode_typo"),
        (("10115", "Hauptstraße 5"), ("10115", "Hauptstraße"), "no_number"),
        (("10115", "Hauptstraße 5"), ("80331", "Hauptstraße 5"), "street"),
        (("10115", "Hauptstraße 5"), ("10115", "Hauptstraße 7"), "postcode"),
        (("10115", "Hauptstraße 5"), ("80331", "Ringweg 2"), "different"),
    ],
)
def test_address_levels_tell_a_neighbour_from_a_missing_house_number(a, b, level):
    from isthmus.customers.matching.comparators import address_level
    from isthmus.customers.matching.features import street_key

    assert address_level(a[0], street_key(a[1]), b[0], street_key(b[1]))[0] == level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Anna-Lena", "Annalena", "exact"),
        ("Anna", "Anna-Lena", "part"),
        ("Anna-Lena", "Anna-Maria", "different"),
        ("Catherine", "Kathryn", "phonetic"),
        ("Bill", "William", "nickname"),
    ],
)
def test_given_name_levels(a: str, b: str, level: str):
    x, y = rec("1", a, "Berger"), rec("2", b, "Berger")
    comparisons = Matcher(MatchConfig()).score_pair(x, y)[1]
    assert next(c.level for c in comparisons if c.comparator == "given_name") == level


def test_what_only_one_person_of_a_home_holds_tells_them_apart_and_what_the_home_shares_does_not():
    home = {"street": "Lindenallee 4", "pc": "10115"}
    landline, mobile = "+493055501770", "+491715550101"
    father = rec("F1", "Hans", "Becker", "1961-03-04", phone=landline, email="hb@example.de", **home)
    son = rec("S1", "Hans", "Becker", "1990-07-08", phone=landline, email="jr@example.com", **home)
    matcher = Matcher(MatchConfig())
    household = shared_contacts([father], [son])
    assert household == {landline}

    # Names, the address and the landline: the home's, evidence of neither.
    undated = rec("X", "Hans", "Becker", phone=landline, **home)
    for person in (father, son):
        assert own_evidence(matcher.score(undated, "c", [person]).comparisons, household) == []
    # The son's e-mail, his mobile, his birth date: his.
    for own in (
        rec("S0", "Hans", "Becker", email="jr@example.com", **home),
        rec("S0", "Hans", "Becker", phone=mobile, **home),
        rec("S0", "Hans", "Becker", "1990-07-08", **home),
    ):
        with_son = rec("S1", "Hans", "Becker", "1990-07-08", phone=mobile, email="jr@example.com", **home)
        found = own_evidence(matcher.score(own, "c", [with_son]).comparisons, household)
        assert [c.comparator for c in found] in (["email_exact"], ["phone_exact"], ["date_of_birth"])
        assert own_evidence(matcher.score(own, "c", [father]).comparisons, household) == []
    # An e-mail both hold is the household's, however personal it looks.
    shared = shared_contacts([father], [rec("S1", "Hans", "Becker", email="hb@example.de")])
    assert (
        own_evidence(matcher.score(father, "c", [father]).comparisons, shared)[0].comparator != "email_exact"
    )


# --- one person's records keyed wrong in different ways ---------------------------------------------


def test_birth_dates_keyed_wrong_once_each_are_one_persons_when_a_record_is_within_a_typo_of_both():
    matcher = Matcher(MatchConfig())
    home = {"street": "Lindenallee 4", "pc": "10115"}
    phone_copy = rec("A", "Maurizio", "Wahner", "1975-11-26", phone="+491783460074", **home)
    mail_copy = rec("B", "Maurizio", "Wahner", "1970-11-22", email="mw@example.com")
    # Two digits apart, compared with each other: two people, as far as these two records say.
    assert "dates" in matcher.score(mail_copy, "c", [phone_copy]).against
    assert not matcher.compatible([phone_copy], [mail_copy])
    # A record one digit from each (it holds the e-mail of one and the phone of the other) shows each
    # copy was keyed wrong once: one person.
    both = rec("C", "Maurizio", "Wahner", "1970-11-26", phone="+491783460074", email="mw@example.com")
    assert matcher.compatible([phone_copy], [mail_copy], both)
    assert matcher.compatible([phone_copy, both], [mail_copy])
    # A record that is no closer to either explains nothing, and a given name apart is still two people.
    undated = rec("D", "Maurizio", "Wahner", phone="+491783460074", email="mw@example.com")
    assert not matcher.compatible([phone_copy], [mail_copy], undated)
    sister = rec("E", "Marta", "Wahner", "1970-11-22", email="mw@example.com")
    assert not matcher.compatible([phone_copy], [sister], both)


@pytest.mark.parametrize("first", ["given", "transposed"])
def test_a_nickname_agrees_transposed_whichever_record_arrives_first(first: str):
    given, transposed = rec("1", "William", "Smith"), rec("2", "Smith", "Bill")
    a, b = (given, transposed) if first == "given" else (transposed, given)
    for model in (None, _model_with_frequencies()):
        levels = {c.comparator: c.level for c in Matcher(MatchConfig(), model=model).score_pair(a, b)[1]}
        assert sorted(levels.values()) == ["exact", "nickname"]


@pytest.mark.parametrize("first", ["given", "transposed"])
def test_names_transposed_agree_whichever_record_arrives_first(first: str):
    # "Heinz-Willi-Franz-Josef Pergande", and a copy with the names in each other's place, the given
    # names spaced and one mistyped ("Heinz Filli Franz Josef").
    given = rec("1", "Heinz-Willi-Franz-Josef", "Pergande", "2005-09-06")
    transposed = rec("2", "Pergande", "Heinz Filli Franz Josef", "2005-09-06")
    a, b = (given, transposed) if first == "given" else (transposed, given)
    levels = {c.comparator: c.level for c in Matcher(MatchConfig()).score_pair(a, b)[1]}
    assert {levels["given_name"], levels["family_name"]} == {"exact", "typo"}


def test_a_persons_birth_date_keyed_wrong_does_not_make_their_full_name_look_common():
    from isthmus.customers.matching.model import FULL_NAME
    from isthmus.customers.matching.training import term_frequencies

    one = [
        rec("1", "Matthias", "Schönland", "1975-07-02"),
        rec("2", "Matthias", "Schönland", "1975-02-07"),  # day and month swapped
        rec("3", "Matthias", "Schönland", "1975-02-05"),  # and a digit off
    ]
    namesakes = [rec("4", "Maria", "Garcia", "1963-02-19"), rec("5", "Maria", "Garcia", "1988-07-30")]
    others = [rec(str(n), f"Given{n}", f"Family{n}", f"19{50 + n % 40}-01-1{n % 9}") for n in range(6, 26)]
    tables, floors = term_frequencies([*one, *namesakes, *others])
    assert "matthias schonland" not in tables[FULL_NAME]
    assert tables[FULL_NAME]["maria garcia"] == pytest.approx(2 * floors[FULL_NAME])


def test_the_commoner_reading_of_transposed_names_sets_their_term_frequency():
    model = MatchModel(
        "7",
        MatchConfig().builtin_model().weights,
        10.0,
        8.0,
        u={c: {level: 0.05 for level in levels} for c, levels in LEVELS.items()},
        term_frequencies={"family_name": {"muller": 0.2}, "given_name": {"delia": 0.05}},
        tf_floor={"family_name": 0.0001, "given_name": 0.0001},
    )
    matcher = Matcher(MatchConfig(), model=model)
    in_place = rec("1", "Delia", "Müller")
    transposed = rec("2", "Müller", "Delia")
    for a, b in ((in_place, transposed), (transposed, in_place)):
        comparisons = matcher.score_pair(a, b)[1]
        names = sum(c.weight for c in comparisons if c.comparator in ("given_name", "family_name"))
        # "Müller" as a given name has never been seen, so it would read as a rare name (+4.3):
        # the names are weighed as "Delia" (given, +0) and "Müller" (family, a common name, -2).
        exact = model.weight("given_name", "exact") + model.weight("family_name", "exact")
        assert names == pytest.approx(exact - 2.0)


def test_twins_birth_date_is_their_homes_and_tells_neither_apart():
    home = {"street": "Lindenallee 4", "pc": "10115"}
    joe = rec("J1", "Joe", "Allen", "1979-04-13", phone="+491723379706", email="joe@example.com", **home)
    joshua = rec("J2", "Joshua", "Allen", "1979-04-13", email="joshua@example.com", **home)
    household = shared_contacts([joe], [joshua])
    assert household == {"1979-04-13"}
    matcher = Matcher(MatchConfig())
    # Joseph's record: his e-mail and mobile, and the birth date both twins hold.
    joseph = rec(
        "J3", "Joseph", "Allen", "1979-04-13", phone="+491723379706", email="joe@example.com", **home
    )
    assert {c.comparator for c in own_evidence(matcher.score(joseph, "c", [joe]).comparisons, household)} == {
        "email_exact",
        "phone_exact",
    }
    assert own_evidence(matcher.score(joseph, "c", [joshua]).comparisons, household) == []


def test_a_birth_date_keyed_wrong_twice_is_one_persons_when_their_own_e_mail_or_mobile_agrees():
    matcher = Matcher(MatchConfig())
    first = rec("1", "Nienke", "de Graaf", "1987-09-08", email="nienke@example.com", phone="+491777362666")
    # Day and month swapped, and then a digit off: keyed wrong twice.
    again = rec("2", "Nienke", "de Graaf", "1987-06-09", email="nienke@example.com")
    assert matcher.score(again, "c", [first]).against == ""
    assert matcher.decide(again, [matcher.score(again, "c", [first])]).outcome is Outcome.DETERMINISTIC
    mobile = rec("3", "Nienke", "de Graaf", "1987-06-09", phone="+491777362666")
    assert matcher.score(mobile, "c", [first]).against == ""
    # Two digits off, each a slip of its own (the year's last digit, the month's).
    two_digits = rec("7", "Nienke", "de Graaf", "1984-06-08", email="nienke@example.com")
    assert matcher.score(two_digits, "c", [first]).against == ""
    # Without the person's own e-mail or mobile, or with the home's landline only, two people.
    for other in (
        rec("4", "Nienke", "de Graaf", "1987-06-09", street="Lindenallee 4", pc="10115"),
        rec("5", "Nienke", "de Graaf", "1987-06-09", phone="+493012345678"),
    ):
        home = rec(
            "1", "Nienke", "de Graaf", "1987-09-08", phone="+493012345678", street="Lindenallee 4", pc="10115"
        )
        assert "dates" in matcher.score(other, "c", [home]).against
    # A father and his son are decades apart, not a swap and a digit.
    son = rec("6", "Nienke", "de Graaf", "2011-09-08", email="nienke@example.com")
    assert "dates" in matcher.score(son, "c", [first]).against


def _two_slips_by_search(x: str, y: str) -> bool:
    """Two slips the long way: every date one slip from ``x``, each compared with ``y``."""
    year, month, day = x.split("-")
    digits = x.replace("-", "")
    near = {f"{year}-{day}-{month}"}
    for i in range(len(digits)):
        near |= {digits[:i] + d + digits[i + 1 :] for d in "0123456789" if d != digits[i]}
        if i + 1 < len(digits):
            near.add(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    dashed = (z if "-" in z else f"{z[:4]}-{z[4:6]}-{z[6:]}" for z in near)
    return any(dob_level(z, y) in {"day_month_swapped", "one_digit", "digits_transposed"} for z in dashed)


_DATES = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    st.integers(1900, 2030) | st.sampled_from([1911, 1999, 2000]),
    st.integers(1, 12) | st.sampled_from([11, 1]),
    st.integers(1, 31) | st.sampled_from([11, 1, 12]),
)


@generated(_DATES, st.data())
def test_two_slips_by_meeting_halfway_is_two_slips_by_search(x: str, data: st.DataObject) -> None:
    # y: near x (one or two edits of its digits, a swap) as often as anywhere.
    digits = list(x.replace("-", ""))
    for _ in range(data.draw(st.integers(0, 3))):
        digits[data.draw(st.integers(0, 7))] = data.draw(st.sampled_from("0123456789"))
    y = data.draw(st.sampled_from(["".join(digits), x[:5] + x[8:] + "-" + x[5:7]]) | _DATES)
    y = y if "-" in y else f"{y[:4]}-{y[4:6]}-{y[6:]}"
    assert scoring._two_slips(x, y) == _two_slips_by_search(x, y)


def test_a_typo_of_a_full_name_many_share_weighs_no_more_than_the_name_itself():
    from isthmus.customers.matching.model import FULL_NAME

    model = MatchModel(
        "7",
        MatchConfig().builtin_model().weights,
        10.0,
        8.0,
        u={c: {level: 0.05 for level in levels} for c, levels in LEVELS.items()},
        # Ten people called Maria Garcia: the full name is common though each part alone is not.
        term_frequencies={"family_name": {}, "given_name": {}, FULL_NAME: {"maria garcia": 0.01}},
        tf_floor={"family_name": 0.0001, "given_name": 0.0001},
    )
    matcher = Matcher(MatchConfig(), model=model)

    def names(a: Features, b: Features) -> float:
        return sum(
            c.weight for c in matcher.score_pair(a, b)[1] if c.comparator in ("given_name", "family_name")
        )

    maria, namesake, typo = (
        rec("1", "Maria", "Garcia"),
        rec("2", "Maria", "Garcia"),
        rec("3", "Margia", "Garcia"),
    )
    assert names(typo, maria) == pytest.approx(names(namesake, maria))
    assert names(maria, typo) == pytest.approx(names(namesake, maria))
    # The name as it should be may come transposed, the typo in place.
    transposed = rec("6", "Garcia", "Maria")
    assert names(transposed, typo) == pytest.approx(names(namesake, maria))
    assert names(typo, transposed) == pytest.approx(names(namesake, maria))
    # A rare full name keeps the typo's own, lower weight.
    assert names(rec("4", "Heike", "Wojcik"), rec("5", "Hieke", "Wojcik")) < names(
        rec("4", "Heike", "Wojcik"), rec("5", "Heike", "Wojcik")
    )


def test_a_trained_model_links_where_a_pair_is_one_person_with_the_odds_it_is_told():
    import math

    rng = random.Random(5)

    def word() -> str:
        return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3)).title()

    features = []
    for n in range(400):
        given, family, dob = word(), word(), f"19{50 + n % 40}-0{1 + n % 9}-1{n % 9}"
        for copy in range(1 + n % 2):
            typo = family if copy == 0 or rng.random() < 0.7 else family[:-1] + "x"
            features.append(rec(f"{n}-{copy}", given, typo, dob, street=f"Weg {n % 50}", pc=f"{10000 + n}"))
    builtin = MatchConfig().builtin_model()
    model = train(features, builtin, TrainingOptions(random_pairs=20_000))

    # 200 pairs of one person among the 179,700 pairs of 600 records: about one in 900.
    assert 1 / model.pair_prior == pytest.approx(179_700 / 200, rel=0.25)
    odds_before = math.log2(model.pair_prior / (1 - model.pair_prior))
    assert model.upper_threshold == pytest.approx(math.log2(0.95 / 0.05) - odds_before, abs=0.05)
    assert model.lower_threshold == pytest.approx(-odds_before, abs=0.05)
    assert model.match_probability(model.upper_threshold) == pytest.approx(0.95, abs=0.005)
    assert MatchModel.from_json(model.to_json()).pair_prior == model.pair_prior
    # An operator can still cut at weights of evidence.
    fixed = train(
        features, builtin, TrainingOptions(random_pairs=20_000, link_weight=10.0, review_weight=6.0)
    )
    assert (fixed.upper_threshold, fixed.lower_threshold) == (10.0, 6.0)


def test_given_names_that_only_resemble_link_on_the_persons_own_e__mail_not_on_what_a_home_shares():
    home = {"street": "Krebsplatz 135", "pc": "15898"}
    anna = rec("1", "Anna", "Schulz", "1982-10-21", **home)
    for model in (None, _model_with_frequencies()):
        matcher = Matcher(MatchConfig(), model=model)
        # Siblings: names alike, one home; twins: the birth date too.
        for other in (
            rec("2", "Joanna", "Schulz", **home),
            rec("3", "Joanna", "Schulz", "1982-10-21", phone="+493055501770", **home),
        ):
            scored = matcher.score(other, "c", [anna])
            assert next(c.level for c in scored.comparisons if c.comparator == "given_name") == "similar"
            assert not matcher.links(scored)
        # The person's own e-mail says it is one person whose name was mistyped.
        with_mail = rec("4", "Anna", "Schulz", "1982-10-21", email="as@example.com", **home)
        mistyped = rec("5", "Joanna", "Schulz", email="as@example.com", **home)
        assert matcher.links(matcher.score(mistyped, "c", [with_mail]))
