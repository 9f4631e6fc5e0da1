"""Is the change between two periods real? Significance tests for the key scores.

Each test compares ``current`` against ``previous`` (a period and the one before,
or after and before a change marker) and reports the difference (current −
previous), its interval, the test statistic, a two-sided p-value and whether it
is significant at the chosen confidence. None means "cannot compare": one side
has no answers (or, for means, fewer than two).

- NPS and NEV: the trinomial difference z-test, on adjusted-Wald scores (so no
  spread on both sides still gives a finite answer).
- Proportions (% satisfied, % easy): the classic pooled two-proportion z-test.
- Means (CES, CSAT, emotion): Welch's t-test, which does not assume equal variances.
"""

from __future__ import annotations

import math
from typing import Literal

import msgspec

from surveyor.metrics import stats
from surveyor.metrics.distributions import (
    normal_two_sided_p,
    t_quantile,
    t_two_sided_p,
    z_quantile,
)
from surveyor.metrics.models import (
    CesResult,
    CsatResult,
    EmotionResult,
    Interval,
    MeanStats,
    NpsResult,
)

Method = Literal["net_score_z", "two_proportion_z", "welch_t"]


class Comparison(msgspec.Struct, frozen=True, kw_only=True):
    method: Method
    current: float
    previous: float
    difference: float
    ci95: Interval
    se: float
    statistic: float
    df: float | None
    p_value: float
    significant: bool
    confidence: float


def _z_result(
    method: Method,
    current: float,
    previous: float,
    se_test: float,
    se_interval: float,
    confidence: float,
) -> Comparison:
    difference = current - previous
    statistic = _ratio(difference, se_test)
    p_value = normal_two_sided_p(statistic)
    margin = z_quantile(confidence) * se_interval
    return Comparison(
        method=method,
        current=current,
        previous=previous,
        difference=difference,
        ci95=(difference - margin, difference + margin),
        se=se_test,
        statistic=statistic,
        df=None,
        p_value=p_value,
        significant=p_value < 1 - confidence,
        confidence=confidence,
    )


def _ratio(difference: float, se: float) -> float:
    # With no spread at all (everyone answered 10 twice) any difference is certain.
    if se > 0:
        return difference / se
    return 0.0 if difference == 0 else math.copysign(math.inf, difference)


def compare_net(
    current: tuple[int, int, int], previous: tuple[int, int, int], confidence: float = 0.95
) -> Comparison | None:
    """Two "% positive − % negative" scores, each given as (positive, neutral, negative).

    The trinomial difference test on adjusted-Wald scores (stats.adjusted_net with
    1.5 pseudo-answers per group): z = (S̃₁ − S̃₂)/√(var̃₁/ñ₁ + var̃₂/ñ₂), and the
    interval is S̃₁ − S̃₂ ± z·SE, so "significant" and "the interval excludes 0" always
    agree and two groups with no spread give a finite z. ``difference`` is the plain
    S₁ − S₂. Worked example (docs/metrics.md): 100/60/40 of 200 (NPS 30.0) against
    100/87/63 of 250 (NPS 14.8) gives z = 2.03, p = 0.043: significant at 95 %.
    """
    sides = []
    for positive, neutral, negative in (current, previous):
        if min(positive, neutral, negative) < 0:
            raise ValueError("counts must be >= 0")
        n = positive + neutral + negative
        if n == 0:
            return None
        centre, variance, n_adj = stats.adjusted_net(
            positive, neutral, negative, stats.NET_PSEUDO_DIFFERENCE
        )
        sides.append((100 * (positive - negative) / n, 100 * centre, 100 * 100 * variance / n_adj))
    (s1, c1, v1), (s2, c2, v2) = sides
    se = math.sqrt(v1 + v2)
    statistic = (c1 - c2) / se
    p_value = normal_two_sided_p(statistic)
    margin = z_quantile(confidence) * se
    return Comparison(
        method="net_score_z",
        current=s1,
        previous=s2,
        difference=s1 - s2,
        # A difference of two scores on −100…100 lies within ±200.
        ci95=(max(-200.0, c1 - c2 - margin), min(200.0, c1 - c2 + margin)),
        se=se,
        statistic=statistic,
        df=None,
        p_value=p_value,
        significant=p_value < 1 - confidence,
        confidence=confidence,
    )


def compare_nps(
    current: NpsResult, previous: NpsResult, confidence: float = 0.95
) -> Comparison | None:
    return compare_net(
        (current.promoters, current.passives, current.detractors),
        (previous.promoters, previous.passives, previous.detractors),
        confidence,
    )


def compare_nev(
    current: EmotionResult, previous: EmotionResult, confidence: float = 0.95
) -> Comparison | None:
    return compare_net(
        (current.positive, current.neutral, current.negative),
        (previous.positive, previous.neutral, previous.negative),
        confidence,
    )


def compare_proportions(
    current_successes: int,
    current_n: int,
    previous_successes: int,
    previous_n: int,
    confidence: float = 0.95,
) -> Comparison | None:
    """Two-proportion z-test on percentages (0–100), e.g. % satisfied this month vs last.

    The test uses the pooled proportion (the null hypothesis says they are equal);
    the interval of the difference uses the unpooled SE, as is conventional.
    """
    if current_n == 0 or previous_n == 0:
        return None
    if not (0 <= current_successes <= current_n and 0 <= previous_successes <= previous_n):
        raise ValueError("successes must be within [0, n]")
    p1, p2 = current_successes / current_n, previous_successes / previous_n
    pooled = (current_successes + previous_successes) / (current_n + previous_n)
    se_test = 100 * math.sqrt(pooled * (1 - pooled) * (1 / current_n + 1 / previous_n))
    se_interval = 100 * math.sqrt(p1 * (1 - p1) / current_n + p2 * (1 - p2) / previous_n)
    return _z_result("two_proportion_z", 100 * p1, 100 * p2, se_test, se_interval, confidence)


def compare_means(
    current: MeanStats, previous: MeanStats, confidence: float = 0.95
) -> Comparison | None:
    """Welch's t-test: t = (m₁ − m₂)/√(s₁²/n₁ + s₂²/n₂), Welch–Satterthwaite df."""
    if current.n < 2 or previous.n < 2:
        return None
    assert current.mean is not None and previous.mean is not None
    assert current.sd is not None and previous.sd is not None
    v1 = current.sd**2 / current.n
    v2 = previous.sd**2 / previous.n
    se = math.sqrt(v1 + v2)
    difference = current.mean - previous.mean
    statistic = _ratio(difference, se)
    if se > 0:
        df = (v1 + v2) ** 2 / (v1**2 / (current.n - 1) + v2**2 / (previous.n - 1))
        p_value = t_two_sided_p(statistic, df)
        margin = t_quantile(confidence, df) * se
    else:
        df = float(current.n + previous.n - 2)
        p_value = 1.0 if difference == 0 else 0.0
        margin = 0.0
    return Comparison(
        method="welch_t",
        current=current.mean,
        previous=previous.mean,
        difference=difference,
        ci95=(difference - margin, difference + margin),
        se=se,
        statistic=statistic,
        df=df,
        p_value=p_value,
        significant=p_value < 1 - confidence,
        confidence=confidence,
    )


def mean_stats(result: CesResult | CsatResult | EmotionResult) -> MeanStats:
    """The mean part of a CES, CSAT or emotion result, for compare_means."""
    ci = result.mean_ci95 if isinstance(result, CsatResult) else result.ci95
    se = None if result.sd is None or result.n == 0 else result.sd / math.sqrt(result.n)
    return MeanStats(n=result.n, mean=result.mean, sd=result.sd, se=se, ci95=ci)


def benjamini_hochberg(p_values: list[float | None], q: float = 0.05) -> list[bool]:
    """Which of many tests stay significant with the false discovery rate held at ``q``.

    Benjamini–Hochberg step-up: sort the m p-values, find the largest rank k with
    p₍ₖ₎ ≤ k·q/m, and flag the k smallest. None (no comparison) is not a test.
    """
    ranked = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(ranked)
    cut = 0
    for rank, (p, _) in enumerate(ranked, start=1):
        if p <= rank * q / m:
            cut = rank
    flagged = {i for _, i in ranked[:cut]}
    return [i in flagged for i in range(len(p_values))]
