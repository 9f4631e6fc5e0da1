"""Pure statistics for the key scores: NPS, CES, CSAT and emotion, each with n and a 95 % interval.

Why this shape: the SQL layer aggregates in the database (``count``, ``sum``,
``sum(x*x)``, ``sum(CASE WHEN …)`` or ``GROUP BY score``) and hands the few
numbers to these functions, so no response is ever loaded into Python to compute
a metric. Every function therefore takes counts or moments, never raw scores;
``*_from_distribution`` accepts the ``{score: count}`` of a ``GROUP BY``.

Every result is a frozen Struct carrying its n, its interval and, when n is small,
a warning code, so no caller can show a score without its uncertainty. The
formulas, thresholds and worked examples are written down in docs/metrics.md.
Percentages are on a 0–100 scale, NPS and NEV on −100…100; nothing is rounded here
(``metrics_payload`` rounds for the API).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import msgspec

from surveyor.metrics.distributions import t_quantile, z_quantile
from surveyor.metrics.models import (
    CesResult,
    CsatResult,
    EmotionResult,
    Interval,
    MeanStats,
    Moments,
    NpsResult,
    SampleWarning,
)

# The scale of each key score and the cut-offs of its classes (DESIGN.md §5).
SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "ces": (1, 7),
    "csat": (1, 5),
    "emotion": (1, 10),
}
PROMOTER_MIN = 9
DETRACTOR_MAX = 6
CES_EASY_MIN = 5
CSAT_SATISFIED_MIN = 4
EMOTION_POSITIVE_MIN = 8
EMOTION_NEGATIVE_MAX = 3

# Below TOO_FEW_BELOW the worst-case NPS margin is wider than ±36 points and the
# normal approximations behind the intervals are shaky: the number says nothing.
# Below WIDE_BELOW the worst case is still wider than ±20 points: shown, but flagged.
TOO_FEW_BELOW = 30
WIDE_BELOW = 100
WARNING_TEXT: dict[str, str] = {
    "no_data": "no responses yet",
    "too_few": "too few responses to say anything",
    "wide_interval": "few responses: the interval is wide",
}


def too_small(n: int) -> SampleWarning | None:
    """The warning a score with ``n`` responses must carry, or None when n is enough."""
    if n <= 0:
        return "no_data"
    if n < TOO_FEW_BELOW:
        return "too_few"
    if n < WIDE_BELOW:
        return "wide_interval"
    return None


# -- building blocks -----------------------------------------------------------------


def wilson(successes: int, n: int, confidence: float = 0.95) -> Interval | None:
    """Wilson score interval of a proportion, within [0, 1]; None when n is 0.

    Wilson rather than p ± z·SE because it stays inside [0, 1] and keeps its
    coverage near 0 % and 100 %, where satisfaction scores often sit.
    """
    _check_counts(successes, n - successes)
    if n == 0:
        return None
    z = z_quantile(confidence)
    p = successes / n
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / n + z2n / (4 * n))
    # Exact ends at 0 and n: rounding must not claim a 1e-17 chance of the impossible.
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return (min(lo, p), max(hi, p))


def mean_from_moments(
    n: int,
    total: float,
    total_sq: float,
    *,
    scale: tuple[float, float] | None = None,
    confidence: float = 0.95,
) -> MeanStats:
    """Mean with a Student-t interval from ``count, sum, sum of squares``.

    The interval is clipped to ``scale`` (e.g. 1–7) when given: with few answers
    the t-interval can reach past the ends of the scale, which no mean can.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return MeanStats(n=0, mean=None, sd=None, se=None, ci95=None)
    mean = total / n
    if n == 1:
        return MeanStats(n=1, mean=mean, sd=None, se=None, ci95=None)
    # n·Σx² − (Σx)² is exact with integer sums, so no cancellation when all scores are equal.
    variance = max(0.0, (n * total_sq - total * total) / (n * (n - 1)))
    sd = math.sqrt(variance)
    se = sd / math.sqrt(n)
    margin = t_quantile(confidence, n - 1) * se
    lo, hi = mean - margin, mean + margin
    if scale is not None:
        lo, hi = max(lo, float(scale[0])), min(hi, float(scale[1]))
    return MeanStats(n=n, mean=mean, sd=sd, se=se, ci95=(min(lo, mean), max(hi, mean)))


# Pseudo-answers added to a net score before its interval (adjusted Wald, Sauro & Lewis;
# Rocks 2016): a quarter of them promoters, a quarter detractors, half passives, so the
# centre moves towards 0 and the interval keeps its width at ±100 and small n.
# A difference of two scores adds half as many to each group (the Agresti–Caffo analogue).
NET_PSEUDO = 3.0
NET_PSEUDO_DIFFERENCE = 1.5


def adjusted_net(
    positive: int, neutral: int, negative: int, pseudo: float = NET_PSEUDO
) -> tuple[float, float, float]:
    """(adjusted score as a fraction −1…1, its variance per answer, adjusted n).

    p̃ = (positive + pseudo/4)/(n + pseudo), d̃ = (negative + pseudo/4)/(n + pseudo),
    variance = p̃ + d̃ − (p̃ − d̃)²; never 0, so no interval or test collapses.
    """
    _check_counts(positive, neutral, negative)
    n_adj = positive + neutral + negative + pseudo
    p = (positive + pseudo / 4) / n_adj
    d = (negative + pseudo / 4) / n_adj
    return p - d, max(0.0, p + d - (p - d) ** 2), n_adj


def net_score(
    positive: int, neutral: int, negative: int, confidence: float = 0.95
) -> tuple[float | None, float | None, Interval | None]:
    """A "% positive − % negative" score (NPS, NEV) with its SE and interval, on −100…100.

    Each answer scores +1, 0 or −1; the score is their mean. The interval is the
    adjusted-Wald interval (:func:`adjusted_net`): S̃ ± z·100·√(var̃/ñ), clipped to
    ±100; SE is that interval's standard error. Worked example in docs/metrics.md.
    """
    _check_counts(positive, neutral, negative)
    n = positive + neutral + negative
    if n == 0:
        return None, None, None
    score = 100 * (positive - negative) / n
    centre, variance, n_adj = adjusted_net(positive, neutral, negative)
    se = 100 * math.sqrt(variance / n_adj)
    margin = z_quantile(confidence) * se
    lo = max(-100.0, 100 * centre - margin)
    hi = min(100.0, 100 * centre + margin)
    return score, se, (min(lo, score), max(hi, score))


def moments_from_distribution(counts: Mapping[int | None, int]) -> Moments:
    """``{score: count}`` → (n, Σx, Σx²); the None key (a skipped question) is ignored."""
    n = total = total_sq = 0
    for score, count in counts.items():
        if score is None:
            continue
        _check_counts(count)
        n += count
        total += score * count
        total_sq += score * score * count
    return Moments(n, total, total_sq)


def count_between(counts: Mapping[int | None, int], low: int, high: int) -> int:
    """How many answers lie in [low, high]; skips (None) never count."""
    return sum(c for s, c in counts.items() if s is not None and low <= s <= high)


def _check_scale(counts: Mapping[int | None, int], kind: str) -> None:
    low, high = SCALES[kind]
    for score in counts:
        if score is not None and not low <= score <= high:
            raise ValueError(f"{kind}: score {score} outside {low}–{high}")


def _check_counts(*counts: int) -> None:
    if any(c < 0 for c in counts):
        raise ValueError("counts must be >= 0")


def _pct(part: int, n: int) -> float | None:
    return None if n == 0 else 100 * part / n


def _pct_interval(successes: int, n: int) -> Interval | None:
    ci = wilson(successes, n)
    return None if ci is None else (100 * ci[0], 100 * ci[1])


# -- the four key scores ------------------------------------------------------------


def nps_from_counts(promoters: int, passives: int, detractors: int) -> NpsResult:
    """NPS = % promoters (9–10) − % detractors (0–6); skipped answers are not in any count."""
    score, se, ci = net_score(promoters, passives, detractors)
    n = promoters + passives + detractors
    return NpsResult(
        score=score,
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        se=se,
        ci95=ci,
        warning=too_small(n),
    )


def nps_from_distribution(counts: Mapping[int | None, int]) -> NpsResult:
    _check_scale(counts, "nps")
    return nps_from_counts(
        count_between(counts, PROMOTER_MIN, 10),
        count_between(counts, DETRACTOR_MAX + 1, PROMOTER_MIN - 1),
        count_between(counts, 0, DETRACTOR_MAX),
    )


def ces_from_moments(
    n: int, total: float, total_sq: float, easy: int, *, easy_min: int = CES_EASY_MIN
) -> CesResult:
    """CES as a mean (1–7, 7 = easiest) and as % easy (``easy_min``–7), both labelled."""
    m = mean_from_moments(n, total, total_sq, scale=SCALES["ces"])
    high = SCALES["ces"][1]
    return CesResult(
        mean=m.mean,
        pct_easy=_pct(easy, n),
        n=n,
        ci95=m.ci95,
        pct_easy_ci95=_pct_interval(easy, n),
        easy=easy,
        sd=m.sd,
        mean_label=f"mean effort score, 1–{high} ({high} = easiest)",
        pct_easy_label=f"% easy ({easy_min}–{high})",
        warning=too_small(n),
    )


def ces_from_distribution(
    counts: Mapping[int | None, int], *, easy_min: int = CES_EASY_MIN
) -> CesResult:
    _check_scale(counts, "ces")
    m = moments_from_distribution(counts)
    easy = count_between(counts, easy_min, SCALES["ces"][1])
    return ces_from_moments(m.n, m.total, m.total_sq, easy, easy_min=easy_min)


def csat_from_moments(
    n: int,
    total: float,
    total_sq: float,
    satisfied: int,
    *,
    satisfied_min: int = CSAT_SATISFIED_MIN,
) -> CsatResult:
    """CSAT as % satisfied (``satisfied_min``–5) with a Wilson interval, and its mean."""
    m = mean_from_moments(n, total, total_sq, scale=SCALES["csat"])
    high = SCALES["csat"][1]
    return CsatResult(
        pct_satisfied=_pct(satisfied, n),
        n=n,
        ci95=_pct_interval(satisfied, n),
        satisfied=satisfied,
        mean=m.mean,
        mean_ci95=m.ci95,
        sd=m.sd,
        pct_label=f"% satisfied ({satisfied_min}–{high})",
        mean_label=f"mean satisfaction, 1–{high}",
        warning=too_small(n),
    )


def csat_from_distribution(
    counts: Mapping[int | None, int], *, satisfied_min: int = CSAT_SATISFIED_MIN
) -> CsatResult:
    _check_scale(counts, "csat")
    m = moments_from_distribution(counts)
    satisfied = count_between(counts, satisfied_min, SCALES["csat"][1])
    return csat_from_moments(m.n, m.total, m.total_sq, satisfied, satisfied_min=satisfied_min)


def emotion_from_moments(
    n: int,
    total: float,
    total_sq: float,
    positive: int,
    negative: int,
    *,
    positive_min: int = EMOTION_POSITIVE_MIN,
    negative_max: int = EMOTION_NEGATIVE_MAX,
) -> EmotionResult:
    """Emotion mean (1–10) with a t-interval, and NEV = % positive − % negative.

    ``positive``/``negative`` are the counts at or above ``positive_min`` and at or
    below ``negative_max`` (the thresholds only name them here; the caller counted).
    """
    if negative_max >= positive_min:
        raise ValueError("negative_max must be below positive_min")
    neutral = n - positive - negative
    nev, nev_se, nev_ci = net_score(positive, neutral, negative)
    m = mean_from_moments(n, total, total_sq, scale=SCALES["emotion"])
    high = SCALES["emotion"][1]
    return EmotionResult(
        mean=m.mean,
        nev=nev,
        n=n,
        ci95=m.ci95,
        nev_ci95=nev_ci,
        nev_se=nev_se,
        positive=positive,
        neutral=neutral,
        negative=negative,
        sd=m.sd,
        mean_label=f"mean feeling, 1–{high}",
        nev_label=f"NEV: % positive ({positive_min}–{high}) − % negative (1–{negative_max})",
        warning=too_small(n),
    )


def emotion_from_distribution(
    counts: Mapping[int | None, int],
    *,
    positive_min: int = EMOTION_POSITIVE_MIN,
    negative_max: int = EMOTION_NEGATIVE_MAX,
) -> EmotionResult:
    _check_scale(counts, "emotion")
    low, high = SCALES["emotion"]
    m = moments_from_distribution(counts)
    return emotion_from_moments(
        m.n,
        m.total,
        m.total_sq,
        count_between(counts, positive_min, high),
        count_between(counts, low, negative_max),
        positive_min=positive_min,
        negative_max=negative_max,
    )


# -- API shape ------------------------------------------------------------------------


def metrics_payload(digits: int = 1, **metrics: msgspec.Struct | None) -> dict[str, Any]:
    """The ``GET /api/v1/metrics`` body (DESIGN.md §9): ``{"nps": {...}, "ces": {...}, ...}``.

    Floats are rounded to ``digits`` only here, at the edge: rounding is monotone,
    so a rounded interval still contains its rounded score.
    """
    return {name: _rounded(msgspec.to_builtins(value), digits) for name, value in metrics.items()}


def _rounded(value: Any, digits: int) -> Any:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, list | tuple):
        return [_rounded(v, digits) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    return value
