"""Normalisation and validation of source records (no I/O)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from isthmus.customers.normalise import canonical_email, collapse, fold, normalise, split_full_name, tidy_case
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
        ({"source_id": "", "name": pb.PersonName(given_name="A")}, "source_id"),
        ({"source_id": "x" * 200, "name": pb.PersonName(given_name="A")}, "source_id"),
        ({}, "name"),
        ({"emails": [pb.EmailAddress(address="a@b")]}, "emails[0].address"),
        ({"phones": [pb.PhoneNumber(number="+49 1")]}, "phones[0].number"),
        ({"name": pb.PersonName(given_name="x" * 201)}, "name.given_name"),
        ({"name": pb.PersonName(given_name="A\x00B")}, "name.given_name"),
        (
            {
                "name": pb.PersonName(given_name="A"),
                "birth_date": common_pb2.Date(year=2031, month=1, day=1),
            },
            "birth_date",
        ),
        (
            {
                "name": pb.PersonName(given_name="A"),
                "birth_date": common_pb2.Date(year=1800, month=1, day=1),
            },
            "birth_date",
        ),
        (
            {"name": pb.PersonName(given_name="A"), "identifiers": [pb.Identifier(value="123")]},
            "identifiers[0].kind",
        ),
        (
            {"name": pb.PersonName(given_name="A"), "emails": [pb.EmailAddress(address="x@y.z")] * 21},
            "emails",
        ),
    ],
)
def test_bad_values_are_refused_naming_the_field(kw, field):
    assert field in violations(**kw)


def test_every_bad_field_is_reported_at_once():
    found = violations(
        source_system="", emails=[pb.EmailAddress(address="nope")], phones=[pb.PhoneNumber(number="1")]
    )
    assert found == ["source_system", "emails[0].address", "phones[0].number"]


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


@given(st.text(max_size=60))
def test_tidying_is_idempotent_and_never_leaves_outer_or_double_spaces(text):
    once = tidy_case(text)
    assert tidy_case(once) == once
    assert once == once.strip()
    assert "  " not in collapse(once)


@given(st.text(max_size=60))
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


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
