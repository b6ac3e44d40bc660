"""Normalisation and validation of source records (no I/O)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from isthmus.customers.normalise import (
    canonical_email,
    collapse,
    fold,
    normalise,
    split_full_name,
    tidy_case,
    unaccented,
)
from isthmus.customers.records import Record, content_hash
from isthmus.kernel.errors import InvalidArgument
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as pb

NOW = datetime(2025, 6, 1, tzinfo=UTC)
SYSTEMS = frozenset({"erp", "webshop"})


def norm(**kw) -> Record:  # type: ignore[no-untyped-def]
    kw.setdefault("source_system", "erp")
    kw.setdefault("source_id", "1")
    return normalise(pb.SourceRecord(**kw), known_systems=SYSTEMS, now=NOW, default_region="DE")


def violations(**kw) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument) as err:
        norm(**kw)
    return [f for f, _ in err.value.violations]


def test_names_are_trimmed_collapsed_and_shouting_is_title_cased_but_mixed_case_kept():
    r = norm(name=pb.PersonName(given_name="  ANNA-LENA ", family_name="McDonald\u00a0 "))
    assert (r.name.given, r.name.family) == ("Anna-Lena", "McDonald")
    assert r.name.raw == "ANNA-LENA McDonald"


def test_full_name_is_split_into_prefix_given_middle_family_and_suffix():
    assert split_full_name("Dr. Anna M. Schmidt Jr.") == ("Dr.", "Anna", "M.", "Schmidt", "Jr.")
    assert split_full_name("Schmidt, Anna") == ("", "Anna", "", "Schmidt", "")
    r = norm(name=pb.PersonName(full_name="mr john SMITH"))
    assert (r.name.prefix, r.name.given, r.name.family) == ("mr", "john", "SMITH") or r.name.given == "John"


def test_email_canonical_form_lowers_the_domain_and_phone_becomes_e164_with_raw_kept():
    r = norm(
        emails=[pb.EmailAddress(address=" Anna.S@Example.COM ")],
        phones=[pb.PhoneNumber(number="(030) 123-4567"), pb.PhoneNumber(number="+44 20 7946 0958")],
    )
    assert r.emails[0].address == "Anna.S@example.com"
    assert r.emails[0].raw == " Anna.S@Example.COM "
    assert [p.number for p in r.phones] == ["+49301234567", "+442079460958"]


def test_phone_region_comes_from_the_address_when_the_number_has_no_prefix():
    addr = pb.Address(address=common_pb2.PostalAddress(address_lines=["1 Main St"], region_code="us"))
    r = norm(phones=[pb.PhoneNumber(number="(212) 555-0123")], addresses=[addr])
    assert r.phones[0].number == "+12125550123"
    assert r.addresses[0].region == "US"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"source_system": "mainframe", "name": pb.PersonName(given_name="A")}, "source_system"),
        ({"source_system": "erp\x00", "name": pb.PersonName(given_name="A")}, "source_system"),
        ({"source_id": "", "name": pb.PersonName(given_name="A")}, "source_id"),
        ({"source_id": "x" * 200, "name": pb.PersonName(given_name="A")}, "source_id"),
        ({"source_id": "7\x00", "name": pb.PersonName(given_name="A")}, "source_id"),
        ({}, "name"),
    ],
)
def test_a_record_without_an_address_or_content_is_refused_naming_the_field(kw, field):
    assert field in violations(**kw)


A = pb.PersonName(given_name="A")


@pytest.mark.parametrize(
    ("kw", "field", "rule", "raw"),
    [
        (
            {"name": A, "emails": [pb.EmailAddress(address="a@b")]},
            "emails[0].address",
            "email_address",
            "a@b",
        ),
        (
            {"emails": [pb.EmailAddress(address="a\x00@b.de")]},
            "emails[0].address",
            "control_characters",
            "a\\u0000@b.de",
        ),
        (
            {"name": A, "phones": [pb.PhoneNumber(number="+49 1")]},
            "phones[0].number",
            "phone_number",
            "+49 1",
        ),
        ({"name": pb.PersonName(given_name="x" * 201)}, "name.given_name", "too_long", "x" * 201),
        ({"name": pb.PersonName(given_name="A\x00B")}, "name.given_name", "control_characters", "A\\u0000B"),
        (
            {"name": A, "birth_date": common_pb2.Date(year=1945, month=4, day=93)},
            "birth_date",
            "calendar_date",
            "1945-04-93",
        ),
        (
            {"name": A, "birth_date": common_pb2.Date(year=2031, month=1, day=1)},
            "birth_date",
            "future_date",
            "2031-01-01",
        ),
        (
            {"name": A, "birth_date": common_pb2.Date(year=1800, month=1, day=1)},
            "birth_date",
            "date_before_1900",
            "1800-01-01",
        ),
        ({"name": A, "identifiers": [pb.Identifier(value="123")]}, "identifiers[0].kind", "required", "123"),
        (
            {"name": A, "identifiers": [pb.Identifier(kind=99, value="123")]},  # type: ignore[arg-type]
            "identifiers[0].kind",
            "enum_value",
            "99",
        ),
        ({"name": A, "emails": [pb.EmailAddress(address="x@y.z")] * 21}, "emails", "too_many", "21"),
        (
            {"name": A, "attributes": {"tier": "g\x01ld"}},
            "attributes['tier']",
            "control_characters",
            "g\\u0001ld",
        ),
    ],
)
def test_a_bad_value_is_kept_raw_as_a_finding_and_the_record_stays(kw, field, rule, raw):
    record = norm(**kw)
    assert [(f.field, f.rule, f.raw) for f in record.findings] == [(field, rule, raw)]
    # No control character reaches the database (PostgreSQL refuses NUL in text).
    assert not any(c in json.dumps(record.to_json(), ensure_ascii=False) for c in "\x00\x01")


def test_a_flagged_value_is_never_a_record_value():
    record = norm(
        name=A,
        emails=[pb.EmailAddress(address="not-an-address"), pb.EmailAddress(address="anna@example.com")],
        birth_date=common_pb2.Date(year=1945, month=4, day=93),
    )
    assert [e.address for e in record.emails] == ["anna@example.com"]
    assert record.dob == ""
    assert Record.from_json(record.to_json()) == record


def test_every_bad_field_is_reported_at_once():
    found = violations(
        source_system="",
        source_id="",
        emails=[pb.EmailAddress(address="nope")],
        phones=[pb.PhoneNumber(number="1")],
    )
    assert found == ["source_system", "source_id"]
    record = norm(name=A, emails=[pb.EmailAddress(address="nope")], phones=[pb.PhoneNumber(number="1")])
    assert [f.field for f in record.findings] == ["emails[0].address", "phones[0].number"]


def test_a_record_whose_every_value_is_flagged_is_kept():
    record = norm(emails=[pb.EmailAddress(address="nope")])
    assert [f.rule for f in record.findings] == ["email_address"]


def test_identifiers_drop_separators_and_duplicates():
    r = norm(
        identifiers=[
            pb.Identifier(kind=pb.IDENTIFIER_KIND_TAX_ID, value="de 123-456 789", issuing_country="de")
        ]
        * 2
    )
    assert [(i.value, i.country) for i in r.identifiers] == [("DE123456789", "DE")]


def test_content_hash_ignores_observed_at_so_the_same_content_is_unchanged():
    a = norm(name=pb.PersonName(given_name="A"))
    b = normalise(
        pb.SourceRecord(source_system="erp", source_id="1", name=pb.PersonName(given_name="A")),
        known_systems=SYSTEMS,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert content_hash(a.to_json()) == content_hash(b.to_json())


def test_content_hash_is_stable_across_releases():
    # Stored hashes decide whether a re-ingested record changed: the function must not drift.
    r = normalise(
        pb.SourceRecord(
            source_system="erp",
            source_id="1",
            name=pb.PersonName(given_name="Zoë", family_name="Ångström"),
            emails=[pb.EmailAddress(address="zoe@example.org")],
        ),
        known_systems={"erp"},
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert content_hash(r.to_json()) == "9634d30f2c954dccb2b72a8731f940bb612e9774509e8812497a35b8c378ec70"


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.text(max_size=20)
        | st.lists(st.text(max_size=8), max_size=3)
        | st.integers(-(2**63), 2**63 - 1)
        | st.booleans(),
        max_size=6,
    )
)
@example({"name": "Zoë \x7f \U0001f600 \u2028 \x00\n"})
def test_content_hash_hashes_the_standard_library_s_json_of_the_record(data):
    expected = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    assert content_hash(data) == hashlib.sha256(expected).hexdigest()


@given(st.text(max_size=60))
def test_tidying_is_idempotent_and_never_leaves_outer_or_double_spaces(text):
    once = tidy_case(text)
    assert tidy_case(once) == once
    assert once == once.strip()
    assert "  " not in collapse(once)


@given(st.text(max_size=60))
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.text(st.characters(max_codepoint=127), max_size=60))
def test_ascii_folds_by_lower_casing_alone(text):
    # fold's shortcut for ASCII: no accent to drop, and lower-casing is its case-folding.
    assert unaccented(text) == text.lower()


@given(st.emails())
def test_every_generated_email_is_accepted_and_canonical_form_is_stable(email):
    canonical = canonical_email(email)
    if canonical is not None:
        assert canonical_email(canonical) == canonical


@given(
    st.builds(
        pb.PersonName,
        given_name=st.text(max_size=30),
        family_name=st.text(max_size=30),
    ),
    st.lists(st.text(max_size=40), max_size=3),
)
def test_any_input_either_normalises_or_raises_invalid_argument(name, emails):
    try:
        r = norm(name=name, emails=[pb.EmailAddress(address=e) for e in emails])
    except InvalidArgument as exc:
        assert exc.violations
    else:
        assert Record.from_json(r.to_json()) == r


_ASCII_OR_ANY = st.one_of(st.text(st.characters(max_codepoint=127), max_size=20), st.text(max_size=20))


@given(st.lists(_ASCII_OR_ANY, min_size=1, max_size=6), st.integers(-(2**40), 2**40), st.booleans())
@example(["del \x7f", "tab\t", "Zoë"], 1, True)
def test_content_hash_hashes_the_standard_librarys_bytes_for_any_text(texts, number, flag):
    data = {
        "name": {"given": texts[0], "raw": texts[-1]},
        "emails": [{"address": t, "kind": number, "primary": flag} for t in texts],
        "attributes": [[t, t[::-1]] for t in texts],
        "dob": None,
        "observed_at": "2026-01-01T00:00:00+00:00",
        "lawful_basis": texts[0],
    }
    stdlib = {k: v for k, v in data.items() if k not in ("observed_at", "lawful_basis")}
    blob = json.dumps(stdlib, sort_keys=True, separators=(",", ":")).encode()
    assert content_hash(data) == hashlib.sha256(blob).hexdigest()


def test_internationalised_email_domains_are_accepted_and_normalised_with_idna() -> None:
    assert canonical_email("anna@bücher.de") == "anna@bücher.de"
    # The IDNA (punycode) spelling and the upper-case one are the same address.
    assert canonical_email("anna@xn--bcher-kva.de") == "anna@bücher.de"
    assert canonical_email("anna@BÜCHER.de") == "anna@bücher.de"
    assert canonical_email("josé@exämple.com") == "josé@exämple.com"
    assert canonical_email("anna@bücher") is None  # no top-level domain
    assert canonical_email("anna@bü..de") is None
    assert canonical_email("Anna@Example.COM") == "Anna@example.com"


def test_full_names_keep_particles_with_the_family_name() -> None:
    assert split_full_name("Ludwig van Beethoven") == ("", "Ludwig", "", "van Beethoven", "")
    assert split_full_name("Maria de la Cruz") == ("", "Maria", "", "de la Cruz", "")
    assert split_full_name("Herr Dr. Hans von der Heide") == ("Herr Dr.", "Hans", "", "von der Heide", "")
    assert split_full_name("van Beethoven") == ("", "", "", "van Beethoven", "")
    assert split_full_name("Anna Maria Schmidt") == ("", "Anna", "Maria", "Schmidt", "")
    assert split_full_name("Anna") == ("", "Anna", "", "", "")
