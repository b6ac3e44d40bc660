"""The value models against the published CDNOW results (Fader, Hardie and Lee 2005).

The CDNOW sample (2,357 customers' x, t_x, T in weeks and mean repeat spend) is read from the CSV
the ``lifetimes`` package ships, a development dependency; its code is not imported.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from isthmus.value import models


def _cdnow() -> dict[str, np.ndarray]:
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, "the dev dependency lifetimes is missing"
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets"
    with (path / "cdnow_customers_summary_with_transactions.csv").open() as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in ("x", "t_x", "T", "zbar")}


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    return _cdnow()


@pytest.fixture(scope="module")
def bgnbd(cdnow: dict[str, np.ndarray]) -> models.BgNbd:
    return models.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


def test_bgnbd_fit_on_cdnow_finds_the_published_parameters(bgnbd: models.BgNbd) -> None:
    assert bgnbd.r == pytest.approx(0.243, abs=0.002)
    assert bgnbd.alpha == pytest.approx(4.414, abs=0.02)
    assert bgnbd.a == pytest.approx(0.793, abs=0.005)
    assert bgnbd.b == pytest.approx(2.426, abs=0.02)


def test_gamma_gamma_fit_on_cdnow_finds_the_published_parameters(cdnow: dict[str, np.ndarray]) -> None:
    gg = models.fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert gg.p == pytest.approx(6.25, abs=0.02)
    assert gg.q == pytest.approx(3.74, abs=0.02)
    assert gg.gamma == pytest.approx(15.44, abs=0.05)


def test_bgnbd_log_likelihood_at_the_published_parameters_is_the_papers(cdnow: dict[str, np.ndarray]) -> None:
    params = models.BgNbd(0.243, 4.414, 0.793, 2.426)
    total = models.bgnbd_log_likelihood(params, cdnow["x"], cdnow["t_x"], cdnow["T"]).sum()
    assert total == pytest.approx(-9582.4, abs=1.0)  # the paper's LL


def test_expected_purchases_match_the_papers_example(bgnbd: models.BgNbd) -> None:
    # The paper: a customer with x=2, t_x=30.43, T=38.86 is expected to make 1.226 purchases in the
    # next 39 weeks.
    expected = float(models.expected_purchases(bgnbd, 39, 2, 30.43, 38.86))
    assert expected == pytest.approx(1.226, abs=0.01)


def test_alive_probability_is_one_without_repeat_purchases_and_falls_with_silence(
    bgnbd: models.BgNbd,
) -> None:
    assert float(models.alive_probability(bgnbd, 0, 0, 30)) == 1.0
    recent = float(models.alive_probability(bgnbd, 5, 29, 30))
    silent = float(models.alive_probability(bgnbd, 5, 5, 30))
    assert 0 < silent < recent < 1


def test_discounted_purchases_are_fewer_than_undiscounted(bgnbd: models.BgNbd) -> None:
    plain = float(models.expected_purchases(bgnbd, 12 * models.WEEKS_PER_MONTH, 3, 20, 30))
    assert float(models.discounted_purchases(bgnbd, 12, 0.0, 3, 20, 30)) == pytest.approx(plain, rel=1e-9)
    assert float(models.discounted_purchases(bgnbd, 12, 0.2, 3, 20, 30)) < plain


def test_expected_spend_shrinks_towards_the_population_mean() -> None:
    gg = models.GammaGamma(6.25, 3.74, 15.44)
    population = 6.25 * 15.44 / 2.74
    assert float(models.expected_spend(gg, 0, 0)) == pytest.approx(population)
    one = float(models.expected_spend(gg, 1, 100))
    many = float(models.expected_spend(gg, 20, 100))
    assert population < one < many < 100


def test_a_fit_without_repeat_purchases_is_refused() -> None:
    with pytest.raises(models.FitError):
        models.fit_bgnbd(np.zeros(5), np.zeros(5), np.full(5, 10.0))
    with pytest.raises(models.FitError):
        models.fit_gamma_gamma(np.zeros(5), np.zeros(5))
