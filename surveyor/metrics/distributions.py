"""The few probability distributions the metrics need: normal and Student's t.

Why not scipy: it would be a ~40 MB dependency for four functions. The normal
distribution comes from the standard library (``statistics.NormalDist``,
``math.erfc``). Student's t is computed here from the regularised incomplete
beta function (the Numerical Recipes continued fraction, Lentz's method), which
is exact to ~1e-12 for every degree of freedom, including the fractional ones a
Welch test produces. Quantiles are found by safeguarded Newton steps on that
CDF for small df; from 30 df on, the Cornish-Fisher expansion is used instead
because it is already accurate to better than 1e-6 there (tested) and costs no
iteration — a metrics series computes hundreds of intervals per request.

All values are checked against printed t tables in tests/metrics/test_stats.py.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

_STANDARD_NORMAL = NormalDist()
# From this many degrees of freedom on, the Cornish-Fisher expansion is used directly.
_CORNISH_FISHER_MIN_DF = 30.0


def z_quantile(confidence: float = 0.95) -> float:
    """The two-sided normal critical value: 1.959964 for 95 %."""
    _check_confidence(confidence)
    return _STANDARD_NORMAL.inv_cdf(0.5 + confidence / 2)


def normal_two_sided_p(z: float) -> float:
    """P(|Z| >= |z|); erfc keeps precision far in the tail where 1 - cdf would round to 0."""
    return math.erfc(abs(z) / math.sqrt(2))


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` (> 0, may be fractional) degrees of freedom."""
    if df <= 0:
        raise ValueError("df must be positive")
    if math.isinf(t):
        return 0.0
    # P(|T| > t) = I_x(df/2, 1/2) with x = df / (df + t²): the classic identity.
    return regularized_beta(df / 2, 0.5, df / (df + t * t))


def t_pdf(t: float, df: float) -> float:
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df))


def t_quantile(confidence: float, df: float) -> float:
    """The two-sided critical value of Student's t: 2.262157 for 95 % with 9 df."""
    _check_confidence(confidence)
    if df <= 0:
        raise ValueError("df must be positive")
    if math.isinf(df):
        return z_quantile(confidence)
    return _t_quantile_cached(confidence, float(df))


@lru_cache(maxsize=4096)
def _t_quantile_cached(confidence: float, df: float) -> float:
    z = z_quantile(confidence)
    guess = _cornish_fisher(z, df)
    if df >= _CORNISH_FISHER_MIN_DF:
        return guess
    alpha = 1 - confidence
    # Bracket the root, then Newton; a step that leaves the bracket becomes a bisection,
    # so the very heavy tails of df = 1 or 2 cannot send it astray.
    lo, hi = 0.0, max(guess, 1.0)
    while t_two_sided_p(hi, df) > alpha:
        lo, hi = hi, hi * 2
    q = min(max(guess, lo), hi)
    for _ in range(100):
        f = t_two_sided_p(q, df) - alpha
        if f > 0:
            lo = q
        else:
            hi = q
        step = f / (2 * t_pdf(q, df))  # d/dq of the two-sided p is -2·pdf(q)
        candidate = q + step
        if not lo < candidate < hi:
            candidate = (lo + hi) / 2
        if abs(candidate - q) <= 1e-13 * max(1.0, q):
            return candidate
        q = candidate
    return q


def _cornish_fisher(z: float, df: float) -> float:
    """Student's t quantile from the normal one (Abramowitz & Stegun 26.7.5)."""
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularised incomplete beta function, for a, b > 0 and 0 <= x <= 1."""
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must be within [0, 1]")
    if x == 0.0 or x == 1.0:
        return x
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    # The continued fraction converges fast only on this side of the mean; use the
    # symmetry I_x(a, b) = 1 - I_{1-x}(b, a) on the other.
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be within (0, 1)")
