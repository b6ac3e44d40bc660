"""Estimating a match model from the deployment's own records, without labels.

- **u** (how often two different people's records compare at each level) from random pairs of records,
  less those among them that are one person (``u_without_one_person``): most random pairs are two
  people, but where people have several records the few that are not are as common as chance
  agreement on a birth date or an identifier.
- **m** (how often one person's two records do) and the prior by expectation-maximisation over the
  candidate pairs blocking produces (the pairs matching actually scores), with u held fixed, as
  Fellegi and Sunter's model has it: the comparisons are taken as independent given the match status.
- **term frequencies** of given and family names: agreeing on a common name is worth less.

A level the records say too little about (fewer than ``min_evidence`` expected pairs of one person, as
for e-mails in data without any) keeps its built-in weight; no level of agreement weighs less than
disagreement does.

The thresholds cut at the odds that a pair is one person. A weight is a likelihood ratio; the odds
before it are those of two records drawn at random being one person (``pair_prior``: the pairs of one
person EM finds, over all pairs of records), about one in the number of records. A candidate links
where the odds after it reach ``link_probability`` (0.95) and a steward decides from
``review_probability`` (even odds) up: on 10,000 records that is a weight of about 17.5 to link and 13
to review, so that what chance gives namesakes of a common name (their names, a birth date a digit
apart) does not link them. The share of *candidate* pairs that are one person (``prior``) is kept for
the record, not used: it depends on how specific the blocking keys are. ``link_weight`` and
``review_weight`` set the thresholds as weights instead. Pure Python (EM runs on the distinct
comparison patterns, a few thousand however many pairs), so the service's own image can run it.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from typing import Any

from isthmus.customers.matching.comparators import builtin_comparators, dob_level
from isthmus.customers.matching.features import Features, blocking_keys
from isthmus.customers.matching.model import FULL_NAME, LEVELS, OWN_IDENTIFIER, TERM_FREQUENCY, MatchModel

# Comparisons estimated; "generation" is too rare to estimate and keeps its built-in weight.
ESTIMATED = tuple(c for c in LEVELS if c != "generation")
Pattern = tuple[int, ...]  # a pair's level index per estimated comparison; -1 where a side lacks the value


@dataclass(frozen=True)
class TrainingOptions:
    max_pairs: int = 400_000  # candidate pairs compared (sampled beyond this)
    random_pairs: int = 200_000  # random pairs for u
    max_block: int = 50  # records of one blocking key paired with each other (sampled beyond this)
    iterations: int = 100
    tolerance: float = 1e-6
    link_probability: float = 0.95  # link where a pair is one person with this probability or more
    review_probability: float = 0.5  # and a steward decides from this one up
    link_weight: float | None = None  # or: link at this weight of evidence, whatever the odds
    review_weight: float | None = None
    min_evidence: float = 10.0
    seed: int = 1


def _levels(builtin: MatchModel) -> Callable[[Features, Features], Pattern]:
    compare = {c.name: c.compare for c in builtin_comparators(builtin)}
    index = {c: {level: i for i, level in enumerate(LEVELS[c])} for c in ESTIMATED}

    def pattern(a: Features, b: Features) -> Pattern:
        out = []
        for name in ESTIMATED:
            found = compare[name](a, b)
            out.append(index[name][found.level] if found is not None else -1)
        return tuple(out)

    return pattern


def candidate_pairs(
    features: Sequence[Features], options: TrainingOptions, rng: random.Random
) -> tuple[set[tuple[int, int]], int]:
    """Pairs of records sharing a blocking key, as matching would meet them (sampled down to
    ``max_pairs``), and how many there were before the sample."""
    blocks: dict[str, list[int]] = {}
    for i, f in enumerate(features):
        for key in blocking_keys(f):
            blocks.setdefault(key, []).append(i)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2:
            continue
        if len(members) > options.max_block:
            members = rng.sample(members, options.max_block)
        pairs.update((min(a, b), max(a, b)) for a, b in combinations(members, 2))
    found = len(pairs)
    if found > options.max_pairs:
        pairs = set(rng.sample(sorted(pairs), options.max_pairs))
    return pairs, found


def estimate_u(patterns: Counter[Pattern]) -> dict[str, list[float]]:
    """Level shares among pairs of different people (random pairs), per comparison; every level gets
    at least half a pair so that no level is impossible."""
    u = {}
    for k, name in enumerate(ESTIMATED):
        counts = [0.5] * len(LEVELS[name])
        for p, n in patterns.items():
            if p[k] >= 0:
                counts[p[k]] += n
        total = sum(counts)
        u[name] = [c / total for c in counts]
    return u


def _one_person(p: Pattern, m: dict[str, list[float]], u: dict[str, list[float]], prior: float) -> float:
    """The probability that a pair of this pattern is one person, given m, u and the prior."""
    lm, lu = math.log(prior), math.log(1 - prior)
    for k, name in enumerate(ESTIMATED):
        level = p[k]
        if level >= 0:
            lm += math.log(m[name][level])
            lu += math.log(u[name][level])
    top = max(lm, lu)
    return math.exp(lm - top) / (math.exp(lm - top) + math.exp(lu - top))


def u_without_one_person(
    randoms: Counter[Pattern], m: dict[str, list[float]], options: TrainingOptions
) -> tuple[dict[str, list[float]], float]:
    """u from random pairs less the pairs among them that are one person, and their share.

    Where each person has several records, a random pair is one person about as often as two people
    share a birth date or an identifier by chance, so u read from every random pair counts those
    duplicates as chance agreement: the strongest levels' u came out many times too high (FEBRL 3's
    birth date exact 6.18 in 10,000 pairs, 0.24 without them; decision 65), and varied with the
    sample. With m known, EM over the random pairs (m held fixed)
    weighs each pattern by the odds that it is two people."""
    u, share, _ = _em(randoms, m, estimate_u(randoms), 1e-4, options, one_person=False)
    return u, share


def _initial_m(name: str) -> list[float]:
    """A starting point for m: most of one person's pairs agree, fewer at each worse level."""
    levels = len(LEVELS[name])
    raw = [0.5 ** (i + 1) for i in range(levels)]
    raw[0] = 4.0
    total = sum(raw)
    return [x / total for x in raw]


def expectation_maximisation(
    patterns: Counter[Pattern], u: dict[str, list[float]], options: TrainingOptions
) -> tuple[dict[str, list[float]], float, int]:
    """(m, prior, iterations) for these candidate pair patterns, u held fixed."""
    m = {name: _initial_m(name) for name in ESTIMATED}
    return _em(patterns, m, u, 0.1, options, one_person=True)


def _em(
    patterns: Counter[Pattern],
    m: dict[str, list[float]],
    u: dict[str, list[float]],
    prior: float,
    options: TrainingOptions,
    *,
    one_person: bool,
) -> tuple[dict[str, list[float]], float, int]:
    """EM over pair patterns for one side of the model, the other held fixed: m (``one_person``; each
    level starts from a thousandth of a pair) or u (from half a pair), with the share of the pairs that
    are one person; returns (that side, the share, iterations)."""
    items = list(patterns.items())
    total = sum(n for _, n in items)
    pseudo, low, high = (1e-3, 1e-6, 1 - 1e-6) if one_person else (0.5, 1e-9, 0.5)
    done = 0
    for it in range(1, options.iterations + 1):
        done = it
        counts = {name: [pseudo] * len(LEVELS[name]) for name in ESTIMATED}
        matched = 0.0
        for p, n in items:
            one = _one_person(p, m, u, prior)
            matched += one * n
            side = one * n if one_person else (1 - one) * n
            for k, name in enumerate(ESTIMATED):
                if p[k] >= 0:
                    counts[name][p[k]] += side
        new_prior = min(max(matched / total, low), high)
        new = {name: [c / sum(cs) for c in cs] for name, cs in counts.items()}
        old = m if one_person else u
        moved = max(
            abs(new_prior - prior),
            max(abs(a - b) for name in ESTIMATED for a, b in zip(new[name], old[name], strict=True)),
        )
        prior = new_prior
        if one_person:
            m = new
        else:
            u = new
        if moved < options.tolerance:
            break
    return (m if one_person else u), prior, done


MIN_POSSIBLE_PAIRS = 50  # candidate pairs that could be one person, below which EM has nothing to learn
_K = {name: k for k, name in enumerate(ESTIMATED)}
_DIFFERENT = {name: LEVELS[name].index("different") for name in ESTIMATED}
_OWN_ID = {LEVELS["identifier"].index(level) for level in OWN_IDENTIFIER}


def _two_people(p: Pattern) -> bool:
    """The pattern is strong evidence against (``scoring.against``), read from level indices."""
    if p[_K["identifier"]] in _OWN_ID:
        return False
    return (
        p[_K["date_of_birth"]] == _DIFFERENT["date_of_birth"]
        or p[_K["given_name"]] == _DIFFERENT["given_name"]
    )


def term_frequencies(features: Sequence[Features]) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Share of records holding each given and family name (names held once are left to the floor)."""
    values = {
        "given_name": Counter(f.given_full for f in features if f.given_full),
        "family_name": Counter(f.family for f in features if f.family),
    }
    tables, floors = {}, {}
    for name in TERM_FREQUENCY:
        counts = values[name]
        total = sum(counts.values()) or 1
        tables[name] = {v: n / total for v, n in counts.items() if n > 1}
        floors[name] = 1 / total
    # A full name counts the people holding it, told apart by their birth dates: one person's several
    # records must not make their name look common, nor must their birth date keyed wrong in a copy
    # (a day and month swapped, a digit off: within a typo of another date, the same person's).
    born: dict[str, set[str]] = {}
    for f in features:
        if f.given_full and f.family and f.dob:
            born.setdefault(f"{f.given_full} {f.family}", set()).add(f.dob)
    people = {name: _people(dates) for name, dates in born.items()}
    total = sum(people.values()) or 1
    tables[FULL_NAME] = {v: n / total for v, n in people.items() if n > 1}
    floors[FULL_NAME] = 1 / total
    return tables, floors


def _people(dates: set[str]) -> int:
    """How many people these birth dates of one full name are, at the least: a date and the dates
    within a typo of it are taken as one person's, the date with the most such neighbours first."""
    near = {d: {e for e in dates if e == d or dob_level(d, e) != "different"} for d in dates}
    left, count = set(dates), 0
    while left:
        centre = max(sorted(left), key=lambda d: len(near[d] & left))
        left -= near[centre]
        count += 1
    return count


def train(
    features: Sequence[Features], builtin: MatchModel, options: TrainingOptions | None = None
) -> MatchModel:
    """A model estimated from these records (a deployment's stored records, without labels)."""
    options = options or TrainingOptions()
    if len(features) < 100:
        raise ValueError(f"too few records to train on ({len(features)}; at least 100)")
    rng = random.Random(options.seed)
    pattern = _levels(builtin)
    candidates, found = candidate_pairs(features, options, rng)
    if not candidates:
        raise ValueError("no two records share a blocking key: nothing to learn from")
    seen: Counter[Pattern] = Counter(pattern(features[a], features[b]) for a, b in candidates)
    n = len(features)
    randoms: Counter[Pattern] = Counter()
    for _ in range(options.random_pairs):
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            randoms[pattern(features[a], features[b])] += 1
    u = estimate_u(randoms)
    # What the rules already call two people (a given name or a birth date apart, without the same
    # identifier) cannot be one: EM learns one person's pairs from the others, so that households and
    # namesakes do not blur what one person's records look like.
    possible: Counter[Pattern] = Counter({p: n for p, n in seen.items() if not _two_people(p)})
    if sum(possible.values()) < MIN_POSSIBLE_PAIRS:
        raise ValueError(
            f"the records hold too few duplicates to learn from ({sum(possible.values())} candidate pairs"
            f" could be one person; at least {MIN_POSSIBLE_PAIRS}): keep the built-in model"
        )
    m, prior, iterations = expectation_maximisation(possible, u, options)
    for _ in range(2):  # u less the random pairs that are one person, then m again with it
        u, _share = u_without_one_person(randoms, m, options)
        m, prior, iterations = expectation_maximisation(possible, u, options)
    pairs = possible
    matched = prior * sum(pairs.values())
    present = {
        name: sum(n for p, n in pairs.items() if p[k] >= 0) / max(1, sum(pairs.values()))
        for k, name in enumerate(ESTIMATED)
    }
    weights: dict[str, dict[str, float]] = {c: dict(levels) for c, levels in builtin.weights.items()}
    for name in ESTIMATED:
        for i, level in enumerate(LEVELS[name]):
            if m[name][i] * matched * present[name] >= options.min_evidence:
                weights[name][level] = round(math.log2(m[name][i] / u[name][i]), 3)
        floor = weights[name]["different"]
        for level in LEVELS[name][:-1]:
            weights[name][level] = max(weights[name][level], floor)
    # The pairs of one person among all pairs of records: those EM finds among the candidate pairs
    # (scaled up when they were sampled), over every pair (at least one, at most half of them).
    all_pairs = n * (n - 1) / 2
    pair_prior = min(0.5, max(1.0, matched * found / len(candidates)) / all_pairs)
    upper, lower = thresholds(pair_prior, options)
    tables, floors = term_frequencies(features)
    return MatchModel(
        "trained",  # the store gives it its version
        weights,
        round(upper, 3),
        round(lower, 3),
        {name: dict(zip(LEVELS[name], m[name], strict=True)) for name in ESTIMATED},
        {name: dict(zip(LEVELS[name], u[name], strict=True)) for name in ESTIMATED},
        prior,
        tables,
        floors,
        _about(len(features), len(candidates), sum(randoms.values()), iterations, options),
        pair_prior,
    )


def thresholds(pair_prior: float, options: TrainingOptions) -> tuple[float, float]:
    """(link, review) weights: where the odds that a pair is one person, ``pair_prior`` before any
    comparison, reach ``options.link_probability`` and ``options.review_probability`` (or the weights
    the options set)."""
    before = math.log2(pair_prior / (1 - pair_prior))
    upper = options.link_weight
    if upper is None:
        upper = round(_logit(options.link_probability) - before, 1)
    lower = options.review_weight
    if lower is None:
        lower = round(_logit(options.review_probability) - before, 1)
    return upper, min(lower, upper)


def _logit(p: float) -> float:
    return math.log2(p / (1 - p))


def _about(
    records: int, pairs: int, randoms: int, iterations: int, options: TrainingOptions
) -> dict[str, Any]:
    return {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": records,
        "candidate_pairs": pairs,
        "random_pairs": randoms,
        "iterations": iterations,
        "min_evidence": options.min_evidence,
    }
