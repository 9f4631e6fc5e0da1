"""Result Structs of the metrics: every score travels with its n, interval and warning.

Frozen so a computed score cannot be edited on its way to a page; msgspec so the
API encodes them directly (tuples become ``[lo, hi]``).
"""

from __future__ import annotations

from typing import Literal

import msgspec

Interval = tuple[float, float]
# Codes, not sentences: the API returns them and the UI translates them.
SampleWarning = Literal["no_data", "too_few", "wide_interval"]


class Moments(msgspec.Struct, frozen=True):
    """What SQL returns for a mean: ``count(x), sum(x), sum(x*x)``."""

    n: int
    total: float
    total_sq: float


class MeanStats(msgspec.Struct, frozen=True, kw_only=True):
    n: int
    mean: float | None
    sd: float | None
    se: float | None
    ci95: Interval | None


class NpsResult(msgspec.Struct, frozen=True, kw_only=True):
    score: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    se: float | None
    ci95: Interval | None
    warning: SampleWarning | None


class CesResult(msgspec.Struct, frozen=True, kw_only=True):
    mean: float | None
    pct_easy: float | None
    n: int
    ci95: Interval | None
    pct_easy_ci95: Interval | None
    easy: int
    sd: float | None
    mean_label: str
    pct_easy_label: str
    warning: SampleWarning | None


class CsatResult(msgspec.Struct, frozen=True, kw_only=True):
    pct_satisfied: float | None
    n: int
    ci95: Interval | None
    satisfied: int
    mean: float | None
    mean_ci95: Interval | None
    sd: float | None
    pct_label: str
    mean_label: str
    warning: SampleWarning | None


class EmotionResult(msgspec.Struct, frozen=True, kw_only=True):
    mean: float | None
    nev: float | None
    n: int
    ci95: Interval | None
    nev_ci95: Interval | None
    nev_se: float | None
    positive: int
    neutral: int
    negative: int
    sd: float | None
    mean_label: str
    nev_label: str
    warning: SampleWarning | None
