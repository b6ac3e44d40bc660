"""Scoring a record against candidate customers and deciding: link, a steward's review, a new customer,
and which other customers share the record's household.

The score is the sum of the comparisons' weights. Before any sum counts, strong evidence against is
looked for: a given name that is neither the same, a nickname, an initial, a typo nor a sound-alike of
the other; a birth date apart by more than a typo or a transposition; another generation ("Jr." and
"Sr."). Any of these means two people, however much they share, unless the person's own identifier
agrees: twins share a family name, a birth date, an address and a landline; a father and his son of
the same name share everything but the birth date. What they share is evidence of a household, not of
a person: such a candidate is never linked or reviewed, and when it shares a contact point (an
address, a phone, an e-mail) it is reported as a household of the record's customer instead. A
probabilistic link also needs something besides the names to agree (namesakes share names only).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import phonenumbers

from isthmus.customers.matching.comparators import (
    ComparatorRegistry,
    Comparison,
    builtin_comparators,
    dob_level,
    given_level,
    names_aligned,
    near_postcodes,
)
from isthmus.customers.matching.features import Features
from isthmus.customers.matching.model import OWN_IDENTIFIER, MatchModel, Weights

# Compared against the candidate customer as a whole: a record must not join a customer through a
# member that lacks the birth date (identifier, generation) another member contradicts.
_WHOLE_CUSTOMER = ("date_of_birth", "identifier", "generation")
# A shared contact point: what a household has in common.
_HOUSEHOLD = {
    "phone_exact": {"exact"},
    "email_exact": {"exact"},
    "postal_address": {"exact", "no_number", "postcode_typo"},
}


class Outcome(enum.Enum):
    NEW = "new"
    DETERMINISTIC = "deterministic"
    PROBABILISTIC = "probabilistic"
    REVIEW = "review"


@dataclass(frozen=True)
class MatchConfig:
    upper_threshold: float = 10.0
    lower_threshold: float = 8.0
    deterministic_rules: frozenset[str] = frozenset({"email_exact", "phone_exact", "identifier"})
    # Customers scored per record, those sharing the most blocking keys first. Measured on 20,000
    # generated people: 10 instead of 50 cost 0.0008 recall and made ingest 1.7x faster; 5 instead
    # of 10 cost 0.0009 recall (F1 0.9815 -> 0.9811, precision the same) for 13% more records/s.
    max_candidates: int = 5
    # A blocking key held by more source records than this (a common name's sound, in a large
    # master) says too little to pick candidates by; it is skipped, so the cost of a record
    # does not grow with the master.
    max_key_records: int = 200
    # A name-only key (both names' sounds) is skipped sooner. Among the customers it alone ties to a
    # record, the candidate query can only take the first few by id, so in a bucket of fifty
    # namesakes the person's own customer is found one time in ten; reading the bucket cost 85% of
    # the candidate query's rows with 400,000 customers present (decision 64).
    max_name_key_records: int = 50
    weights: Weights = field(default_factory=Weights)

    def builtin_model(self) -> MatchModel:
        """The cold-start model: these weights and thresholds."""
        return MatchModel.builtin(self.weights, self.upper_threshold, self.lower_threshold)


@dataclass(frozen=True)
class Scored:
    customer_id: str
    score: float
    comparisons: tuple[Comparison, ...]
    deterministic: str = ""  # the rule that fired, when one did
    against: str = ""  # strong evidence that these are two people, when there is some

    @property
    def household(self) -> bool:
        """Two people (``against``) who share a contact point: one household."""
        return bool(self.against) and any(
            c.level in _HOUSEHOLD.get(c.comparator, ()) for c in self.comparisons
        )


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    customer_id: str  # the existing customer linked or reviewed against; "" for NEW
    score: float
    comparisons: tuple[Comparison, ...]
    insufficient: bool
    rule: str = ""
    # Customers that are someone else in the record's household (see ``Scored.household``).
    households: tuple[Scored, ...] = ()
    # For a review: what made it uncertain (the comparisons short of agreement, the values missing).
    uncertain: str = ""


_DATES_APART = "different dates of birth"


def against(comparisons: Sequence[Comparison]) -> str:
    """Why these comparisons say two people, whatever else agrees; "" when nothing does.

    A given name, a birth date or a generation apart says two people; only the person's own identifier
    (the same, or one keystroke off) outweighs it: a household shares everything else. A different
    identifier alone is not such evidence (identifiers are keyed by hand; it weighs against instead).
    """
    by = {c.comparator: c for c in comparisons}
    ident = by.get("identifier")
    if ident is not None and ident.level in OWN_IDENTIFIER:
        return ""
    dob = by.get("date_of_birth")
    if dob is not None and dob.level == "different" and not _keyed_wrong_twice(dob, by):
        return _DATES_APART
    generation = by.get("generation")
    if generation is not None and generation.level == "different":
        return "different generations"
    given = by.get("given_name")
    if given is not None and given.level == "different":
        return "different given names"
    return ""


def _keyed_wrong_twice(dob: Comparison, by: dict[str, Comparison]) -> bool:
    """A birth date two slips from the other (the day and month swapped and a digit off, "1987-09-08"
    and "1987-06-09"; two digits off), on a record whose own e-mail or mobile number agrees: one
    person's date keyed wrong twice. Two people of one home share a landline, or an e-mail, not an
    e-mail and such a date (a father and his son are decades apart, and born on other days)."""
    email, phone = by.get("email_exact"), by.get("phone_exact")
    own = (email is not None and email.level == "exact") or (
        phone is not None and phone.level == "exact" and not fixed_line(phone.left)
    )
    return own and _two_slips(dob.left, dob.right)


def _one_slip(date: str) -> set[str]:
    """The dates one slip from ``date`` ("YYYY-MM-DD"), as eight digits: day and month swapped, a
    digit changed, two adjacent digits transposed (``dob_level``'s three slips). It holds ``date``
    itself where a swap or a transposition changes nothing ("2001-11-11", "1988-...")."""
    year, month, day = date.split("-")
    digits = year + month + day
    near = {year + day + month}
    for i in range(len(digits)):
        near.update(digits[:i] + d + digits[i + 1 :] for d in "0123456789" if d != digits[i])
        if i + 1 < len(digits):
            near.add(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    return near


@functools.lru_cache(maxsize=4096)
def _two_slips(x: str, y: str) -> bool:
    """Whether a date one slip from ``x`` is one slip from ``y`` (and is not ``y`` itself). The slips
    are symmetric, so such a date is one slip from both: the two sets of eighty-odd dates meet (a
    set each, rather than each of ``x``'s eighty-odd compared with ``y`` by ``dob_level``)."""
    common = _one_slip(x) & _one_slip(y)
    return len(common) > 1 or (bool(common) and y.replace("-", "") not in common)


def _without(comparisons: Sequence[Comparison], comparator: str) -> tuple[Comparison, ...]:
    return tuple(c for c in comparisons if c.comparator != comparator)


def one_birth_date(records: Iterable[Features]) -> bool:
    """Whether one of these records' birth dates is within a typo (a digit, a day/month swap, two
    transposed digits, the same year and month) of every other: copies of one person's date, each
    keyed wrong once."""
    dates = {f.dob for f in records if f.dob}
    return any(all(d == e or dob_level(d, e) != "different" for e in dates) for d in dates)


def _vetoed(comparisons: Sequence[Comparison]) -> bool:
    """A shared email or phone is not enough when the people plainly differ (a household's landline)."""
    if against(comparisons):
        return True
    if any(c.comparator == "identifier" and c.level == "different" for c in comparisons):
        return True
    names = [c.weight for c in comparisons if c.comparator in ("given_name", "family_name")]
    return bool(names) and sum(names) <= 0


_FULL_AGREEMENT = {"exact", "same"}
_NAMES = ("given_name", "family_name")


def corroborated(comparisons: Sequence[Comparison]) -> bool:
    """Whether something besides the names agrees: namesakes share names and nothing else, so names
    alone, however rare, never link (a steward decides). Given names that only resemble each other
    ("Joanna" and "Anna", "Joshua" and "Joseph") are what siblings and twins have: with them, what a
    home shares (the family name, the address, a landline, even a twin's birth date) does not
    corroborate; the person's own e-mail, mobile or identifier must."""
    if not any(c.weight > 0 and c.comparator not in _NAMES for c in comparisons):
        return False
    given = next((c for c in comparisons if c.comparator == "given_name"), None)
    if given is None or given.level not in _RESEMBLING:
        return True
    return any(c.comparator in _OWN_KEYS for c in own_evidence(comparisons, frozenset()))


_RESEMBLING = frozenset({"similar", "phonetic", "initial"})
_OWN_KEYS = ("email_exact", "phone_exact", "identifier")


def uncertainty(comparisons: Sequence[Comparison]) -> str:
    """What keeps a score from certainty: comparisons short of full agreement, key values missing, or
    nothing but the names agreeing."""
    if not corroborated(comparisons):
        return "only the names agree; " + _uncertainty(comparisons)
    return _uncertainty(comparisons)


def _uncertainty(comparisons: Sequence[Comparison]) -> str:
    short = [
        f"{c.comparator}: {c.explanation}" for c in comparisons if c.level and c.level not in _FULL_AGREEMENT
    ]
    present = {c.comparator for c in comparisons}
    missing = [n for n in ("date_of_birth", "given_name", "postal_address") if n not in present]
    parts = short + ([f"not on both records: {', '.join(missing)}"] if missing else [])
    return "; ".join(parts)


# Evidence of a person, not of a home: agreeing on these tells a father from his son of the same name.
_PERSONAL = ("date_of_birth", "identifier", "generation")
_CONTACTS = ("email_exact", "phone_exact")


@functools.lru_cache(maxsize=4096)
def fixed_line(e164: str) -> bool:
    """Whether a number is a landline: a home's, shared by whoever lives there."""
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return False
    return bool(kind == phonenumbers.PhoneNumberType.FIXED_LINE)


def shared_contacts(xs: Iterable[Features], ys: Iterable[Features]) -> frozenset[str]:
    """The e-mails, phones and birth dates that records of two people both hold: a household's (twins
    share a birth date)."""
    held = {v for f in xs for v in (*f.emails, *f.phones, f.dob) if v}
    return frozenset(v for f in ys for v in (*f.emails, *f.phones, f.dob) if v in held)


def own_evidence(comparisons: Sequence[Comparison], household: frozenset[str]) -> list[Comparison]:
    """The agreements that speak of the person, not of the household: a birth date, an identifier or a
    generation, or an e-mail or a mobile phone, that is not the household's (``household``: what two
    people of it both hold, as twins their birth date; a landline is always the home's). Names and the
    address are what a father and his son of one name at one home share."""
    out = []
    for c in comparisons:
        if c.weight <= 0 or not c.level or c.level == "different":
            continue
        if c.comparator in _PERSONAL:
            if c.comparator == "date_of_birth" and {c.left, c.right} & household:
                continue
            out.append(c)
        elif c.comparator in _CONTACTS:
            values = {c.left, c.right}
            if values & household:
                continue
            if c.comparator == "phone_exact" and any(fixed_line(v) for v in values):
                continue
            out.append(c)
    return out


class Matcher:
    def __init__(
        self, config: MatchConfig, registry: ComparatorRegistry | None = None, model: MatchModel | None = None
    ) -> None:
        self.config = config
        self.model = model or config.builtin_model()
        self.registry = registry or ComparatorRegistry(builtin_comparators(self.model))
        self.upper = self.model.upper_threshold
        self.lower = self.model.lower_threshold

        by_name = {c.name: c.compare for c in self.registry}
        self._identifier = by_name.get("identifier")
        self._address = by_name.get("postal_address")
        # Setting a candidate aside unscored reasons about the built-in comparators' levels: only with
        # them registered (plugins add comparators beside them and cannot take their names); a
        # registry without them keeps every candidate scored.
        self._sets_aside = all(n in by_name for n in ("date_of_birth", "email_exact", "phone_exact"))
        self._names_set_aside = "given_name" in by_name

    def plainly_someone_else(self, record: Features, members: Sequence[Features]) -> bool:
        """Whether ``score`` would say of this customer that it is someone else (each of its records'
        birth date apart from the record's beyond a typo or a transposition, or its given name
        neither the same, a nickname, an initial, a typo nor a sound-alike) and not of the record's
        household (no contact point shared), whichever of its records scored best; told without
        scoring the pairs: a new person in a large master meets namesakes born on other days, and
        people who share only a family name's sound and a postcode or a birth date.

        Such a candidate is never linked, reviewed, bridged nor kept as a household, so deciding a new
        record may leave it out (``Deciding._resolve``). ``False`` whenever it is not certain: a shared
        e-mail or phone (a birth date keyed wrong twice, or a household), an identifier that agrees or
        is one keystroke off (the person's own, outweighing any date or name), an address a household
        shares. The given names are compared only where the birth dates do not tell (the level comes
        from ``names_aligned``, the comparison scoring makes, cached by the names' values).
        """
        if not members or not self._sets_aside:
            return False
        address = self._address
        for m in members:
            if not self._someone_else(record, m) or record.emails & m.emails or record.phones & m.phones:
                return False
            if address is not None and near_postcodes(record.postcodes, m.postcodes):
                c = address(record, m)
                if c is not None and c.level in _HOUSEHOLD["postal_address"]:
                    return False
        return True

    def never_links(self, record: Features, members: Sequence[Features]) -> bool:
        """Whether ``links`` would say no to this customer whatever the record scored: scoring finds
        each of its records someone else (``against``: the given names apart, or the birth dates apart
        with no e-mail or mobile shared that could make the date one keyed wrong twice), and none holds
        the record's own identifier. Told without scoring the pairs; ``False`` whenever not certain.
        Unlike ``plainly_someone_else`` it says nothing of a household: the two people of one are
        asked it of each other's records (``households``), and they share the contact
        points that keep a candidate scored."""
        if not members or not self._sets_aside:
            return False
        return all(self._someone_else(record, m) for m in members)

    def _someone_else(self, record: Features, m: Features) -> bool:
        """Whether scoring finds ``m`` someone else whatever else agrees (``against``): its birth date
        apart from the record's, with no e-mail or mobile shared that could make it a date keyed wrong
        twice (``_keyed_wrong_twice``; a landline is the home's), or its given name apart; and not
        the record's own identifier, which outweighs both. The given names are compared only where
        the birth dates do not tell. What ``plainly_someone_else`` and ``never_links`` ask of each
        member."""
        apart = False
        if record.dob and m.dob and dob_level(record.dob, m.dob) == "different":
            phones = record.phones & m.phones
            apart = not (record.emails & m.emails or (phones and not fixed_line(min(phones))))
        if not apart and not self._given_apart(record, m):
            return False
        identifier = self._identifier
        if identifier is not None and record.identifiers and m.identifiers:
            c = identifier(record, m)
            if c is not None and c.level in OWN_IDENTIFIER:
                return False
        return True

    def _given_apart(self, a: Features, b: Features) -> bool:
        """Whether scoring would find these records' given names "different" (``against``'s given
        names), the names aligned as scoring aligns them (a swap of given and family name counts)."""
        if not (self._names_set_aside and a.given and b.given):
            return False
        # Names that agree in their places in any way agree aligned too (a swap only ever replaces a
        # disagreement): the given names alone (a smaller cache, hit more often) settle most pairs.
        if given_level(a.given, a.given_full, b.given, b.given_full)[0] != "different":
            return False
        given = names_aligned(a.given, a.given_full, a.family, b.given, b.given_full, b.family)[0]
        return given is not None and given[0] == "different"

    @property
    def needs_records(self) -> bool:
        """Whether some comparator reads whole source records (see ``Comparator.needs_record``)."""
        return any(c.needs_record for c in self.registry)

    def score_pair(self, a: Features, b: Features) -> tuple[float, tuple[Comparison, ...], str]:
        # One plain loop: this runs for every candidate's every record.
        found: list[Comparison] = []
        total, rule, rules = 0.0, "", self.config.deterministic_rules
        for compare in self.registry.functions:
            c = compare(a, b)
            if c is not None:
                found.append(c)
                total += c.weight
                if not rule and c.similarity >= 1.0 and c.comparator in rules:
                    rule = c.comparator
        comparisons = tuple(found)
        if rule and _vetoed(comparisons):
            rule = ""
        return round(total, 3), comparisons, rule

    def score(self, record: Features, customer_id: str, members: Sequence[Features]) -> Scored:
        """Best score of the record against any source record of the candidate customer.

        What the customer as a whole says about birth date, identifiers and generation counts too: a
        record must not join a customer through a member that lacks what another member contradicts.
        """
        best: tuple[bool, float, tuple[Comparison, ...], str] | None = None  # (by a rule?, score, ...)
        whole: dict[str, Comparison] = {}
        for m in members:
            total, found, rule = self.score_pair(record, m)
            for c in found:
                known = whole.get(c.comparator)
                if c.comparator in _WHOLE_CUSTOMER and (known is None or c.weight > known.weight):
                    whole[c.comparator] = c
            if best is None or (bool(rule), total) > best[:2]:
                best = (bool(rule), total, found, rule)
        assert best is not None
        _, total, found, rule = best
        missing = [c for name, c in whole.items() if all(x.comparator != name for x in found)]
        comparisons = found + tuple(missing)
        why = against(comparisons)
        rule = "" if rule and (why or _vetoed(comparisons)) else rule
        score = round(sum(c.weight for c in comparisons), 3) if missing else total
        return Scored(customer_id, score, comparisons, rule, why)

    def links(self, scored: Scored) -> bool:
        """Whether a score is good enough to link a (sufficient) record by."""
        if scored.against:
            return False
        return bool(scored.deterministic) or (scored.score >= self.upper and corroborated(scored.comparisons))

    def compatible(
        self, xs: Sequence[Features], ys: Sequence[Features], bridge: Features | None = None
    ) -> bool:
        """Whether two customers' records may be one person's: no pair of them is strong evidence
        against (birth date, identifier, generation, given name), and some pair's names agree.

        Two birth dates apart by more than a typo are no contradiction when one of the records (or
        ``bridge``, the record that links the two customers) is within a typo of every birth date
        they hold: each copy was keyed wrong once, in its own way ("1970-11-26" with "1975-11-26"
        and "1970-11-22")."""
        names_agree = dates_apart = False
        for x in xs:
            for y in ys:
                comparisons = self.score_pair(x, y)[1]
                why = against(comparisons)
                if why == _DATES_APART and not against(_without(comparisons, "date_of_birth")):
                    dates_apart = True
                elif why:
                    return False
                names = [c.weight for c in comparisons if c.comparator in ("given_name", "family_name")]
                names_agree = names_agree or (bool(names) and sum(names) > 0)
        if dates_apart and not one_birth_date([*xs, *ys, *([bridge] if bridge else [])]):
            return False
        return names_agree

    def decide(self, record: Features, candidates: Sequence[Scored]) -> Decision:
        insufficient = not record.sufficient
        households = tuple(s for s in candidates if s.household)
        people = [s for s in candidates if not s.against]
        if not people:
            return Decision(Outcome.NEW, "", 0.0, (), insufficient, households=households)
        best = max(people, key=lambda s: (bool(s.deterministic), s.score, s.customer_id))
        if best.deterministic and not insufficient:
            return Decision(
                Outcome.DETERMINISTIC,
                best.customer_id,
                best.score,
                best.comparisons,
                False,
                best.deterministic,
                households,
            )
        if best.score >= self.upper and not insufficient and corroborated(best.comparisons):
            return Decision(
                Outcome.PROBABILISTIC, best.customer_id, best.score, best.comparisons, False, "", households
            )
        if best.score >= self.lower:
            return Decision(
                Outcome.REVIEW,
                best.customer_id,
                best.score,
                best.comparisons,
                insufficient,
                "",
                households,
                uncertainty(best.comparisons),
            )
        return Decision(Outcome.NEW, "", best.score, (), insufficient, households=households)
