"""Issue 16: adjusted-Wald NPS/NEV intervals, their coverage, the no-spread difference,
Benjamini–Hochberg. Expected figures are computed here from the formulas in
docs/metrics.md, without the product's statistics module."""

from __future__ import annotations

import math
import random
from itertools import accumulate

import pytest

from surveyor.metrics.compare import benjamini_hochberg, compare_net
from surveyor.metrics.stats import emotion_from_distribution, nps_from_counts

Z = 1.959963984540054


def adjusted(promoters: int, passives: int, detractors: int, pseudo: float = 3.0):
    n = promoters + passives + detractors + pseudo
    p, d = (promoters + pseudo / 4) / n, (detractors + pseudo / 4) / n
    return p - d, (p + d - (p - d) ** 2) / n


def by_hand_interval(counts):
    """S̃ ± 1.96·SE within ±100, widened to hold the observed score (docs/metrics.md)."""
    centre, variance = adjusted(*counts)
    se = math.sqrt(variance)
    score = 100 * (counts[0] - counts[2]) / sum(counts)
    lo, hi = max(-100.0, 100 * (centre - Z * se)), min(100.0, 100 * (centre + Z * se))
    return min(lo, score), max(hi, score)


def test_the_worked_example_of_the_docs():
    # docs/metrics.md: 150 promoters of 150. Wald said [100, 100]; adjusted Wald:
    # p̃ = 150.75/153 = .98529, d̃ = .75/153 = .00490, S̃ = 98.04, SE = 1.377 → [95.34, 100]
    r = nps_from_counts(150, 0, 0)
    assert r.score == 100.0
    assert r.ci95 == pytest.approx((95.34, 100.0), abs=0.01)
    assert r.se == pytest.approx(1.377, abs=1e-3)
    # 5 promoters, 3 passives, 2 detractors (n = 10): [−19.05, 65.20] (Wald: [−18.4, 78.4])
    r = nps_from_counts(5, 3, 2)
    assert r.ci95 == pytest.approx(by_hand_interval((5, 3, 2)), abs=1e-9)
    assert r.ci95 == pytest.approx((-19.05, 65.20), abs=0.01)


@pytest.mark.parametrize(
    "counts", [(0, 0, 1), (1, 0, 0), (0, 1, 0), (7, 2, 1), (0, 0, 400), (123, 45, 67)]
)
def test_nps_and_nev_intervals_equal_the_formula_and_never_collapse(counts):
    r = nps_from_counts(*counts)
    assert r.ci95 == pytest.approx(by_hand_interval(counts), abs=1e-9)
    assert r.ci95[1] - r.ci95[0] > 0.5
    positive, neutral, negative = counts
    emotion = emotion_from_distribution({9: positive, 5: neutral, 2: negative})
    assert emotion.nev_ci95 == pytest.approx(by_hand_interval(counts), abs=1e-9)


def test_a_difference_with_no_spread_is_finite_and_documented():
    # docs/metrics.md: all promoters in both groups of 150 → 0 ± 2.74, z = 0, p = 1.
    same = compare_net((150, 0, 0), (150, 0, 0))
    assert same is not None
    c, v = adjusted(150, 0, 0, 1.5)
    assert same.se == pytest.approx(100 * math.sqrt(2 * v), abs=1e-9)
    assert same.ci95 == pytest.approx((-2.735, 2.735), abs=1e-3)
    assert (same.statistic, same.p_value, same.significant) == (0.0, 1.0, False)
    # 150 promoters against 150 detractors: certain, but with a finite z.
    flip = compare_net((150, 0, 0), (0, 0, 150))
    assert flip is not None and math.isfinite(flip.statistic) and flip.significant
    assert flip.statistic == pytest.approx(2 * c / math.sqrt(2 * v), abs=1e-9)


def test_difference_test_equals_the_formula():
    current, previous = (100, 60, 40), (100, 87, 63)
    c1, v1 = adjusted(*current, 1.5)
    c2, v2 = adjusted(*previous, 1.5)
    se = 100 * math.sqrt(v1 + v2)
    z = 100 * (c1 - c2) / se
    p = math.erfc(abs(z) / math.sqrt(2))
    r = compare_net(current, previous)
    assert r is not None
    assert r.statistic == pytest.approx(z, abs=1e-9)
    assert r.p_value == pytest.approx(p, abs=1e-9)
    assert r.ci95 == pytest.approx((100 * (c1 - c2) - Z * se, 100 * (c1 - c2) + Z * se))
    assert r.difference == pytest.approx(30.0 - 100 * 37 / 250)


# -- coverage --------------------------------------------------------------------------

TRUE_DISTRIBUTIONS = [  # (share of promoters, share of detractors)
    (0.33, 0.33),
    (0.5, 0.2),
    (0.7, 0.1),
    (0.2, 0.5),
    (0.8, 0.05),
    (0.9, 0.05),
]


def _outcomes(n: int, promoters: float, detractors: float):
    """Every (P, passive, D) of n answers with its multinomial probability (exact)."""
    passives = 1 - promoters - detractors
    logs = [math.log(x) for x in (promoters, passives, detractors)]
    found, weights = [], []
    for p in range(n + 1):
        for d in range(n - p + 1):
            m = n - p - d
            log_w = (
                math.lgamma(n + 1)
                - math.lgamma(p + 1)
                - math.lgamma(m + 1)
                - math.lgamma(d + 1)
                + p * logs[0]
                + m * logs[1]
                + d * logs[2]
            )
            found.append((p, m, d))
            weights.append(math.exp(log_w))
    return found, weights


@pytest.mark.parametrize("n", [20, 50, 200])
def test_the_95_interval_covers_the_true_nps_in_93_to_97_percent_of_samples(n):
    """10,000 simulated samples per true distribution (fixed seed): drawn from the exact
    multinomial distribution of (promoters, passives, detractors) by inverse transform,
    which is the same as drawing n answers each, and much faster without numpy."""
    rng = random.Random(16_000 + n)
    for promoters, detractors in TRUE_DISTRIBUTIONS:
        truth = 100 * (promoters - detractors)
        outcomes, weights = _outcomes(n, promoters, detractors)
        cumulative = list(accumulate(weights))
        samples = rng.choices(outcomes, cum_weights=cumulative, k=10_000)
        covers: dict[tuple[int, int, int], bool] = {}
        hits = 0
        for counts in samples:
            if counts not in covers:
                lo, hi = nps_from_counts(*counts).ci95  # type: ignore[misc]
                covers[counts] = lo <= truth <= hi
            hits += covers[counts]
        coverage = hits / 10_000
        assert 0.93 <= coverage <= 0.97, (n, promoters, detractors, coverage)


# -- multiple comparisons --------------------------------------------------------------


def test_benjamini_hochberg_by_hand():
    # m = 8, q = .05: thresholds k·.00625; only the two smallest pass (.008 ≤ .0125).
    ps = [0.041, 0.001, 0.039, 0.008, 0.042, 0.06, 0.074, 0.205]
    assert benjamini_hochberg(ps) == [False, True, False, True, False, False, False, False]
    # Step-up: .04 ≤ 4·.05/4 lets every smaller one through, even .03 > 2·.0125.
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == [True, True, True, True]
    assert benjamini_hochberg([None, 0.5, 0.001]) == [False, False, True]
    assert benjamini_hochberg([]) == []
