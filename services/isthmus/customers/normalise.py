"""Validation and normalisation of incoming source records (pure: no I/O).

Reads a ``SourceRecord`` message and returns a :class:`~isthmus.customers.records.Record` with every
value in canonical form and its raw form kept, or raises ``InvalidArgument`` listing every field at
fault (paths relative to the record, e.g. ``emails[1].address``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime

import phonenumbers

from isthmus.customers.records import Address, Email, Identifier, Name, Phone, Record
from isthmus.kernel.errors import InvalidArgument
from isthmus.kernel.timestamps import from_ts, valid_ts
from isthmus_client.api.customers.v1 import records_pb2
from isthmus_client.errors import UNKNOWN_SOURCE_SYSTEM

MAX_TEXT = 200  # any single name, line, city, company
MAX_ID = 128  # source id, identifier value
MAX_ITEMS = 20  # emails, phones, addresses, identifiers per record
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_VALUE = 4096
SOURCE_SYSTEM_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
SOURCE_SYSTEMS_SETTING = "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS"  # the source systems the master accepts

_SPACE = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
_ID_SEPARATORS = re.compile(r"[\s\-./]")
_REGION = re.compile(r"^[A-Z]{2}$")
_PREFIXES = {"mr", "mrs", "ms", "miss", "dr", "prof", "herr", "frau", "sir", "madame", "mme", "m"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"}


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))


def collapse(text: str) -> str:
    """Trim and collapse runs of whitespace (including non-breaking spaces) to one space."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def tidy_case(text: str) -> str:
    """Title-case text the source shouted or whispered ("ANNA-LENA" -> "Anna-Lena"); keep mixed case."""
    text = collapse(text)
    if text and (text.isupper() or text.islower()):
        return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), text)
    return text


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Match key of a text: case-folded, accents removed, punctuation dropped.

    Cached: names, streets and places repeat across records, and this runs for every value matched.
    """
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return collapse(re.sub(r"[^\w\s]", " ", stripped).replace("_", " "))


def _text(errors: _Errors, path: str, value: str, limit: int = MAX_TEXT) -> str:
    if len(value) > limit:
        errors.add(path, f"longer than {limit} characters")
        return ""
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
        errors.add(path, "contains control characters")
        return ""
    return value


def _name(errors: _Errors, msg: records_pb2.PersonName) -> Name:
    given = _text(errors, "name.given_name", msg.given_name)
    middle = _text(errors, "name.middle_name", msg.middle_name)
    family = _text(errors, "name.family_name", msg.family_name)
    prefix = _text(errors, "name.prefix", msg.prefix)
    suffix = _text(errors, "name.suffix", msg.suffix)
    full = _text(errors, "name.full_name", msg.full_name)
    raw = collapse(full) or collapse(" ".join(p for p in (prefix, given, middle, family, suffix) if p))
    if not (collapse(given) or collapse(family)) and collapse(full):
        prefix, given, middle, family, suffix = split_full_name(full)
    return Name(
        given=tidy_case(given),
        middle=tidy_case(middle),
        family=tidy_case(family),
        prefix=collapse(prefix),
        suffix=collapse(suffix),
        raw=raw,
    )


def split_full_name(full: str) -> tuple[str, str, str, str, str]:
    """ "Dr. Anna M. Schmidt" -> (prefix, given, middle, family, suffix); "Schmidt, Anna" too."""
    text = collapse(full)
    if "," in text:
        family_part, _, rest = text.partition(",")
        tokens = rest.split()
        family_tokens = family_part.split()
    else:
        tokens = text.split()
        family_tokens = []
    prefix = []
    while tokens and tokens[0].rstrip(".").casefold() in _PREFIXES and len(tokens) > 1:
        prefix.append(tokens.pop(0))
    suffix: list[str] = []
    while tokens and tokens[-1].rstrip(".").casefold() in _SUFFIXES and len(tokens) > 1:
        suffix.insert(0, tokens.pop())
    if not family_tokens and tokens:
        family_tokens = [tokens.pop()] if len(tokens) > 1 else []
    given = tokens[0] if tokens else ""
    middle = " ".join(tokens[1:])
    return " ".join(prefix), given, middle, " ".join(family_tokens), " ".join(suffix)


def canonical_email(raw: str) -> str | None:
    text = raw.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if len(text) > 254 or not _EMAIL.match(text) or ".." in text:
        return None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


@functools.lru_cache(maxsize=16384)
def e164(raw: str, region: str | None) -> str | None:
    """The number in E.164, or None when it is not a valid number (for the region, if it has no prefix)."""
    try:
        parsed = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _address(errors: _Errors, path: str, msg: records_pb2.Address) -> Address | None:
    a = msg.address
    lines = tuple(
        tidy_case(_text(errors, f"{path}.address.address_lines[{i}]", x))
        for i, x in enumerate(a.address_lines)
    )
    lines = tuple(x for x in lines if x)
    locality = tidy_case(_text(errors, f"{path}.address.locality", a.locality))
    area = collapse(_text(errors, f"{path}.address.administrative_area", a.administrative_area))
    postal = collapse(_text(errors, f"{path}.address.postal_code", a.postal_code, 20)).upper()
    region = a.region_code.strip().upper()
    if region and not _REGION.match(region):
        errors.add(f"{path}.address.region_code", "must be an ISO 3166-1 alpha-2 code such as DE")
        region = ""
    recipient = collapse(_text(errors, f"{path}.address.recipient", a.recipient))
    if not (lines or locality or postal):
        return None
    raw = " | ".join(
        x
        for x in (*a.address_lines, a.postal_code, a.locality, a.administrative_area, a.region_code)
        if x.strip()
    )
    return Address(lines, locality, area, postal, region, recipient, raw, int(msg.kind), msg.primary)


def _dob(errors: _Errors, msg: records_pb2.SourceRecord, today: date) -> tuple[str, str]:
    if not msg.HasField("birth_date"):
        return "", ""
    d = msg.birth_date
    if d.year == 0 and d.month == 0 and d.day == 0:
        return "", ""
    raw = f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    try:
        value = date(d.year, d.month, d.day)
    except ValueError:
        errors.add("birth_date", f"{raw} is not a calendar date")
        return "", ""
    if value > today:
        errors.add("birth_date", f"{raw} is in the future")
        return "", ""
    if value.year < 1900:
        errors.add("birth_date", f"{raw} is before 1900")
        return "", ""
    return value.isoformat(), raw


def normalise(
    msg: records_pb2.SourceRecord,
    *,
    known_systems: frozenset[str],
    now: datetime,
    default_region: str = "",
) -> Record:
    """Validate and normalise one source record; ``InvalidArgument`` names every field at fault."""
    errors = _Errors()
    system = msg.source_system.strip()
    if not system:
        errors.add("source_system", "is required")
    elif system not in known_systems:
        # Not the record's fault but the configuration's: refused alone, with a reason a connector
        # reads to stop its sync instead of dead-lettering every record of the system.
        known = ", ".join(sorted(known_systems))
        raise InvalidArgument(
            "source_system",
            f"unknown source system {system[:80]!r}; configured: {known} "
            f"(add it to {SOURCE_SYSTEMS_SETTING})",
        ).because(UNKNOWN_SOURCE_SYSTEM, setting=SOURCE_SYSTEMS_SETTING, source_system=system[:80])
    source_id = msg.source_id.strip()
    if not source_id:
        errors.add("source_id", "is required")
    elif len(source_id) > MAX_ID:
        errors.add("source_id", f"longer than {MAX_ID} characters")
    name = _name(errors, msg.name)
    address_region = next(
        (a.address.region_code.strip().upper() for a in msg.addresses if a.address.region_code), ""
    )

    for label, items in (("emails", msg.emails), ("phones", msg.phones), ("addresses", msg.addresses)):
        if len(items) > MAX_ITEMS:
            errors.add(label, f"more than {MAX_ITEMS} entries")
    if len(msg.identifiers) > MAX_ITEMS:
        errors.add("identifiers", f"more than {MAX_ITEMS} entries")

    emails: dict[str, Email] = {}
    for i, e in enumerate(msg.emails[:MAX_ITEMS]):
        if not e.address.strip():
            continue
        canonical = canonical_email(e.address)
        if canonical is None:
            errors.add(f"emails[{i}].address", f"{e.address[:80]!r} is not an email address")
            continue
        emails.setdefault(canonical.casefold(), Email(canonical, e.address, int(e.kind), e.primary))

    phones: dict[str, Phone] = {}
    for i, p in enumerate(msg.phones[:MAX_ITEMS]):
        if not p.number.strip():
            continue
        if len(p.number) > 40:
            errors.add(f"phones[{i}].number", "longer than 40 characters")
            continue
        region = (p.default_region or address_region or default_region).strip().upper()
        number = e164(p.number, region)
        if number is None:
            where = f" for region {region}" if region and not p.number.strip().startswith("+") else ""
            errors.add(f"phones[{i}].number", f"{p.number!r} is not a valid phone number{where}")
            continue
        phones.setdefault(number, Phone(number, p.number, int(p.kind), p.primary))

    addresses: list[Address] = []
    for i, a in enumerate(msg.addresses[:MAX_ITEMS]):
        addr = _address(errors, f"addresses[{i}]", a)
        if addr is not None and addr not in addresses:
            addresses.append(addr)

    identifiers: dict[str, Identifier] = {}
    for i, ident in enumerate(msg.identifiers[:MAX_ITEMS]):
        value = _ID_SEPARATORS.sub("", ident.value).upper()
        if not value:
            continue
        if len(value) > MAX_ID:
            errors.add(f"identifiers[{i}].value", f"longer than {MAX_ID} characters")
            continue
        if ident.kind == records_pb2.IDENTIFIER_KIND_UNSPECIFIED:
            errors.add(f"identifiers[{i}].kind", "is required")
            continue
        country = ident.issuing_country.strip().upper()
        if country and not _REGION.match(country):
            errors.add(f"identifiers[{i}].issuing_country", "must be an ISO 3166-1 alpha-2 code")
            continue
        parsed = Identifier(int(ident.kind), value, country, ident.value)
        identifiers.setdefault(parsed.key, parsed)

    dob, dob_raw = _dob(errors, msg, now.date())
    company_raw = _text(errors, "company", msg.company)
    if len(msg.attributes) > MAX_ATTRIBUTES:
        errors.add("attributes", f"more than {MAX_ATTRIBUTES} entries")
    for key, value in msg.attributes.items():
        if len(key) > 128 or len(value) > MAX_ATTRIBUTE_VALUE:
            errors.add(
                f"attributes[{key[:40]!r}]", f"key over 128 or value over {MAX_ATTRIBUTE_VALUE} characters"
            )
    lawful_basis = _text(errors, "lawful_basis", msg.lawful_basis)

    observed = now
    if msg.HasField("observe_time"):
        problem = valid_ts(msg.observe_time)
        if problem is not None:
            errors.add("observe_time", problem)
        else:
            observed = from_ts(msg.observe_time)
            if observed.year < 1970:
                errors.add("observe_time", "before 1970")

    if not errors.items and name.is_empty() and not emails and not phones and not identifiers:
        errors.add("name", "a record needs at least a name, an email, a phone or an identifier")
    if errors.items:
        raise InvalidArgument.many(errors.items)
    return Record(
        source_system=system,
        source_id=source_id,
        observed_at=observed,
        name=name,
        emails=tuple(emails.values()),
        phones=tuple(phones.values()),
        addresses=tuple(addresses),
        dob=dob,
        dob_raw=dob_raw,
        identifiers=tuple(identifiers.values()),
        company=collapse(company_raw),
        company_raw=company_raw,
        attributes=tuple(sorted(msg.attributes.items())),
        lawful_basis=lawful_basis.strip(),
    )
