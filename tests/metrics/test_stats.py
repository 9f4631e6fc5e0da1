"""The key scores against worked examples, hand-computed tables and brute force."""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyor.metrics import distributions as dist
from surveyor.metrics.compare import (
    compare_means,
    compare_net,
    compare_nev,
    compare_nps,
    compare_proportions,
    mean_stats,
)
from surveyor.metrics.stats import (
    ces_from_distribution,
    ces_from_moments,
    csat_from_distribution,
    emotion_from_distribution,
    mean_from_moments,
    metrics_payload,
    moments_from_distribution,
    net_score,
    nps_from_counts,
    nps_from_distribution,
    too_small,
    wilson,
)

# -- the worked examples of the issue and docs/metrics.md ----------------------------


def test_nps_two_periods_worked_example_is_significant():
    current = nps_from_counts(promoters=100, passives=60, detractors=40)
    previous = nps_from_counts(promoters=100, passives=87, detractors=63)
    assert current.score == pytest.approx(30.0)
    assert previous.score == pytest.approx(14.8)
    result = compare_nps(current, previous)
    assert result is not None
    # Adjusted Wald (1.5 pseudo-answers per group, docs/metrics.md): z = 15.065 / 7.4359
    assert result.statistic == pytest.approx(2.026, abs=0.001)
    assert result.se == pytest.approx(7.4359, abs=1e-4)
    assert result.p_value == pytest.approx(0.0428, abs=1e-4)
    assert result.significant
    assert result.difference == pytest.approx(15.2)
    # The same change with half the answers is not significant.
    half = compare_nps(nps_from_counts(50, 30, 20), nps_from_counts(50, 43, 32))
    assert half is not None and not half.significant


def test_nps_standard_error_and_interval_by_hand():
    # Adjusted Wald: p̃ = 50.75/103, d̃ = 20.75/103, S̃ = 29.1262;
    # SE = 100·√((p̃ + d̃ − (p̃ − d̃)²)/103) = 7.6915; margin 1.96·SE = 15.0751
    r = nps_from_counts(50, 30, 20)
    assert r.score == pytest.approx(30.0)
    assert r.se == pytest.approx(7.69151, abs=1e-5)
    assert r.ci95 == pytest.approx((14.0511, 44.2013), abs=1e-4)
    assert r.warning is None


@pytest.mark.parametrize(
    ("counts", "score", "ci95"),
    [
        # no spread: the adjusted interval does not collapse (Wald gave [100, 100])
        ((10, 0, 0), 100.0, (47.50, 100.0)),
        ((0, 0, 10), -100.0, (-100.0, -47.50)),
        ((1, 0, 1), 0.0, (-73.34, 73.34)),  # p̃ = d̃ = 1.75/5: SE = 37.42
        ((0, 5, 0), 0.0, (-30.01, 30.01)),  # p̃ = d̃ = .75/8: SE = 15.31
        ((3, 4, 3), 0.0, (-41.29, 41.29)),  # p̃ = d̃ = 3.75/13: SE = 21.07
    ],
)
def test_nps_table(counts, score, ci95):
    r = nps_from_counts(*counts)
    assert r.score == pytest.approx(score)
    assert r.ci95 == pytest.approx(ci95, abs=0.01)
    assert r.n == sum(counts)


def test_nps_skips_are_excluded_from_n():
    r = nps_from_distribution({10: 3, 9: 1, 8: 2, 7: 0, 6: 1, 0: 3, None: 40})
    assert r.n == 10
    assert (r.promoters, r.passives, r.detractors) == (4, 2, 4)
    assert r.score == pytest.approx(0.0)


def test_nps_without_answers_says_so():
    r = nps_from_counts(0, 0, 0)
    assert (r.score, r.se, r.ci95, r.warning) == (None, None, None, "no_data")


def test_scores_outside_the_scale_and_negative_counts_are_refused():
    with pytest.raises(ValueError, match="nps"):
        nps_from_distribution({11: 1})
    with pytest.raises(ValueError, match="ces"):
        ces_from_distribution({0: 1})
    with pytest.raises(ValueError):
        nps_from_counts(-1, 0, 0)


@pytest.mark.parametrize(
    ("n", "warning"),
    [
        (0, "no_data"),
        (1, "too_few"),
        (29, "too_few"),
        (30, "wide_interval"),
        (99, "wide_interval"),
        (100, None),
        (10_000, None),
    ],
)
def test_too_small_thresholds(n, warning):
    assert too_small(n) == warning


# -- proportions and means ------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (5, 10, (0.2366, 0.7634)),
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        (1, 1, (0.2065, 1.0)),
        (81, 263, (0.2553, 0.3662)),
    ],
)
def test_wilson_table(successes, n, expected):
    assert wilson(successes, n) == pytest.approx(expected, abs=1e-4)


def test_wilson_without_answers_is_none():
    assert wilson(0, 0) is None


def test_mean_t_interval_by_hand():
    # 1..5: mean 3, s = √2.5, SE = √0.5, t(0.975, 4) = 2.776445 → margin 1.963243
    m = mean_from_moments(5, 15, 55)
    assert m.mean == 3
    assert m.sd == pytest.approx(math.sqrt(2.5))
    assert m.ci95 == pytest.approx((1.036757, 4.963243), abs=1e-6)


def test_mean_of_identical_scores_has_a_zero_width_interval():
    m = mean_from_moments(4, 28, 196)
    assert (m.mean, m.sd, m.ci95) == (7, 0.0, (7.0, 7.0))


def test_mean_of_one_answer_has_no_interval():
    m = mean_from_moments(1, 4, 16)
    assert (m.mean, m.ci95) == (4, None)


def test_ces_is_a_labelled_mean_and_a_labelled_share_easy():
    r = ces_from_distribution({1: 1, 3: 1, 5: 2, 7: 1, None: 3})
    assert r.n == 5
    assert r.mean == pytest.approx(4.2)
    assert r.easy == 3 and r.pct_easy == pytest.approx(60.0)
    assert r.pct_easy_ci95 == pytest.approx((23.07, 88.24), abs=0.01)
    assert r.mean_label == "mean effort score, 1–7 (7 = easiest)"
    assert r.pct_easy_label == "% easy (5–7)"
    assert r.ci95 is not None and 1.0 <= r.ci95[0] <= r.ci95[1] <= 7.0
    assert r.warning == "too_few"


def test_ces_from_moments_matches_the_distribution():
    counts = {1: 3, 2: 5, 3: 10, 4: 20, 5: 30, 6: 20, 7: 12}
    m = moments_from_distribution(counts)
    assert ces_from_moments(m.n, m.total, m.total_sq, easy=62) == ces_from_distribution(counts)


def test_csat_percent_satisfied_with_wilson_and_mean():
    r = csat_from_distribution({5: 30, 4: 20, 3: 25, 2: 15, 1: 10})
    assert r.n == 100 and r.satisfied == 50
    assert r.pct_satisfied == pytest.approx(50.0)
    assert r.ci95 == pytest.approx((40.38, 59.62), abs=0.01)
    assert r.mean == pytest.approx(3.45)
    assert r.pct_label == "% satisfied (4–5)"


def test_emotion_mean_and_nev_with_default_thresholds():
    # 40 positive (8–10), 40 neutral, 20 negative (1–3): NEV 20, SE = 100·√((.6 − .04)/100)
    r = emotion_from_distribution({9: 40, 5: 40, 2: 20})
    assert r.nev == pytest.approx(20.0)
    # adjusted Wald: p̃ = 40.75/103, d̃ = 20.75/103
    assert r.nev_se == pytest.approx(7.3695, abs=1e-4)
    assert r.nev_ci95 == pytest.approx((4.974, 33.861), abs=1e-3)
    assert r.mean == pytest.approx((9 * 40 + 5 * 40 + 2 * 20) / 100)
    assert r.nev_label == "NEV: % positive (8–10) − % negative (1–3)"


def test_emotion_thresholds_are_configurable():
    r = emotion_from_distribution({7: 5, 4: 5}, positive_min=7, negative_max=4)
    assert (r.positive, r.negative, r.nev) == (5, 5, 0.0)
    with pytest.raises(ValueError):
        emotion_from_distribution({7: 1}, positive_min=5, negative_max=5)


# -- significance between periods ----------------------------------------------------


def test_two_proportion_z_test_by_hand():
    # pooled .525: SE = 100·√(.525·.475·(2/100)) = 7.0622; z = 15 / 7.0622 = 2.124
    r = compare_proportions(60, 100, 45, 100)
    assert r is not None
    assert r.statistic == pytest.approx(2.1240, abs=1e-4)
    assert r.p_value == pytest.approx(0.0337, abs=1e-4)
    assert r.significant
    assert compare_proportions(1, 0, 1, 1) is None


def test_welch_t_test_by_hand():
    # v = 1/10 + 4/20 = .3; t = 1/√.3 = 1.8257; df = .09 / (.01/9 + .04/19) = 27.98
    a = mean_from_moments(10, 50, 9 * 1 + 10 * 25)  # Σx² = (n − 1)s² + n·mean²: mean 5, s = 1
    b = mean_from_moments(20, 80, 4 * 19 + 20 * 16)  # mean 4, s = 2
    assert a.sd == pytest.approx(1.0) and b.sd == pytest.approx(2.0)
    r = compare_means(a, b)
    assert r is not None
    assert r.statistic == pytest.approx(1.8257, abs=1e-4)
    assert r.df == pytest.approx(27.98, abs=0.01)
    assert r.p_value == pytest.approx(0.0786, abs=1e-3)
    assert not r.significant


def test_comparisons_need_answers_on_both_sides():
    empty = nps_from_counts(0, 0, 0)
    assert compare_nps(empty, nps_from_counts(1, 1, 1)) is None
    assert compare_means(mean_from_moments(1, 3, 9), mean_from_moments(5, 15, 55)) is None


def test_comparing_results_of_ces_csat_and_emotion():
    before = emotion_from_distribution({9: 20, 5: 50, 2: 30})
    after = emotion_from_distribution({9: 45, 5: 40, 2: 15})
    nev = compare_nev(after, before)
    assert nev is not None and nev.significant and nev.difference == pytest.approx(40.0)
    means = compare_means(mean_stats(after), mean_stats(before))
    assert means is not None and means.significant and means.difference > 0
    csat = csat_from_distribution({5: 3, 1: 3})
    assert mean_stats(csat).ci95 == csat.mean_ci95


def test_no_spread_on_either_side():
    same = compare_net((10, 0, 0), (10, 0, 0))
    assert same is not None and (same.statistic, same.p_value, same.significant) == (
        0.0,
        1.0,
        False,
    )
    # Finite with no spread (adjusted Wald): S̃ = ±86.96 from 10.375/11.5 and .375/11.5
    other = compare_net((10, 0, 0), (0, 0, 10))
    assert other is not None and other.significant
    assert other.statistic == pytest.approx(9.8668, abs=1e-4)
    assert other.se == pytest.approx(17.6260, abs=1e-4)
    assert other.ci95 == pytest.approx((139.37, 200.0), abs=0.01)
    assert other.difference == pytest.approx(200.0)


# -- the t distribution against printed tables ---------------------------------------


@pytest.mark.parametrize(
    ("df", "conf", "value"),
    [
        (1, 0.95, 12.7062),
        (2, 0.95, 4.3027),
        (3, 0.95, 3.1824),
        (5, 0.95, 2.5706),
        (10, 0.95, 2.2281),
        (20, 0.95, 2.0860),
        (29, 0.95, 2.0452),
        (30, 0.95, 2.0423),
        (60, 0.95, 2.0003),
        (120, 0.95, 1.9799),
        (1, 0.99, 63.6567),
        (10, 0.99, 3.1693),
        (30, 0.99, 2.7500),
        (10, 0.90, 1.8125),
    ],
)
def test_t_quantile_matches_the_table(df, conf, value):
    assert dist.t_quantile(conf, df) == pytest.approx(value, abs=1e-4)


def test_t_tends_to_the_normal():
    assert dist.t_quantile(0.95, 1e9) == pytest.approx(1.959964, abs=1e-6)
    assert dist.t_quantile(0.95, math.inf) == pytest.approx(1.959964, abs=1e-6)


@pytest.mark.parametrize("df", [1, 2.5, 7, 28, 200])
@pytest.mark.parametrize("t", [0.3, 1.0, 2.0, 4.5])
def test_t_p_value_agrees_with_numerical_integration(df, t):
    # Independent check: Simpson's rule over the density from 0 to t.
    steps = 2000
    h = t / steps
    area = dist.t_pdf(0, df) + dist.t_pdf(t, df)
    area += sum((4 if i % 2 else 2) * dist.t_pdf(i * h, df) for i in range(1, steps))
    assert dist.t_two_sided_p(t, df) == pytest.approx(1 - 2 * area * h / 3, abs=1e-9)


def test_quantile_and_p_value_are_inverse():
    for df in (1, 3, 9.5, 40):
        assert dist.t_two_sided_p(dist.t_quantile(0.95, df), df) == pytest.approx(0.05, abs=1e-7)


# -- API shape -----------------------------------------------------------------------


def test_payload_has_the_documented_shape_and_is_json():
    payload = metrics_payload(
        nps=nps_from_counts(100, 60, 40),
        ces=ces_from_distribution({6: 10, 2: 5}),
        csat=csat_from_distribution({5: 4, 1: 1}),
        emotion=emotion_from_distribution({9: 3, 1: 1}),
    )
    assert payload["nps"] == {
        "score": 30.0,
        "n": 200,
        "promoters": 100,
        "passives": 60,
        "detractors": 40,
        "se": 5.5,
        "ci95": [18.8, 40.3],
        "warning": None,
    }
    assert {"mean", "pct_easy", "n", "ci95"} <= payload["ces"].keys()
    assert {"mean", "nev", "n", "ci95"} <= payload["emotion"].keys()
    assert payload["csat"]["warning"] == "too_few"
    assert json.loads(json.dumps(payload)) == payload


# -- properties -----------------------------------------------------------------------

nps_answers = st.lists(st.one_of(st.none(), st.integers(0, 10)), max_size=300)


@given(nps_answers)
def test_nps_equals_a_brute_force_count_and_stays_in_range(answers):
    r = nps_from_distribution(Counter(answers))
    scored = [a for a in answers if a is not None]
    assert r.n == len(scored)
    if not scored:
        assert r.score is None
        return
    brute = 100 * (sum(a >= 9 for a in scored) - sum(a <= 6 for a in scored)) / len(scored)
    assert r.score == pytest.approx(brute, abs=1e-9)
    assert -100 <= r.score <= 100
    assert r.ci95 is not None
    assert -100 <= r.ci95[0] <= r.score <= r.ci95[1] <= 100


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_wilson_stays_within_0_1_and_contains_the_share(successes, failures):
    n = successes + failures
    ci = wilson(successes, n)
    if n == 0:
        assert ci is None
        return
    assert ci is not None
    assert 0.0 <= ci[0] <= successes / n <= ci[1] <= 1.0


@given(st.lists(st.integers(1, 7), min_size=2, max_size=200))
def test_mean_matches_the_statistics_module_and_its_interval_contains_it(scores):
    m = moments_from_distribution(Counter(scores))
    r = mean_from_moments(m.n, m.total, m.total_sq, scale=(1, 7))
    assert r.mean == pytest.approx(statistics.fmean(scores))
    assert r.sd == pytest.approx(statistics.stdev(scores), abs=1e-9)
    assert r.ci95 is not None and 1 <= r.ci95[0] <= r.mean <= r.ci95[1] <= 7


@given(
    st.tuples(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500)),
    st.tuples(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500)),
)
@settings(max_examples=200)
def test_net_score_comparison_is_antisymmetric(a, b):
    ab, ba = compare_net(a, b), compare_net(b, a)
    if sum(a) == 0 or sum(b) == 0:
        assert ab is None and ba is None
        return
    assert ab is not None and ba is not None
    assert ab.statistic == pytest.approx(-ba.statistic)
    assert ab.p_value == pytest.approx(ba.p_value)
    assert 0.0 <= ab.p_value <= 1.0
    score, _, ci = net_score(*a)
    assert ci is not None and score is not None and ci[0] <= score <= ci[1]
