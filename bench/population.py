"""A realistic population for match quality: households, a long tail of names in several languages, and
the errors real integrations see, with known ground truth.

Deterministic for a seed. Beside single people it makes the households an identity resolver must not
merge: twins (same family name, birth date, address and often landline; different given names),
parents and children of the same name at one address (years apart, sometimes "Jr."/"Sr."), spouses
sharing a landline or an e-mail, siblings, and many unrelated people sharing a common full name. Names
come from Faker's locales (German, English, Turkish, Polish, Italian, French, Spanish, Dutch,
Vietnamese, and Russian and Greek in their own scripts), family names weighted so that a few are very
common and most are rare. Each person has one to four copies in "erp", "webshop" and "callcenter"; later
copies carry one to three corruptions: typos, nicknames, transposed names, names split or joined, birth
dates with day and month swapped or a digit off, a postcode a digit off, a missing street number, a
move, a new e-mail or phone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from faker import Faker
from people import CITIES, FAMILY, NICK, PROFILES, STREETS, SYSTEMS, typo

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as pb

# Share of people by the locale their name comes from: a German deployment with customers from abroad.
LOCALES = {
    "de_DE": 40,
    "en_US": 10,
    "en_GB": 5,
    "tr_TR": 10,
    "pl_PL": 6,
    "it_IT": 6,
    "fr_FR": 5,
    "es_ES": 4,
    "nl_NL": 3,
    "vi_VN": 4,
    "ru_RU": 4,
    "el_GR": 3,
}
# Full names that many unrelated people share (each one several times in the population).
COMMON_FULL_NAMES = [
    ("Thomas", "Müller"),
    ("Michael", "Schmidt"),
    ("Andreas", "Schneider"),
    ("Maria", "Garcia"),
    ("Anna", "Fischer"),
    ("Mehmet", "Yilmaz"),
    ("John", "Smith"),
    ("Stefan", "Weber"),
    ("Thi Lan", "Nguyen"),
    ("Sabine", "Meyer"),
]
DOMAINS = ["mail.de", "web.de", "gmx.de", "example.com", "t-online.de"]
KINDS = ("twins", "parent_child", "spouses", "siblings", "common_name")


@dataclass
class Resident:
    pid: int
    given: str
    family: str
    dob: tuple[int, int, int]
    street: str
    number: str
    postcode: str
    city: str
    email: str
    mobile: str
    landline: str = ""  # shared with the household
    household_email: str = ""  # shared with a spouse
    suffix: str = ""  # "Jr." / "Sr."


@dataclass
class Population:
    records: list[tuple[int, pb.SourceRecord]]
    # (smaller pid, larger pid) -> kind, for every pair of different people a resolver might confuse
    related: dict[tuple[int, int], str] = field(default_factory=dict)


class _Names:
    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.fakers = {}
        for i, loc in enumerate(LOCALES):
            f = Faker(loc)
            f.seed_instance(seed * 100 + i)
            self.fakers[loc] = f
        self.locales = list(LOCALES)
        self.weights = list(LOCALES.values())
        # Zipf-like: the most common German family names are far more common than the rest.
        self.head = [n for n in FAMILY[:80]]
        self.head_weights = [1 / (rank + 1) for rank in range(len(self.head))]
        self.de = self.fakers["de_DE"]

    def locale(self) -> str:
        return self.rng.choices(self.locales, self.weights)[0]

    def given(self, loc: str, female: bool) -> str:
        f = self.fakers[loc]
        name = f.first_name_female() if female else f.first_name_male()
        if loc in ("de_DE", "fr_FR") and self.rng.random() < 0.08:  # Anna-Lena, Jean-Pierre
            other = f.first_name_female() if female else f.first_name_male()
            if other != name:
                name = f"{name}-{other}"
        return str(name)

    def family(self, loc: str, female: bool) -> str:
        if loc == "de_DE" and self.rng.random() < 0.5:
            return self.rng.choices(self.head, self.head_weights)[0]
        f = self.fakers[loc]
        method = getattr(f, "last_name_female" if female else "last_name_male", f.last_name)
        name = str(method())
        if loc in ("de_DE", "es_ES") and self.rng.random() < 0.04:
            name = f"{name}-{f.last_name()}"
        return name

    def address(self) -> tuple[str, str, str, str]:
        number = str(self.rng.randint(1, 150))
        if self.rng.random() < 0.05:
            number += self.rng.choice("abc")
        return str(self.de.street_name()), number, str(self.de.postcode()), str(self.de.city())


def _ascii(text: str) -> str:
    table = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss", " ": "", "-": ""})
    out = text.lower().translate(table)
    return "".join(c for c in out if c.isascii() and c.isalnum())


def _mobile(rng: random.Random) -> str:
    prefix = rng.choice(["160", "162", "163", "170", "171", "172", "175", "176", "177", "178", "179"])
    return f"+49 {prefix} {rng.randint(1000000, 9999999)}"


def _landline(rng: random.Random) -> str:
    area = rng.choice(["30", "40", "89", "221", "69", "711", "211", "341", "351", "421"])
    return f"+49 {area} {rng.randint(1000000, 9999999)}"


def _dob(rng: random.Random, low: int = 1940, high: int = 2005) -> tuple[int, int, int]:
    return (rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names = _Names(self.rng, seed)
        self.residents: list[Resident] = []
        self.related: dict[tuple[int, int], str] = {}

    def person(self, loc: str | None = None, female: bool | None = None, **fixed: object) -> Resident:
        rng = self.rng
        loc = loc or self.names.locale()
        female = rng.random() < 0.5 if female is None else female
        given = str(fixed.pop("given", None) or self.names.given(loc, female))
        family = str(fixed.pop("family", None) or self.names.family(loc, female))
        street, number, postcode, city = self.names.address()
        if _ascii(given) and _ascii(family):
            handle = f"{_ascii(given)[:12]}.{_ascii(family)[:12]}"
        else:  # a name in another script: the locale's own transliteration
            handle = str(self.names.fakers[loc].user_name())
        email = f"{handle}{rng.randint(1, 9999)}@{rng.choice(DOMAINS)}"
        r = Resident(
            len(self.residents), given, family, _dob(rng), street, number, postcode, city, email, _mobile(rng)
        )
        for k, v in fixed.items():
            setattr(r, k, v)
        self.residents.append(r)
        return r

    def relate(self, a: Resident, b: Resident, kind: str) -> None:
        self.related[(min(a.pid, b.pid), max(a.pid, b.pid))] = kind

    def same_home(self, a: Resident, b: Resident, landline: float) -> None:
        b.street, b.number, b.postcode, b.city = a.street, a.number, a.postcode, a.city
        if self.rng.random() < landline:
            a.landline = a.landline or _landline(self.rng)
            b.landline = a.landline

    def twins(self) -> None:
        loc = self.names.locale()
        a = self.person(loc)
        b = self.person(loc, family=a.family, dob=a.dob)
        while b.given == a.given:
            b.given = self.names.given(loc, self.rng.random() < 0.5)
        self.same_home(a, b, 0.6)
        self.relate(a, b, "twins")

    def parent_child(self) -> None:
        loc = self.names.locale()
        parent = self.person(loc, female=self.rng.random() < 0.3)
        child = self.person(loc, given=parent.given, family=parent.family)
        y, m, d = parent.dob
        parent.dob = (min(y, 1975), m, d)
        child.dob = _dob(self.rng, parent.dob[0] + 20, min(parent.dob[0] + 35, 2006))
        if self.rng.random() < 0.3:
            parent.suffix, child.suffix = "Sr.", "Jr."
        self.same_home(parent, child, 0.7)
        self.relate(parent, child, "parent_child")

    def spouses(self) -> None:
        loc = self.names.locale()
        a = self.person(loc, female=False)
        b = self.person(loc, female=True, family=a.family if self.rng.random() < 0.7 else None)
        y = a.dob[0]
        b.dob = _dob(self.rng, max(1940, y - 6), min(2005, y + 6))
        self.same_home(a, b, 0.7)
        if self.rng.random() < 0.35:
            handle = f"familie.{_ascii(a.family)[:12] or 'home'}{self.rng.randint(1, 9999)}"
            a.household_email = b.household_email = f"{handle}@{self.rng.choice(DOMAINS)}"
        self.relate(a, b, "spouses")

    def siblings(self) -> None:
        loc = self.names.locale()
        a = self.person(loc)
        b = self.person(loc, family=a.family)
        self.same_home(a, b, 0.5)
        self.relate(a, b, "siblings")

    def namesakes(self, count: int) -> None:
        start = len(self.residents)
        for i in range(count):
            given, family = COMMON_FULL_NAMES[i % len(COMMON_FULL_NAMES)]
            self.person("de_DE", given=given, family=family)
        group = self.residents[start:]
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if (a.given, a.family) == (b.given, b.family):
                    self.relate(a, b, "common_name")


def _copy(rng: random.Random, p: Resident, system: str, sid: str, first: bool) -> pb.SourceRecord:
    """One source system's copy; the first copy is clean, later ones are corrupted."""
    profile = PROFILES[system]
    given, family, suffix = p.given, p.family, p.suffix
    dob: tuple[int, int, int] | None = p.dob if rng.random() < profile["dob"] else None
    street, number, postcode, city = p.street, p.number, p.postcode, p.city
    email = p.household_email if p.household_email and rng.random() < 0.5 else p.email
    phone = p.landline if p.landline and rng.random() < 0.6 else p.mobile
    transposed = full_name = False
    if not first:
        k = rng.choices([1, 2, 3], weights=[50, 35, 15])[0]
        for c in rng.sample(CORRUPTIONS, k):
            if c == "typo_family":
                family = typo(rng, family)
            elif c == "typo_given":
                given = typo(rng, given)
            elif c == "nickname" and given in NICK:
                given = NICK[given]
            elif c == "moved":
                street, number = rng.choice(STREETS), str(rng.randint(1, 150))
                postcode, city = rng.choice(CITIES)
            elif c == "new_email":
                email = f"{_ascii(given)[:10] or 'kunde'}.{p.pid}{rng.randint(1, 99)}@other-mail.de"
            elif c == "new_phone":
                phone = _mobile(rng)
            elif c == "no_dob":
                dob = None
            elif c == "transposed":
                transposed = True
            elif c == "full_name":
                full_name = True
            elif c == "dob_swapped" and dob and dob[2] <= 12 and dob[1] != dob[2]:
                dob = (dob[0], dob[2], dob[1])
            elif c == "dob_digit" and dob:
                dob = _digit_off(rng, dob)
            elif c == "postcode_digit":
                i = rng.randrange(1, 5)
                postcode = (
                    postcode[:i] + str((int(postcode[i]) + rng.choice((1, 9))) % 10) + postcode[i + 1 :]
                )
            elif c == "no_number":
                number = ""
            elif c == "split_join":
                given, family = _split_join(rng, given), _split_join(rng, family)
            elif c == "no_suffix":
                suffix = ""
    if system == "callcenter" and rng.random() < 0.5:
        given, family = given.upper(), family.upper()
    record = pb.SourceRecord(source_system=system, source_id=sid)
    if transposed:
        record.name.given_name, record.name.family_name = family, given
    elif full_name or (system == "webshop" and rng.random() < 0.3):
        record.name.full_name = f"{given} {family}" + (f" {suffix}" if suffix else "")
        suffix = ""
    else:
        record.name.given_name, record.name.family_name = given, family
    if suffix:
        record.name.suffix = suffix
    if dob:
        record.birth_date.CopyFrom(common_pb2.Date(year=dob[0], month=dob[1], day=dob[2]))
    if rng.random() < profile["address"]:
        name = street.replace("straße", "str.") if rng.random() < 0.4 else street
        line = f"{name} {number}".strip()
        record.addresses.add(
            address=common_pb2.PostalAddress(
                address_lines=[line], postal_code=postcode, locality=city, region_code="DE"
            )
        )
    if rng.random() < profile["email"]:
        record.emails.add(address=email.upper() if rng.random() < 0.1 else email)
    if rng.random() < profile["phone"]:
        record.phones.add(number=phone if rng.random() < 0.5 else "0" + phone[4:])
    return record


CORRUPTIONS = [
    "typo_family",
    "typo_given",
    "nickname",
    "moved",
    "new_email",
    "new_phone",
    "no_dob",
    "transposed",
    "full_name",
    "dob_swapped",
    "dob_digit",
    "postcode_digit",
    "no_number",
    "split_join",
    "no_suffix",
]


def _digit_off(rng: random.Random, dob: tuple[int, int, int]) -> tuple[int, int, int]:
    """One digit of the date keyed wrong, still a calendar date."""
    text = f"{dob[0]:04d}{dob[1]:02d}{dob[2]:02d}"
    for _ in range(20):
        i = rng.choice([3, 5, 6, 7])  # last digit of the year, of the month, either digit of the day
        changed = text[:i] + str(rng.randint(0, 9)) + text[i + 1 :]
        y, m, d = int(changed[:4]), int(changed[4:6]), int(changed[6:])
        if changed != text and 1900 <= y <= 2010:
            try:
                date(y, m, d)
            except ValueError:
                continue
            return (y, m, d)
    return dob


def _split_join(rng: random.Random, name: str) -> str:
    """ "Anna-Lena" -> "Annalena" or "Anna Lena"; "Anna Lena" -> "Anna-Lena"."""
    if "-" in name:
        a, _, b = name.partition("-")
        return a + b.lower() if rng.random() < 0.5 else f"{a} {b}"
    if " " in name:
        return name.replace(" ", "-", 1)
    return name


def generate(people: int, seed: int = 7) -> Population:
    """About ``people`` people (households included), their records shuffled as systems deliver them."""
    b = _Builder(seed)
    plan = (
        [b.twins] * (people // 125)
        + [b.parent_child] * (people // 100)
        + [b.spouses] * (people // 16)
        + [b.siblings] * (people // 100)
    )
    b.namesakes(people // 50)
    for make in plan:
        make()
    while len(b.residents) < people:
        b.person()
    rng = b.rng
    out = []
    for p in b.residents:
        copies = rng.choices([1, 2, 3, 4], weights=[45, 30, 18, 7])[0]
        for n in range(copies):
            system = SYSTEMS[n % 3]
            out.append((p.pid, _copy(rng, p, system, f"{system[:2]}-{p.pid}-{n}", first=n == 0)))
    rng.shuffle(out)
    return Population(out, b.related)
