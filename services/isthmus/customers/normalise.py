"""Validation and normalisation of incoming source records (pure: no I/O).

Reads a ``SourceRecord`` message and returns a :class:`~isthmus.customers.records.Record` with every
value in canonical form and its raw form kept. A value that breaks a rule (a date of birth that is no
calendar date, an email address that is none, a control character in a name) costs only itself: it
is left out of the record's values and kept, as sent, in a finding on the record (``Record.findings``,
paths relative to the record, e.g. ``emails[1].address``). Only what leaves the record without an
address is refused with ``InvalidArgument``: no or an unknown source system, no usable source id, or
no content at all.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime

import email_validator
import phonenumbers
from nameparser import HumanName
from nameparser.config import Constants as NameConstants

from isthmus.customers.records import Address, Email, Finding, Identifier, Name, Phone, Record
from isthmus.kernel.errors import InvalidArgument
from isthmus.kernel.timestamps import from_ts, valid_ts
from isthmus.platform.boundary import control_character, excerpt
from isthmus_client.api.customers.v1 import records_pb2
from isthmus_client.errors import UNKNOWN_SOURCE_SYSTEM

MAX_TEXT = 200  # any single name, line, city, company
MAX_ID = 128  # source id, identifier value
MAX_ITEMS = 20  # emails, phones, addresses, identifiers per record
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_VALUE = 4096
MAX_RAW = 1000  # characters of a flagged value kept as sent
SOURCE_SYSTEM_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
SOURCE_SYSTEMS_SETTING = "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS"  # the source systems the master accepts

_SPACE = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
_ID_SEPARATORS = re.compile(r"[\s\-./]")
_REGION = re.compile(r"^[A-Z]{2}$")
# Titles nameparser's English list lacks; added to its vocabulary (_NAME_WORDS) and to the quick check.
_PREFIXES = {"herr", "frau", "madame", "mme", "m", "signor", "signora", "sra", "sr", "señor", "señora"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"}
_NAME_WORDS = NameConstants()
_NAME_WORDS.titles.add(*(_PREFIXES - {"sr"}))


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def kept_raw(value: str) -> str:
    """A flagged value as it is stored and shown: control characters escaped (PostgreSQL cannot
    store NUL, and a steward's screen should not interpret them), at most MAX_RAW characters."""
    text = _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", value[:MAX_RAW])
    return text + ("..." if len(value) > MAX_RAW else "")


class _Errors:
    """What is wrong with a record: ``items`` refuse it, ``findings`` only flag a value."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self.findings: list[Finding] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def flag(self, path: str, rule: str, raw: str, message: str) -> None:
        self.findings.append(Finding(path, rule, kept_raw(raw), message))


def collapse(text: str) -> str:
    """Trim and collapse runs of whitespace (including non-breaking spaces) to one space."""
    if not text:  # most of a record's optional fields
        return text
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


_WORD = re.compile(r"[^\W\d_]+")
_PUNCTUATION = re.compile(r"[^\w\s]")


def tidy_case(text: str) -> str:
    """Title-case text the source shouted or whispered ("ANNA-LENA" -> "Anna-Lena"); keep mixed case."""
    text = collapse(text)
    if text and (text.isupper() or text.islower()):
        return _WORD.sub(lambda m: m.group(0).capitalize(), text)
    return text


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Match key of a text: case-folded, accents removed, punctuation dropped.

    Cached: names, streets and places repeat across records, and this runs for every value matched.
    """
    # ASCII has no accents, and lower-casing folds its case: what ``unaccented`` makes of it.
    stripped = text.lower() if text.isascii() else unaccented(text)
    return collapse(_PUNCTUATION.sub(" ", stripped).replace("_", " "))


def unaccented(text: str) -> str:
    """Case-folded, compatibility-decomposed, combining marks (accents) dropped."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _text(errors: _Errors, path: str, value: str, limit: int = MAX_TEXT) -> str:
    """``value``, or "" with a finding when it is too long or holds control characters."""
    if not value:
        return value
    if len(value) > limit:
        errors.flag(path, "too_long", value, f"longer than {limit} characters")
        return ""
    if (why := control_character(value)) is not None:
        errors.flag(path, "control_characters", value, why)
        return ""
    return value


@functools.cache
def _defined(enum: object) -> frozenset[int]:
    """The numbers a proto enum defines (its ``values()`` is a new list at every call)."""
    return frozenset(enum.values())  # type: ignore[attr-defined]


def _kind(errors: _Errors, path: str, value: int, enum: object) -> int:
    """An enum number the proto defines, or 0 with a finding."""
    if value in _defined(enum):
        return value
    errors.flag(path, "enum_value", str(value), f"{value} is not a defined value")
    return 0


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
    """ "Dr. Anna M. Schmidt" -> (prefix, given, middle, family, suffix); "Schmidt, Anna" too.

    Parsed by nameparser, which knows titles ("Prof. Dr."), suffixes ("Jr.") and the particles that
    belong to the family name ("Ludwig van Beethoven": family "van Beethoven", no middle name).
    Two plain words, the usual case, skip the parser.
    """
    text = collapse(full)
    tokens = text.split()
    if len(tokens) == 1:
        return "", tokens[0], "", "", ""
    if len(tokens) == 2 and "," not in text and not any(_special(t) for t in tokens):
        return "", tokens[0], "", tokens[1], ""
    return _parsed_name(text)


def _special(token: str) -> bool:
    word = token.rstrip(".").casefold()
    return (
        word in _PREFIXES or word in _SUFFIXES or word in _NAME_WORDS.prefixes or word in _NAME_WORDS.titles
    )


@functools.lru_cache(maxsize=8192)
def _parsed_name(text: str) -> tuple[str, str, str, str, str]:
    name = HumanName(text, constants=_NAME_WORDS)
    if name.first.casefold() in _NAME_WORDS.prefixes and name.last and not name.middle:
        return name.title, "", "", f"{name.first} {name.last}", name.suffix  # "van Beethoven"
    return name.title, name.first, name.middle, name.last, name.suffix


def canonical_email(raw: str) -> str | None:
    """The address with its domain lower-cased, or None when it is not an e-mail address.

    ASCII addresses take a quick pattern. Internationalised ones (a domain such as ``bücher.de``,
    its IDNA form ``xn--bcher-kva.de``, a local part in any script) go through email-validator:
    the domain normalised with IDNA 2008 / UTS 46 and written in Unicode, so both spellings of one
    address are the same address.
    """
    text = raw.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if len(text) > 254:
        return None
    if text.isascii() and "xn--" not in text.lower():
        if not _EMAIL.match(text) or ".." in text:
            return None
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"
    return _international_email(text)


@functools.lru_cache(maxsize=4096)
def _international_email(text: str) -> str | None:
    try:
        found = email_validator.validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except email_validator.EmailNotValidError:
        return None
    return f"{found.local_part}@{found.domain.lower()}"


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
        errors.flag(
            f"{path}.address.region_code",
            "region_code",
            a.region_code,
            "must be an ISO 3166-1 alpha-2 code such as DE",
        )
        region = ""
    recipient = collapse(_text(errors, f"{path}.address.recipient", a.recipient))
    if not (lines or locality or postal):
        return None
    kind = _kind(errors, f"{path}.kind", int(msg.kind), records_pb2.ContactKind)
    raw = " | ".join(
        x
        for x in (*a.address_lines, a.postal_code, a.locality, a.administrative_area, region)
        if x.strip() and control_character(x) is None
    )
    return Address(lines, locality, area, postal, region, recipient, raw, kind, msg.primary)


def _dob(errors: _Errors, msg: records_pb2.SourceRecord, today: date) -> tuple[str, str]:
    if not msg.HasField("birth_date"):
        return "", ""
    d = msg.birth_date
    if d.year == 0 and d.month == 0 and d.day == 0:
        return "", ""
    raw = f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    try:
        value = date(d.year, d.month, d.day)
    except (ValueError, OverflowError):
        errors.flag("birth_date", "calendar_date", raw, f"{raw} is not a calendar date")
        return "", ""
    if value > today:
        errors.flag("birth_date", "future_date", raw, f"{raw} is in the future")
        return "", ""
    if value.year < 1900:
        errors.flag("birth_date", "date_before_1900", raw, f"{raw} is before 1900")
        return "", ""
    return value.isoformat(), raw


def normalise(
    msg: records_pb2.SourceRecord,
    *,
    known_systems: frozenset[str],
    now: datetime,
    default_region: str = "",
) -> Record:
    """Validate and normalise one source record: flag every bad value; refuse (``InvalidArgument``
    naming the field) only a record without an address or without content."""
    errors = _Errors()
    system = msg.source_system.strip()
    if not system:
        errors.add("source_system", "is required")
    elif (why := control_character(system)) is not None:
        errors.add("source_system", why)
    elif system not in known_systems:
        # Not the record's fault but the configuration's: refused alone, with a reason a connector
        # reads to stop its sync instead of dead-lettering every record of the system.
        known = ", ".join(sorted(known_systems))
        raise InvalidArgument(
            "source_system",
            f"unknown source system {excerpt(system)}; configured: {known} "
            f"(add it to {SOURCE_SYSTEMS_SETTING})",
        ).because(UNKNOWN_SOURCE_SYSTEM, setting=SOURCE_SYSTEMS_SETTING, source_system=system[:80])
    source_id = msg.source_id.strip()
    if not source_id:
        errors.add("source_id", "is required")
    elif len(source_id) > MAX_ID:
        errors.add("source_id", f"longer than {MAX_ID} characters")
    elif (why := control_character(source_id)) is not None:
        errors.add("source_id", why)
    name = _name(errors, msg.name)
    address_region = next(
        (a.address.region_code.strip().upper() for a in msg.addresses if a.address.region_code), ""
    )

    for label, items in (
        ("emails", msg.emails),
        ("phones", msg.phones),
        ("addresses", msg.addresses),
        ("identifiers", msg.identifiers),
    ):
        if len(items) > MAX_ITEMS:
            errors.flag(
                label,
                "too_many",
                str(len(items)),
                f"more than {MAX_ITEMS} entries; the first {MAX_ITEMS} kept",
            )

    emails: dict[str, Email] = {}
    for i, e in enumerate(msg.emails[:MAX_ITEMS]):
        if not e.address.strip():
            continue
        path = f"emails[{i}].address"
        if (why := control_character(e.address)) is not None:
            errors.flag(path, "control_characters", e.address, why)
            continue
        canonical = canonical_email(e.address)
        if canonical is None:
            errors.flag(path, "email_address", e.address, "is not an email address")
            continue
        kind = _kind(errors, f"emails[{i}].kind", int(e.kind), records_pb2.ContactKind)
        emails.setdefault(canonical.casefold(), Email(canonical, e.address, kind, e.primary))

    phones: dict[str, Phone] = {}
    for i, p in enumerate(msg.phones[:MAX_ITEMS]):
        if not p.number.strip():
            continue
        path = f"phones[{i}].number"
        if len(p.number) > 40:
            errors.flag(path, "too_long", p.number, "longer than 40 characters")
            continue
        if (why := control_character(p.number)) is not None:
            errors.flag(path, "control_characters", p.number, why)
            continue
        region = (p.default_region or address_region or default_region).strip().upper()
        if not _REGION.match(region):
            region = ""
        number = e164(p.number, region)
        if number is None:
            where = f" for region {region}" if region and not p.number.strip().startswith("+") else ""
            errors.flag(path, "phone_number", p.number, f"is not a valid phone number{where}")
            continue
        kind = _kind(errors, f"phones[{i}].kind", int(p.kind), records_pb2.ContactKind)
        phones.setdefault(number, Phone(number, p.number, kind, p.primary))

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
        path = f"identifiers[{i}]"
        if len(value) > MAX_ID:
            errors.flag(f"{path}.value", "too_long", ident.value, f"longer than {MAX_ID} characters")
            continue
        if (why := control_character(value)) is not None:
            errors.flag(f"{path}.value", "control_characters", ident.value, why)
            continue
        if ident.kind == records_pb2.IDENTIFIER_KIND_UNSPECIFIED:
            errors.flag(f"{path}.kind", "required", ident.value, "is required when a value is given")
            continue
        if _kind(errors, f"{path}.kind", int(ident.kind), records_pb2.IdentifierKind) == 0:
            continue
        country = ident.issuing_country.strip().upper()
        if country and not _REGION.match(country):
            errors.flag(
                f"{path}.issuing_country",
                "region_code",
                ident.issuing_country,
                "must be an ISO 3166-1 alpha-2 code",
            )
            continue
        parsed = Identifier(int(ident.kind), value, country, ident.value)
        identifiers.setdefault(parsed.key, parsed)

    dob, dob_raw = _dob(errors, msg, now.date())
    company_raw = _text(errors, "company", msg.company)
    attributes: list[tuple[str, str]] = []
    for key, value in sorted(msg.attributes.items()):
        path = f"attributes[{excerpt(key)}]"
        if len(attributes) >= MAX_ATTRIBUTES:
            errors.flag(path, "too_many", value, f"more than {MAX_ATTRIBUTES} attributes")
        elif len(key) > 128 or len(value) > MAX_ATTRIBUTE_VALUE:
            errors.flag(
                path, "too_long", value, f"key over 128 or value over {MAX_ATTRIBUTE_VALUE} characters"
            )
        elif (why := control_character(key) or control_character(value)) is not None:
            errors.flag(path, "control_characters", value, why)
        else:
            attributes.append((key, value))
    lawful_basis = _text(errors, "lawful_basis", msg.lawful_basis)

    observed = now
    if msg.HasField("observe_time"):
        problem = valid_ts(msg.observe_time)
        stamp = f"{msg.observe_time.seconds}s {msg.observe_time.nanos}ns"
        if problem is not None:
            errors.flag("observe_time", "timestamp", stamp, f"{problem}; the time of receipt is used")
        elif (observed := from_ts(msg.observe_time)).year < 1970:
            errors.flag("observe_time", "timestamp", stamp, "before 1970; the time of receipt is used")
            observed = now

    usable = not name.is_empty() or emails or phones or identifiers
    if not errors.items and not usable and not errors.findings:
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
        attributes=tuple(attributes),
        lawful_basis=lawful_basis.strip(),
        findings=tuple(errors.findings),
    )
