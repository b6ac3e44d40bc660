"""Comparisons of two records: each built-in comparator says at which level two values agree, the model
says what that level weighs. Plugins add comparators of their own (``similarity_comparator``)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import jellyfish
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import ratio

from isthmus.customers.matching.features import Features, street_parts
from isthmus.customers.matching.model import LEVELS, MatchModel, Weights
from isthmus.customers.nicknames import GROUPS
from isthmus.customers.records import Record

_DIGITS = re.compile(r"\d")


class Comparison(NamedTuple):
    comparator: str
    left: str
    right: str
    similarity: float
    weight: float
    explanation: str
    level: str = ""  # the built-in comparators' level ("exact", "typo", ...); "" from plugins


CompareFn = Callable[[Features, Features], Comparison | None]


@dataclass(frozen=True)
class Comparator:
    """A named comparison of two records; ``compare`` returns None when either side lacks the value.

    ``needs_record``: the comparison reads ``Features.record`` (the whole source record), not only the
    match keys every Features carries; the matcher then has stored records read in full to compare.
    """

    name: str
    compare: CompareFn
    needs_record: bool = True


def similarity_comparator(
    name: str,
    similarity: Callable[[Record, Record], tuple[str, str, float] | None],
    *,
    agree_weight: float,
    disagree_weight: float,
    agree_at: float = 0.95,
    disagree_at: float = 0.7,
) -> Comparator:
    """Build a comparator from a similarity function ``(left, right) -> (left_value, right_value, s)``.

    The weight is ``agree_weight`` at or above ``agree_at``, ``disagree_weight`` at or below
    ``disagree_at``, and linear in between: the usual shape of a Fellegi-Sunter partial agreement.
    """

    def compare(left: Features, right: Features) -> Comparison | None:
        result = similarity(left.record, right.record)
        if result is None:
            return None
        lv, rv, s = result
        if s >= agree_at:
            weight = agree_weight
        elif s <= disagree_at:
            weight = disagree_weight
        else:
            t = (s - disagree_at) / (agree_at - disagree_at)
            weight = disagree_weight + t * (agree_weight - disagree_weight)
        return Comparison(name, lv, rv, s, round(weight, 3), f"similarity {s:.2f}")

    return Comparator(name, compare)


class ComparatorRegistry:
    """The comparators in force, by name; plugins add theirs through ``register``."""

    def __init__(self, comparators: Iterable[Comparator] = ()) -> None:
        self._by_name: dict[str, Comparator] = {}
        self.functions: tuple[CompareFn, ...] = ()  # the compare functions, in registration order
        for c in comparators:
            self.register(c)

    def register(self, comparator: Comparator) -> None:
        if comparator.name in self._by_name:
            raise ValueError(f"a comparator named {comparator.name!r} is already registered")
        self._by_name[comparator.name] = comparator
        self.functions = tuple(c.compare for c in self._by_name.values())

    def __iter__(self) -> Iterator[Comparator]:
        return iter(self._by_name.values())

    def names(self) -> list[str]:
        return list(self._by_name)


# --- levels of the built-in comparisons (pure functions of the values, cached: values repeat) -------


@functools.lru_cache(maxsize=1 << 16)
def _graded(a: str, b: str) -> tuple[str, float]:
    """(level, Jaro-Winkler similarity) of two names that are not equal."""
    s = JaroWinkler.similarity(a, b)
    edits = OSA.distance(a, b)
    if (edits == 1 and min(len(a), len(b)) >= 4) or s >= 0.9:
        return "typo", s
    if s >= 0.84 or (edits == 2 and min(len(a), len(b)) >= 7):
        return "similar", s
    sound = jellyfish.metaphone(a) if len(a) > 1 else ""
    if sound and sound == jellyfish.metaphone(b):
        return "phonetic", s  # "Catherine" ~ "Kathryn": spelled apart, said alike (Latin script only)
    return "different", s


@functools.lru_cache(maxsize=1 << 16)
def given_level(a: str, a_full: str, b: str, b_full: str) -> tuple[str, float]:
    """Level of two given names: first given names ``a``/``b``, every given name joined ``*_full``."""
    if a_full == b_full:
        return "exact", 1.0
    if a == b:
        # "Anna" ~ "Anna-Lena": one holds only the first of the other's names. Two double names that
        # differ in the second ("Anna-Lena", "Anna-Maria") are two people, or a typo in one.
        if a_full == a or b_full == b:
            return "part", 0.95
        return _graded(a_full, b_full)
    if GROUPS.get(a, frozenset({a})) & GROUPS.get(b, frozenset({b})):
        return "nickname", 0.9
    if len(a) == 1 or len(b) == 1:
        return ("initial", 0.5) if a[0] == b[0] else ("different", 0.0)
    return _graded(a_full, b_full) if a_full != a or b_full != b else _graded(a, b)


@functools.lru_cache(maxsize=1 << 16)
def family_level(a: str, b: str) -> tuple[str, float]:
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return "exact", 1.0
    level, s = _graded(a, b)
    if level in ("similar", "phonetic", "different") and set(a.split()) & set(b.split()):
        return "part", 0.95  # double-barrelled, sharing a part: "Meyer Lopez" ~ "Lopez"
    return level, s


_AGREE = {"exact", "nickname", "typo", "part"}


_RANK = {level: i for i, level in enumerate(LEVELS["given_name"])}


@functools.lru_cache(maxsize=1 << 16)
def names_aligned(
    ag: str, ag_full: str, af: str, bg: str, bg_full: str, bf: str
) -> tuple[tuple[str, float] | None, tuple[str, float] | None, str]:
    """(given level, family level, whose names are transposed) of two names: "" as given, "a" or "b"
    when that record's two are swapped, "ab" when either reading agrees as well.

    A swap counts only when it makes both names agree, not when it trades one mismatch for another.
    Given names are compared as given names and family names as family names in either reading
    ("Bill" is "William" whichever record holds it in the family name's place).
    """
    given = given_level(ag, ag_full, bg, bg_full) if ag and bg else None
    family = family_level(af, bf) if af and bf else None
    if given is not None and family is not None and given[0] in _AGREE and family[0] in _AGREE:
        return given, family, ""
    if not (af and bg and ag and bf):
        return given, family, ""
    readings = []
    for who, (xg_full, xf), (yg, yg_full, yf) in (
        ("a", (ag_full, af), (bg, bg_full, bf)),
        ("b", (bg_full, bf), (ag, ag_full, af)),
    ):
        # ``x``'s names swapped: its family name is its given name, its given names its family name.
        sg = given_level(xf.split(" ")[0], xf.replace(" ", ""), yg, yg_full)
        # ``x``'s given names come joined ("heinzwillifranzjosef"): so are ``y``'s family names, to
        # compare like with like ("heinz willi franz josef").
        sf = family_level(xg_full, yf)
        if sf[0] not in _AGREE and " " in yf:
            sf = family_level(xg_full, yf.replace(" ", ""))
        if sg[0] in _AGREE and sf[0] in _AGREE:
            readings.append((_RANK[sg[0]] + _RANK[sf[0]], who, sg, sf))
    if not readings:
        return given, family, ""
    readings.sort()
    rank, who, sg, sf = readings[0]
    if len(readings) == 2 and readings[1][0] == rank:
        who = "ab"
    return sg, sf, who


def dob_level(x: str, y: str) -> str:
    """Level of two ISO dates ("YYYY-MM-DD"): the same, or apart by one of the slips keying makes (day
    and month swapped, a digit changed, two adjacent digits transposed), or in the same month."""
    if x == y:
        return "exact"
    xy, xm, xd = x.split("-")
    yy, ym, yd = y.split("-")
    if xy == yy and xm == yd and xd == ym:
        return "day_month_swapped"
    dx, dy = xy + xm + xd, yy + ym + yd
    moved = [i for i, (c1, c2) in enumerate(zip(dx, dy, strict=True)) if c1 != c2]
    if len(moved) == 1:
        return "one_digit"
    if (
        len(moved) == 2
        and moved[1] == moved[0] + 1
        and dx[moved[0]] == dy[moved[1]]
        and dx[moved[1]] == dy[moved[0]]
    ):
        return "digits_transposed"  # "1957" ~ "1975", "12" ~ "21", across the dash too: "1989-12" ~ "1981-92"
    if xy == yy and xm == ym:
        return "year_month"
    return "different"


def _postcode_typo(a: str, b: str) -> bool:
    return len(a) == len(b) >= 4 and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def near_postcodes(xs: frozenset[str], ys: frozenset[str]) -> bool:
    """Whether a postcode of one set is one of the other's or a typo of it: what an address two
    records share as a household's (``address_level``: exact, postcode_typo, no_number) needs."""
    return bool(xs & ys) or any(_postcode_typo(x, y) for x in xs for y in ys)


_ADDRESS_RANK = {"exact": 0, "postcode_typo": 1, "no_number": 2, "street": 3, "postcode": 4, "different": 5}


@functools.lru_cache(maxsize=1 << 16)
def address_level(pa: str, sa: str, pb: str, sb: str) -> tuple[str, float]:
    """Level of two addresses (postcode, street key): street words, house number, postcode apart."""
    wa, na = street_parts(sa)
    wb, nb = street_parts(sb)
    s = ratio(wa, wb) / 100 if wa and wb else 0.0
    same_street = s >= 0.85
    same_pc = bool(pa) and pa == pb
    near_pc = same_pc or _postcode_typo(pa, pb)
    if same_street and na and na == nb:
        if same_pc:
            return "exact", s
        if near_pc:
            return "postcode_typo", s
        return "street", s
    if same_street and (not na or not nb) and near_pc:
        return "no_number", s
    if same_pc:
        return "postcode", s
    return "different", s


def builtin_comparators(model: MatchModel | Weights) -> list[Comparator]:
    """The built-in comparisons, weighed by ``model`` (or by the built-in model with these weights)."""
    if isinstance(model, Weights):
        model = MatchModel.builtin(model)
    weight = model.weight

    def email(a: Features, b: Features) -> Comparison | None:
        if not a.emails or not b.emails:
            return None
        shared = a.emails & b.emails
        if shared:
            e = min(shared)
            return Comparison(
                "email_exact", e, e, 1.0, weight("email_exact", "exact"), "same email address", "exact"
            )
        for x in sorted(a.emails):
            for y in sorted(b.emails):
                # One slipped letter is a typo; a different digit is usually another account ("anna2@").
                if len(x) >= 8 and OSA.distance(x, y) == 1 and _DIGITS.sub("", x) != _DIGITS.sub("", y):
                    w = weight("email_exact", "typo")
                    return Comparison("email_exact", x, y, 0.95, w, "email differs by a typo", "typo")
        w = weight("email_exact", "different")
        return Comparison(
            "email_exact", min(a.emails), min(b.emails), 0.0, w, "no email in common", "different"
        )

    def phone(a: Features, b: Features) -> Comparison | None:
        if not a.phones or not b.phones:
            return None
        shared = a.phones & b.phones
        if shared:
            p = min(shared)
            return Comparison(
                "phone_exact", p, p, 1.0, weight("phone_exact", "exact"), "same phone number", "exact"
            )
        w = weight("phone_exact", "different")
        return Comparison(
            "phone_exact", min(a.phones), min(b.phones), 0.0, w, "no phone in common", "different"
        )

    def identifier(a: Features, b: Features) -> Comparison | None:
        for key, value in a.identifiers.items():
            other = b.identifiers.get(key)
            if other is None:
                continue
            if other == value:
                w = weight("identifier", "exact")
                return Comparison("identifier", value, other, 1.0, w, "same identifier", "exact")
            # Keyed by hand, identifiers get typos; two people's numbers one keystroke apart are rare.
            if min(len(value), len(other)) >= 6 and OSA.distance(value, other) == 1:
                w = weight("identifier", "typo")
                return Comparison(
                    "identifier", value, other, 0.9, w, "identifier differs by one character", "typo"
                )
            w = weight("identifier", "different")
            return Comparison("identifier", value, other, 0.0, w, "different identifier", "different")
        return None

    # given_name and family_name come from one comparison of the names, which score_pair asks for
    # twice in a row for the same pair: the last pair's result is kept (one tuple, replaced whole).
    last: tuple[Features | None, Features | None, tuple[Comparison | None, Comparison | None]] = (
        None,
        None,
        (None, None),
    )

    def names(a: Features, b: Features) -> tuple[Comparison | None, Comparison | None]:
        nonlocal last
        seen = last
        if seen[0] is a and seen[1] is b:
            return seen[2]
        found = _names(a, b)
        last = (a, b, found)
        return found

    # What two names weigh agreeing exactly, by name: a record's names meet every candidate's.
    @functools.lru_cache(maxsize=1 << 14)
    def exact_names(given: str, family: str) -> float:
        return _exact_names(model, given, family)

    def _names(a: Features, b: Features) -> tuple[Comparison | None, Comparison | None]:
        given, family, swapped = names_aligned(
            a.given, a.given_full, a.family, b.given, b.given_full, b.family
        )
        note = " (given and family name transposed)" if swapped else ""
        # How common the agreed names are is read from the record whose names are in their places:
        # ``b``'s, unless it is ``b``'s that are transposed; when either may be, the commoner reading.
        if swapped != "ab":
            g_in, f_in = (a.given_full, a.family) if swapped == "b" else (b.given_full, b.family)
            gw, gtf, fw, ftf, joint = _name_weights(model, given, family, g_in, f_in)
        else:
            gw, gtf, fw, ftf, joint = min(
                _name_weights(model, given, family, b.given_full, b.family),
                _name_weights(model, given, family, a.given_full, a.family),
                key=lambda t: t[0] + t[2],
            )
        if given is not None and family is not None and given[0] in _AGREE and family[0] in _AGREE:
            # A typo or a nickname of a full name many share is no rarer than the name itself:
            # names agreeing short of exactly never weigh more than the same names agreeing exactly.
            names = [(a.given_full, a.family), (b.given_full, b.family)]
            if swapped:
                names += [
                    (a.family.replace(" ", ""), a.given_full),
                    (b.family.replace(" ", ""), b.given_full),
                ]
            same = min(exact_names(g, f) for g, f in names)
            if gw + fw > same:
                joint += same - gw - fw
                fw = same - gw
        g = f = None
        if given is not None:
            level, s = given
            why = _NAME_WHY[level].format("given") + _tf_note(gtf) + note
            g = Comparison("given_name", a.given_full, b.given_full, round(s, 3), round(gw, 3), why, level)
        if family is not None:
            level, s = family
            why = _NAME_WHY[level].format("family") + _tf_note(ftf) + note
            if joint:
                why += f"; a full name many share ({joint:+.1f})"
            f = Comparison("family_name", a.family, b.family, round(s, 3), round(fw, 3), why, level)
        return g, f

    def given_name(a: Features, b: Features) -> Comparison | None:
        return names(a, b)[0]

    def family_name(a: Features, b: Features) -> Comparison | None:
        return names(a, b)[1]

    def dob(a: Features, b: Features) -> Comparison | None:
        x, y = a.dob, b.dob
        if not x or not y:
            return None
        level = dob_level(x, y)
        s = {"exact": 1.0, "different": 0.0, "year_month": 0.5}.get(level, 0.8)
        return Comparison("date_of_birth", x, y, s, weight("date_of_birth", level), _DOB_WHY[level], level)

    def address(a: Features, b: Features) -> Comparison | None:
        if not a.has_address or not b.has_address:
            return None
        best = ("different", 0.0)
        for pa, sa in a.streets or (("", ""),):
            for pb, sb in b.streets or (("", ""),):
                found = address_level(pa, sa, pb, sb)
                if _ADDRESS_RANK[found[0]] < _ADDRESS_RANK[best[0]]:
                    best = found
        if best[0] == "different" and a.postcodes & b.postcodes:
            best = ("postcode", 0.5)
        level, s = best
        w = weight("postal_address", level)
        return Comparison(
            "postal_address", a.address_display, b.address_display, round(s, 3), w, _ADDRESS_WHY[level], level
        )

    def generation(a: Features, b: Features) -> Comparison | None:
        if not a.generation or not b.generation:
            return None
        level = "same" if a.generation == b.generation else "different"
        why = "same generational suffix" if level == "same" else "different generations (Jr. and Sr.)"
        return Comparison(
            "generation",
            a.generation,
            b.generation,
            float(level == "same"),
            weight("generation", level),
            why,
            level,
        )

    return [
        Comparator("email_exact", email, needs_record=False),
        Comparator("phone_exact", phone, needs_record=False),
        Comparator("identifier", identifier, needs_record=False),
        Comparator("given_name", given_name, needs_record=False),
        Comparator("family_name", family_name, needs_record=False),
        Comparator("date_of_birth", dob, needs_record=False),
        Comparator("postal_address", address, needs_record=False),
        Comparator("generation", generation, needs_record=False),
    ]


def _name_weights(
    model: MatchModel,
    given: tuple[str, float] | None,
    family: tuple[str, float] | None,
    given_value: str,
    family_value: str,
) -> tuple[float, float, float, float, float]:
    """(given weight, its term-frequency adjustment, family weight, its adjustment, the full name's
    further adjustment in the family weight) of names agreeing at these levels on these values."""
    gw = gtf = fw = ftf = joint = 0.0
    if given is not None:
        gw, gtf = model.adjusted("given_name", given[0], given_value)
    if family is not None:
        fw, ftf = model.adjusted("family_name", family[0], family_value)
        if given is not None and given[0] == "exact" and family[0] == "exact":
            # Both agree: how common the full name is says more than its parts taken apart.
            both = model.full_name_adjustment(given_value, family_value, gtf + ftf)
            if both < gtf + ftf:
                joint = both - gtf - ftf
                fw += joint
    return gw, gtf, fw, ftf, joint


def _exact_names(model: MatchModel, given: str, family: str) -> float:
    """What given and family name weigh together when both agree exactly on these values."""
    gw, _, fw, _, _ = _name_weights(model, ("exact", 1.0), ("exact", 1.0), given, family)
    return gw + fw


def _tf_note(tf: float) -> str:
    if tf <= -0.5:
        return f", a common name ({tf:+.1f})"
    if tf >= 0.5:
        return f", a rare name ({tf:+.1f})"
    return ""


_NAME_WHY = {
    "exact": "same {} name",
    "nickname": "{} names are nicknames of one name",
    "typo": "{} names differ by a typo",
    "part": "{} names share a part",
    "similar": "{} names similar",
    "initial": "{} name initial agrees",
    "phonetic": "{} names sound alike",
    "different": "different {} names",
}
_DOB_WHY = {
    "exact": "same date of birth",
    "day_month_swapped": "day and month swapped",
    "one_digit": "one digit differs",
    "digits_transposed": "two digits transposed",
    "year_month": "same year and month, another day",
    "different": "different dates of birth",
}
_ADDRESS_WHY = {
    "exact": "same street address and postal code",
    "postcode_typo": "same street address, postal code one digit off",
    "no_number": "same street, one without a house number",
    "street": "same street address, different postal code",
    "postcode": "same postal code",
    "different": "different addresses",
}
