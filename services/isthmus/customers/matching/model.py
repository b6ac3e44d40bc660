"""The match model: for each comparison and each of its levels, the weight it adds to a score.

A weight reads as a log2 likelihood ratio, log2(m / u): m is how often one person's two records compare
at that level, u how often two different people's records do. The built-in model (``MatchModel.builtin``)
types the weights in, the cold-start default; a trained model (``isthmus customers train``, see
``training``) estimates m and u from the deployment's own records and adjusts agreement on a name by
how common the name is (term frequency): agreeing on "Smith" is worth less than on "Wojcikiewicz".

A model is a value: versioned, stored as JSON, loaded by the service, and named on every link it made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

# The levels of each built-in comparison, from the best agreement to disagreement.
LEVELS: dict[str, tuple[str, ...]] = {
    "email_exact": ("exact", "typo", "different"),
    "phone_exact": ("exact", "different"),
    "identifier": ("exact", "typo", "different"),
    "given_name": ("exact", "nickname", "typo", "part", "similar", "initial", "phonetic", "different"),
    "family_name": ("exact", "typo", "part", "similar", "phonetic", "different"),
    "date_of_birth": (
        "exact",
        "day_month_swapped",
        "one_digit",
        "digits_transposed",
        "year_month",
        "different",
    ),
    "postal_address": ("exact", "postcode_typo", "no_number", "street", "postcode", "different"),
    "generation": ("same", "different"),
}
# The identifier levels at which the identifier is the person's own: they outweigh any evidence
# against (scoring's strong evidence against, and the pairs training leaves out of EM).
OWN_IDENTIFIER = frozenset({"exact", "typo"})
# Comparisons whose exact agreement is adjusted by how common the agreed value is.
TERM_FREQUENCY = ("given_name", "family_name")
FULL_NAME = "full_name"  # term frequencies of given and family name together
# A term-frequency adjustment never moves a weight by more than this many bits either way.
TF_LIMIT = 5.0
FORMAT = 1
BUILTIN = "builtin"


@dataclass(frozen=True)
class Weights:
    """The built-in model's weights (``ISTHMUS_CUSTOMERS_MATCH_CONFIG`` "weights" overrides them)."""

    email_agree: float = 8.0
    email_similar: float = 3.0
    email_disagree: float = -1.0
    phone_agree: float = 7.0
    phone_disagree: float = -1.0
    identifier_agree: float = 10.0
    identifier_typo: float = 4.0
    identifier_disagree: float = -5.0
    given_agree: float = 4.0
    given_nickname: float = 3.5
    given_initial: float = 1.0
    given_disagree: float = -3.0
    family_agree: float = 5.0
    family_disagree: float = -4.0
    dob_agree: float = 6.0
    dob_near: float = 1.5
    dob_disagree: float = -6.0
    address_agree: float = 5.0
    address_near: float = 3.5
    postcode_agree: float = 1.5
    street_agree: float = 2.0
    address_disagree: float = -0.5
    generation_disagree: float = -6.0

    def levels(self) -> dict[str, dict[str, float]]:
        """The weight of every level of every built-in comparison."""
        g, f = self.given_agree, self.family_agree
        near = self.dob_near
        return {
            "email_exact": {
                "exact": self.email_agree,
                "typo": self.email_similar,
                "different": self.email_disagree,
            },
            "phone_exact": {"exact": self.phone_agree, "different": self.phone_disagree},
            "identifier": {
                "exact": self.identifier_agree,
                "typo": self.identifier_typo,
                "different": self.identifier_disagree,
            },
            "given_name": {
                "exact": g,
                "nickname": self.given_nickname,
                "typo": g * 0.75,
                "part": g * 0.75,
                "similar": g * 0.25,
                "initial": self.given_initial,
                "phonetic": g * 0.25,
                "different": self.given_disagree,
            },
            "family_name": {
                "exact": f,
                "typo": f * 0.75,
                "part": f * 0.75,
                "similar": f * 0.25,
                "phonetic": f * 0.25,
                "different": self.family_disagree,
            },
            "date_of_birth": {
                "exact": self.dob_agree,
                "day_month_swapped": near,
                "one_digit": near,
                "digits_transposed": near,
                "year_month": 0.0,
                "different": self.dob_disagree,
            },
            "postal_address": {
                "exact": self.address_agree,
                "postcode_typo": self.address_near,
                "no_number": self.address_near,
                "street": self.street_agree,
                "postcode": self.postcode_agree,
                "different": self.address_disagree,
            },
            "generation": {"same": 0.0, "different": self.generation_disagree},
        }

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass(frozen=True)
class MatchModel:
    """Weights by comparison and level, the thresholds that cut a score, and where they came from."""

    version: str
    weights: Mapping[str, Mapping[str, float]]
    upper_threshold: float
    lower_threshold: float
    # Trained models only: the estimated probabilities behind each weight, and the prior.
    m: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    u: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    prior: float = 0.0  # share of candidate pairs that are one person
    # comparison -> value -> share of records holding it (names), and the share of a value seen once
    term_frequencies: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    tf_floor: Mapping[str, float] = field(default_factory=dict)
    about: Mapping[str, Any] = field(default_factory=dict)  # records, pairs, iterations, trained_at
    # Trained models: the share of all pairs of records that are one person (the odds before a score).
    pair_prior: float = 0.0

    def __post_init__(self) -> None:
        flat = {(c, level): w for c, levels in self.weights.items() for level, w in levels.items()}
        object.__setattr__(self, "_flat", flat)
        adjust: dict[str, dict[str, float]] = {}
        unseen: dict[str, float] = {}
        for c, table in self.term_frequencies.items():
            u = self.u.get(c, {}).get("exact") if c != FULL_NAME else None
            if not u:
                continue
            adjust[c] = {v: _clamp(math.log2(u / p)) for v, p in table.items() if p > 0}
            unseen[c] = _clamp(math.log2(u / self.tf_floor.get(c, min(table.values(), default=u))))
        object.__setattr__(self, "_adjust", adjust)
        object.__setattr__(self, "_unseen", unseen)
        both = self.u.get("given_name", {}).get("exact", 0.0) * self.u.get("family_name", {}).get(
            "exact", 0.0
        )
        object.__setattr__(self, "_both", both)

    @property
    def trained(self) -> bool:
        return self.version != BUILTIN

    def weight(self, comparator: str, level: str) -> float:
        w: float = self._flat[(comparator, level)]  # type: ignore[attr-defined]
        return w

    def adjusted(self, comparator: str, level: str, value: str) -> tuple[float, float]:
        """(weight, term-frequency adjustment in it) of agreeing at ``level`` on ``value``."""
        w = self.weight(comparator, level)
        if level != "exact":
            return w, 0.0
        tf = self.frequency_adjustment(comparator, value)
        return w + tf, tf

    def frequency_adjustment(self, comparator: str, value: str) -> float:
        """What agreeing exactly on ``value`` adds to or takes from ``comparator``'s exact weight for
        how common the value is (0 without term frequencies)."""
        table = self._adjust.get(comparator)  # type: ignore[attr-defined]
        if table is None:
            return 0.0
        tf: float = table.get(value, self._unseen[comparator])  # type: ignore[attr-defined]
        return tf

    def full_name_adjustment(self, given: str, family: str, parts: float) -> float:
        """The adjustment of two names both agreeing, given what each part's adjustment (``parts``)
        says: a full name many people share ("Maria Garcia") is worth less than its two parts, taken as
        independent, make it. Only names seen more than once in training are known to be common."""
        share = self.term_frequencies.get(FULL_NAME, {}).get(f"{given} {family}")
        both: float = self._both  # type: ignore[attr-defined]
        if share is None or not both:
            return parts
        return min(parts, max(-2 * TF_LIMIT, math.log2(both / share)))

    def probability(self, comparator: str, level: str) -> tuple[float, float] | None:
        """(m, u) behind a level's weight; None in the built-in model."""
        m, u = self.m.get(comparator, {}).get(level), self.u.get(comparator, {}).get(level)
        return (m, u) if m is not None and u is not None else None

    def match_probability(self, score: float) -> float | None:
        """How likely a pair with this score is one person (trained models only): the odds of two
        records drawn at random being one person, times the likelihood ratio the score is."""
        if not self.pair_prior:
            return None
        logit = score + math.log2(self.pair_prior / (1 - self.pair_prior))
        return 1 / (1 + 2 ** -max(-60.0, min(60.0, logit)))

    @classmethod
    def builtin(cls, weights: Weights | None = None, upper: float = 10.0, lower: float = 8.0) -> MatchModel:
        return cls(BUILTIN, (weights or Weights()).levels(), upper, lower)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "upper_threshold": self.upper_threshold,
            "lower_threshold": self.lower_threshold,
            "prior": self.prior,
            "pair_prior": self.pair_prior,
            "weights": {c: dict(levels) for c, levels in self.weights.items()},
            "m": {c: dict(levels) for c, levels in self.m.items()},
            "u": {c: dict(levels) for c, levels in self.u.items()},
            "term_frequencies": {c: dict(t) for c, t in self.term_frequencies.items()},
            "tf_floor": dict(self.tf_floor),
            "about": dict(self.about),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], version: str | None = None) -> MatchModel:
        """A model from its JSON form; ``ValueError`` says what is wrong with it."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"not a match model of format {FORMAT}")
        weights = data.get("weights")
        if not isinstance(weights, Mapping):
            raise ValueError("weights: missing")
        for comparator, levels in LEVELS.items():
            given = weights.get(comparator)
            if not isinstance(given, Mapping) or set(given) != set(levels):
                raise ValueError(f"weights.{comparator}: needs exactly the levels {', '.join(levels)}")
            for level, w in given.items():
                if not isinstance(w, int | float) or not math.isfinite(w):
                    raise ValueError(f"weights.{comparator}.{level}: {w!r} is not a number")
        upper, lower = float(data["upper_threshold"]), float(data["lower_threshold"])
        if lower > upper:
            raise ValueError("lower_threshold is above upper_threshold")
        prior = float(data.get("prior", 0.0))
        if not 0.0 <= prior < 1.0:
            raise ValueError("prior must be in [0, 1)")
        pair_prior = float(data.get("pair_prior", 0.0))
        if not 0.0 <= pair_prior < 1.0:
            raise ValueError("pair_prior must be in [0, 1)")
        return cls(
            version or str(data.get("version") or BUILTIN),
            {c: {lv: float(w) for lv, w in levels.items()} for c, levels in weights.items()},
            upper,
            lower,
            data.get("m", {}),
            data.get("u", {}),
            prior,
            data.get("term_frequencies", {}),
            data.get("tf_floor", {}),
            data.get("about", {}),
            pair_prior,
        )


def _clamp(x: float) -> float:
    return max(-TF_LIMIT, min(TF_LIMIT, x))
