"""What matching reads of a record: its match keys, derived once, stored beside it as a profile, and the
blocking keys under which candidates are looked up."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import jellyfish

from isthmus.customers.nicknames import NICKNAMES
from isthmus.customers.normalise import fold
from isthmus.customers.records import Record

_STREET_WORDS = {
    "st": "street",
    "str": "strasse",
    "straße": "strasse",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "dr": "drive",
    "pl": "place",
    "ct": "court",
    "blvd": "boulevard",
    "sq": "square",
}
_GLUED_STREET = re.compile(r"(\w)(strasse|str)\b")
# Generational suffixes: a "Jr." and a "Sr." are two people (a father and his son).
GENERATIONS = {"jr": "jr", "junior": "jr", "sr": "sr", "senior": "sr", "ii": "ii", "iii": "iii", "iv": "iv"}


@functools.lru_cache(maxsize=65536)
def street_key(line: str) -> str:
    """ "Hauptstraße 5", "Hauptstr. 5" and "Haupt Strasse 5" all read "haupt strasse 5"."""
    text = _GLUED_STREET.sub(r"\1 \2", fold(line.replace("ß", "ss")))
    return " ".join([_STREET_WORDS.get(w, w) for w in text.split()])


_street_key = street_key  # the name other modules import


@functools.lru_cache(maxsize=65536)
def street_parts(key: str) -> tuple[str, str]:
    """A street key split into its words and its house number: ("haupt strasse", "5a")."""
    words: list[str] = []
    numbers: list[str] = []
    for token in key.split():
        (numbers if token[0].isdigit() else words).append(token)
    return " ".join(words), " ".join(numbers)


def _generation(suffix: str) -> str:
    for token in fold(suffix).split():
        if token in GENERATIONS:
            return GENERATIONS[token]
    return ""


PROFILE_VERSION = 2
_NONE: frozenset[str] = frozenset()


class Features:
    """Match keys of one record, derived once.

    From the record as it arrives (``Features(record)``), or from the profile stored beside a source
    record (``Features.from_profile``): a candidate's members are compared through their stored
    profiles, so a stored record is never decoded and folded again to be matched against. Such
    Features have no ``record`` unless the caller attached it (comparators from plugins need it).
    """

    __slots__ = (
        "_record",
        "address_display",
        "dob",
        "emails",
        "family",
        "generation",
        "given",
        "given_canonical",
        "given_full",
        "has_address",
        "identifiers",
        "name_display",
        "phones",
        "postcodes",
        "streets",
    )

    def __init__(self, record: Record) -> None:
        self._record: Record | None = record
        folded = fold(record.name.given) if record.name.given else ""
        self._set(
            folded.split(" ")[0],
            fold(record.name.family),
            frozenset(e.key for e in record.emails),
            frozenset(p.number for p in record.phones),
            {(i.kind, i.country): i.value for i in record.identifiers},
            record.dob,
            frozenset(a.postal_code.replace(" ", "") for a in record.addresses if a.postal_code),
            tuple(
                (a.postal_code.replace(" ", ""), street_key(a.lines[0])) for a in record.addresses if a.lines
            ),
            f"{record.name.given} {record.name.family}".strip(),
            record.addresses[0].display if record.addresses else "",
            bool(record.addresses),
            folded.replace(" ", ""),
            _generation(record.name.suffix),
        )

    def _set(
        self,
        given: str,
        family: str,
        emails: frozenset[str],
        phones: frozenset[str],
        identifiers: dict[tuple[int, str], str],
        dob: str,
        postcodes: frozenset[str],
        streets: tuple[tuple[str, str], ...],
        name_display: str,
        address_display: str,
        has_address: bool,
        given_full: str,
        generation: str,
    ) -> None:
        self.given = given  # the first given name ("anna" of "Anna-Lena")
        self.given_full = given_full  # every given name, joined ("annalena")
        self.given_canonical = NICKNAMES.get(given, given)
        self.family = family
        self.emails = emails
        self.phones = phones
        self.identifiers = identifiers
        self.dob = dob
        self.postcodes = postcodes
        self.streets = streets
        self.name_display = name_display
        self.address_display = address_display
        self.has_address = has_address
        self.generation = generation  # "jr", "sr", "ii"...: "" when the name has none

    def profile(self) -> list[Any]:
        """What is stored beside the source record (JSON): enough to compare it without decoding it."""
        return [
            PROFILE_VERSION,
            self.given,
            self.family,
            sorted(self.emails),
            sorted(self.phones),
            [[kind, country, value] for (kind, country), value in sorted(self.identifiers.items())],
            self.dob,
            sorted(self.postcodes),
            [list(s) for s in self.streets],
            self.name_display,
            self.address_display,
            self.has_address,
            self.given_full,
            self.generation,
        ]

    @classmethod
    def from_profile(cls, data: Sequence[Any], record: Record | None = None) -> Features | None:
        """The Features a stored profile describes; None for a profile of another format version."""
        if not data or data[0] != PROFILE_VERSION:
            return None
        f = cls.__new__(cls)
        f._record = record
        _, given, family, emails, phones, idents, dob, postcodes, streets, name, address, has, full, gen = (
            data
        )
        # Most profiles lack some of these: an empty one is the shared empty value, not a new one.
        f._set(
            given,
            family,
            frozenset(emails) if emails else _NONE,
            frozenset(phones) if phones else _NONE,
            {(kind, country): value for kind, country, value in idents} if idents else {},
            dob,
            frozenset(postcodes) if postcodes else _NONE,
            tuple([(pc, street) for pc, street in streets]) if streets else (),
            name,
            address,
            has,
            full,
            gen,
        )
        return f

    @property
    def record(self) -> Record:
        if self._record is None:
            raise LookupError("these Features were read from a stored profile without their record")
        return self._record

    @property
    def has_strong_key(self) -> bool:
        return bool(self.emails or self.phones or self.identifiers)

    @property
    def sufficient(self) -> bool:
        """Enough to match on: a strong key, or a full name with a date of birth or an address."""
        if self.has_strong_key:
            return True
        return bool(self.given and self.family and (self.dob or self.has_address))


def phonetic(text: str) -> str:
    return jellyfish.soundex(text) if text else ""


# The prefix of the name-only keys: both names' sounds, nothing else (see ``blocking_keys``).
NAME_ONLY_KEY = "np:"


def blocking_keys(f: Features) -> set[str]:
    """Keys under which candidates are looked up: a match shares at least one with the record it matches.

    Name keys use each of given and family name, so a typo or a swap in one still meets the other.
    """
    keys = {f"e:{e}" for e in f.emails}
    keys |= {f"p:{p}" for p in f.phones}
    keys |= {f"i:{kind}:{country}:{value}" for (kind, country), value in f.identifiers.items()}
    names = {n for n in (f.given_canonical, f.family) if n}
    dob = f.dob
    for n in names:
        code = phonetic(n)
        if dob:
            keys.add(f"nd:{code}:{dob}")
        for pc in f.postcodes:
            keys.add(f"nz:{code}:{pc}")
    if dob:
        keys |= {f"dz:{dob}:{pc}" for pc in f.postcodes}
    if f.given_canonical and f.family:
        # Both names' phonetic codes, in sorted order: a swap of the two and most typos keep it, for a
        # record whose birth date and address changed or went missing. A name with one initial was
        # tried first: it grew with the master into the bulk of what candidate lookups read.
        family = phonetic(f.family)
        pairs = (sorted((phonetic(g), family)) for g in {f.given, f.given_canonical})
        keys |= {NAME_ONLY_KEY + "|".join(pair) for pair in pairs}
    return keys
