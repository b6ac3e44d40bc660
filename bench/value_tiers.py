"""How valuing lifetime value at one date (decision 75) moves customers between the A/B/C tiers.

One population of order histories, drawn from the BG/NBD and Gamma-Gamma processes (the CDNOW fit,
as bench/value_refit.py draws them, at most 60 purchases each) but with customers of up to ``--years``
years: each customer's
history goes through the value context's own ``domain.history`` (the historical value discounted to
the first purchase at ``--rate``), the models are fitted with ``refit.fit``, and every customer is
scored with ``domain.score_population``. Lifetime value is taken both ways, with the tier cut-offs of
each ranking (``domain.tier_thresholds``):

* two dates (before decision 75): historical value + predicted value;
* one date, now: the historical value brought forward to now + the predicted value (the code's).

It prints the customers in each tier both ways, the share that changes tier, and the mean age of
those moving up and down. No database and no timing: the figure is the tiers, not a rate.

    .venv/bin/python bench/value_tiers.py [--customers 100000] [--years 5] [--rate 0.10]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import load_average
from value_refit import generate

from isthmus.value import config as value_config
from isthmus.value import domain, refit

NOW = datetime(2026, 12, 1, tzinfo=UTC)
TIERS = ("A", "B", "C")


def tiers_of(lifetimes: np.ndarray, a_share: float, b_share: float) -> np.ndarray:
    """0 for A, 1 for B, 2 for C, with the cut-offs of this ranking."""
    cut = domain.tier_thresholds(lifetimes, a_share, b_share)
    if cut is None:
        return np.full(len(lifetimes), 2)
    a_from, b_from = cut
    return np.where(lifetimes >= a_from, 0, np.where(lifetimes >= b_from, 1, 2))


def main(args: argparse.Namespace) -> None:
    print(f"python {platform.python_version()}, {os.cpu_count()} cores; load average {load_average()}")
    started = time.perf_counter()
    ages, days, spend = generate(args.customers, max_weeks=args.years * 52.18)
    histories = []
    at = 0
    for age, bought in zip(ages, days, strict=True):
        first = NOW - timedelta(days=float(age))
        orders = [
            domain.OrderFact(f"o{k}", first + timedelta(days=float(d)), int(spend[at + k]), 0, 0, 0, False)
            for k, d in enumerate(bought)
        ]
        at += len(bought)
        histories.append(domain.history(orders, [], args.rate))
    population = domain.Population.of(histories, NOW, 100)
    cfg = value_config.load({"ISTHMUS_VALUE_DISCOUNT_RATE": str(args.rate)})
    model = refit.fit(population, cfg, NOW)
    scores = domain.score_population(population, model, refit.settings_of(cfg))
    two_dates = population.historical + scores.predicted
    one_date = scores.lifetime
    before = tiers_of(two_dates, cfg.tier_a_share, cfg.tier_b_share)
    after = tiers_of(one_date, cfg.tier_a_share, cfg.tier_b_share)
    n = len(before)
    print(
        f"{n:,} customers of up to {args.years} years, {int(sum(len(d) for d in days)):,} orders, "
        f"yearly rate {args.rate:.0%}; made and scored in {time.perf_counter() - started:.1f} s"
    )
    for name, tiers in (
        ("two dates (historical + predicted)", before),
        ("one date, now (the code's)", after),
    ):
        shares = ", ".join(f"{t} {np.mean(tiers == i):.2%}" for i, t in enumerate(TIERS))
        print(f"tiers, {name}: {shares}")
    moved = before != after
    up, down = after < before, after > before
    years = population.big_t / 52.18
    print(
        f"change tier: {moved.mean():.2%} of customers ({up.mean():.2%} up, {down.mean():.2%} down); "
        f"mean age {years[up].mean() if up.any() else 0:.1f} years of those moving up, "
        f"{years[down].mean() if down.any() else 0:.1f} of those moving down, {years.mean():.1f} of all"
    )
    for i, t in enumerate(TIERS):
        row = ", ".join(f"{np.sum((before == i) & (after == j)):,} to {u}" for j, u in enumerate(TIERS))
        print(f"  from {t}: {row}")
    print(f"load average {load_average()}")
    print(
        "reproduce: .venv/bin/python bench/value_tiers.py "
        f"--customers {args.customers} --years {args.years} --rate {args.rate}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--years", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=0.10)
    main(parser.parse_args())
