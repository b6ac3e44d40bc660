"""Synthetic people and their dirty copies across source systems, with known ground truth.

Deterministic for a seed. Each person gets one to four source records in "erp", "webshop" and
"callcenter"; copies carry the corruptions real integrations see: typos, transposed given and family
names, nicknames, missing fields, changed addresses and e-mails, full names instead of split ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as pb


def _words(text: str) -> list[str]:
    return text.split()


GIVEN = _words(
    "Anna Maria Emma Sophie Laura Lena Julia Lisa Sarah Hannah Lea Johanna Katharina Charlotte Clara "
    "Marie Elisabeth Margaret Jennifer Susan Deborah Rebecca Jessica Victoria Christine Barbara Theresa "
    "Josephine Alexander Maximilian Paul Lukas Jonas Felix Leon David Elias Noah Ben Tim Jan Niklas "
    "Julian Moritz William Robert Richard James John Joseph Thomas Charles Edward Michael Christopher "
    "Nicholas Anthony Daniel Matthew Andrew Benjamin Samuel Stephen Peter Patrick Frederick Henry "
    "Lawrence Gregory Timothy Kenneth Ronald Donald Raymond Gerald Jeffrey Joshua Nathaniel Zachary "
    "Sebastian Wolfgang Emil Oskar Aylin Mehmet Fatma Ahmet Elif Can Mustafa Zeynep Ali Ayse Luca Giulia "
    "Marco Francesca Ivan Olga Piotr"
)
FAMILY = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer "
    "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt "
    "Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber "
    "Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank "
    "Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus "
    "Martin Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Jackson "
    "White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green Baker Adams Nelson Hill "
    "Yilmaz Kaya Demir Sahin Celik Yildiz Rossi Russo Ferrari Esposito Bianchi Nowak Kowalski Wisniewski "
    "Ivanov Petrov Novak Horvat Nagy Kovacs Papadopoulos Jensen Nielsen Hansen Larsen Andersen Berg"
)
NICK = {
    "William": "Bill",
    "Robert": "Bob",
    "Richard": "Rick",
    "James": "Jim",
    "John": "Johnny",
    "Joseph": "Joe",
    "Thomas": "Tom",
    "Charles": "Charlie",
    "Edward": "Ed",
    "Michael": "Mike",
    "Christopher": "Chris",
    "Nicholas": "Nick",
    "Anthony": "Tony",
    "Daniel": "Dan",
    "Matthew": "Matt",
    "Andrew": "Andy",
    "Benjamin": "Ben",
    "Samuel": "Sam",
    "Stephen": "Steve",
    "Peter": "Pete",
    "Frederick": "Fred",
    "Henry": "Harry",
    "Lawrence": "Larry",
    "Gregory": "Greg",
    "Timothy": "Tim",
    "Kenneth": "Ken",
    "Ronald": "Ron",
    "Donald": "Don",
    "Raymond": "Ray",
    "Gerald": "Gerry",
    "Jeffrey": "Jeff",
    "Joshua": "Josh",
    "Zachary": "Zach",
    "Elisabeth": "Lisa",
    "Margaret": "Maggie",
    "Jennifer": "Jenny",
    "Susan": "Sue",
    "Deborah": "Debbie",
    "Rebecca": "Becky",
    "Jessica": "Jess",
    "Victoria": "Vicky",
    "Christine": "Chris",
    "Barbara": "Babs",
    "Theresa": "Tessa",
    "Josephine": "Josie",
    "Katharina": "Kathi",
    "Alexander": "Alex",
    "Sebastian": "Basti",
    "Johanna": "Hanna",
    "Maximilian": "Max",
}
STREETS = _words(
    "Hauptstraße Bahnhofstraße Gartenweg Schulstraße Lindenallee Bergstraße Kirchweg Dorfstraße "
    "Ringstraße Mühlenweg Rosenstraße Birkenweg Parkstraße Waldstraße Goethestraße Schillerstraße Feldweg "
    "Marktweg"
)
CITIES = [
    ("10115", "Berlin"),
    ("20095", "Hamburg"),
    ("80331", "München"),
    ("50667", "Köln"),
    ("60311", "Frankfurt"),
    ("70173", "Stuttgart"),
    ("40213", "Düsseldorf"),
    ("04109", "Leipzig"),
    ("01067", "Dresden"),
    ("28195", "Bremen"),
    ("30159", "Hannover"),
    ("90402", "Nürnberg"),
]
SYSTEMS = ("erp", "webshop", "callcenter")


@dataclass
class Person:
    pid: int
    given: str
    family: str
    dob: tuple[int, int, int]
    street: str
    number: int
    postcode: str
    city: str
    email: str
    phone: str


UMLAUTS: dict[str, str | int | None] = {"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss"}


def make_person(rng: random.Random, pid: int) -> Person:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    dob = (rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28))
    postcode, city = rng.choice(CITIES)
    postcode = postcode[:3] + f"{rng.randint(0, 99):02d}"
    ascii_family = family.translate(str.maketrans(UMLAUTS)).lower()
    domain = rng.choice(["mail.de", "web.de", "example.com"])
    email = f"{given.lower()}.{ascii_family}{rng.randint(1, 9999)}@{domain}"
    phone = f"+49 17{rng.randint(0, 9)} {rng.randint(1000000, 9999999)}"
    return Person(
        pid, given, family, dob, rng.choice(STREETS), rng.randint(1, 150), postcode, city, email, phone
    )


def typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randint(1, len(text) - 2)
    op = rng.choice("sdit")
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if op == "s":
        return text[:i] + letter + text[i + 1 :]
    if op == "d":
        return text[:i] + text[i + 1 :]
    if op == "i":
        return text[:i] + letter + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


# What each system tends to hold (probability a copy carries the field): a web shop always has an
# e-mail and rarely a birth date, a call center lives on phone numbers, an ERP has the postal address.
PROFILES = {
    "erp": {"email": 0.8, "phone": 0.6, "dob": 0.9, "address": 0.98},
    "webshop": {"email": 1.0, "phone": 0.6, "dob": 0.7, "address": 0.9},
    "callcenter": {"email": 0.5, "phone": 0.95, "dob": 0.8, "address": 0.7},
}
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
]
# Harsh: every system may lack anything; for a stress figure beside the realistic one.
HARSH = {"email": 0.35, "phone": 0.3, "dob": 0.8, "address": 0.9}


def copy_of(
    rng: random.Random, p: Person, system: str, sid: str, *, first: bool, harsh: bool = False
) -> pb.SourceRecord:
    """One source system's copy; the first copy has no typos, later ones are corrupted."""
    profile = HARSH if harsh and not first else PROFILES[system]
    given, family = p.given, p.family
    dob: tuple[int, int, int] | None = p.dob if rng.random() < profile["dob"] else None
    street, number, postcode, city = p.street, p.number, p.postcode, p.city
    email, phone = p.email, p.phone
    transposed = full_name = False
    if not first:
        # Each later copy carries one to three corruptions, drawn without replacement.
        k = rng.choices([1, 2, 3], weights=[50, 35, 15])[0]
        for c in rng.sample(CORRUPTIONS, k):
            if c == "typo_family":
                family = typo(rng, family)
            elif c == "typo_given":
                given = typo(rng, given)
            elif c == "nickname" and given in NICK:
                given = NICK[given]
            elif c == "moved":
                street, number = rng.choice(STREETS), rng.randint(1, 150)
                postcode, city = rng.choice(CITIES)
            elif c == "new_email":
                email = f"{given.lower()}{rng.randint(1, 99)}@other-mail.de"
            elif c == "new_phone":
                phone = f"+49 17{rng.randint(0, 9)} {rng.randint(1000000, 9999999)}"
            elif c == "no_dob":
                dob = None
            elif c == "transposed":
                transposed = True
            elif c == "full_name":
                full_name = True
    if system == "callcenter" and rng.random() < 0.5:
        given, family = given.upper(), family.upper()
    record = pb.SourceRecord(source_system=system, source_id=sid)
    if transposed:
        record.name.given_name, record.name.family_name = family, given
    elif full_name or (system == "webshop" and rng.random() < 0.3):
        record.name.full_name = f"{given} {family}"
    else:
        record.name.given_name, record.name.family_name = given, family
    if dob:
        record.birth_date.CopyFrom(common_pb2.Date(year=dob[0], month=dob[1], day=dob[2]))
    if rng.random() < profile["address"]:
        line = f"{street} {number}" if rng.random() < 0.5 else f"{street.replace('straße', 'str.')} {number}"
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


def generate(people: int, seed: int = 7, *, harsh: bool = False) -> list[tuple[int, pb.SourceRecord]]:
    """(person id, record) pairs, shuffled the way independent systems deliver them."""
    rng = random.Random(seed)
    out = []
    for pid in range(people):
        p = make_person(rng, pid)
        copies = rng.choices([1, 2, 3, 4], weights=[45, 30, 18, 7])[0]
        for n in range(copies):
            system = SYSTEMS[n % 3]
            out.append((pid, copy_of(rng, p, system, f"{system[:2]}-{pid}-{n}", first=n == 0, harsh=harsh)))
    rng.shuffle(out)
    return out
