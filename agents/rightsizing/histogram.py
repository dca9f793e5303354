"""A decaying histogram and the VPA-style estimators built on it.

This follows the Kubernetes Vertical Pod Autoscaler recommender
(``vertical-pod-autoscaler/pkg/recommender``):

- samples fall into **exponential buckets** (first bucket ``first_bucket_size`` wide, each next bucket
  ``ratio`` times wider, up to ``max_value``);
- each sample's weight is multiplied by ``2 ** ((t - reference) / half_life)`` so that a sample one
  half-life older counts half as much (VPA: half-life 24 h);
- a percentile is the *upper edge* of the first bucket whose cumulative weight reaches the fraction;
- the estimators: target = P90, lower bound = P50, upper bound = P95, each times a 15 % safety margin;
  the bounds are then widened by a **confidence multiplier** that depends on how much history there is,
  ``confidence = min(lifespan_days, samples_days)``:
  ``upper *= (1 + 1/confidence) ** 1`` and ``lower *= (1 + 0.001/confidence) ** -2`` — with a day of
  history the upper bound doubles, with two weeks it is 7 % above the margin-adjusted P95.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

DAY_S = 86400.0
HALF_LIFE_S = DAY_S
TARGET_PERCENTILE = 0.90
LOWER_PERCENTILE = 0.50
UPPER_PERCENTILE = 0.95
SAFETY_MARGIN = 0.15
UPPER_MULTIPLIER, UPPER_EXPONENT = 1.0, 1.0
LOWER_MULTIPLIER, LOWER_EXPONENT = 0.001, -2.0
_EPSILON = 1e-12
_MAX_DECAY_EXPONENT = 100.0


@dataclass(frozen=True)
class BucketScheme:
    """Exponential bucket boundaries: ``[0, s), [s, s + s*r), ...`` up to ``max_value``."""

    first_bucket_size: float
    ratio: float
    max_value: float

    def __post_init__(self) -> None:
        if self.first_bucket_size <= 0 or self.ratio <= 1 or self.max_value <= self.first_bucket_size:
            raise ValueError("need first_bucket_size > 0, ratio > 1, max_value > first_bucket_size")

    @property
    def num_buckets(self) -> int:
        n = math.ceil(math.log(self.max_value * (self.ratio - 1) / self.first_bucket_size + 1, self.ratio))
        return max(n, 1) + 1

    def bucket_start(self, bucket: int) -> float:
        if bucket <= 0:
            return 0.0
        return self.first_bucket_size * (self.ratio**bucket - 1) / (self.ratio - 1)

    def find_bucket(self, value: float) -> int:
        if value < self.first_bucket_size:
            return 0
        bucket = int(math.log(value * (self.ratio - 1) / self.first_bucket_size + 1, self.ratio))
        return min(bucket, self.num_buckets - 1)


CPU_BUCKETS = BucketScheme(first_bucket_size=0.01, ratio=1.05, max_value=1000.0)  # cores
MEMORY_BUCKETS = BucketScheme(first_bucket_size=1e7, ratio=1.05, max_value=1e12)  # bytes
GPU_BUCKETS = BucketScheme(first_bucket_size=0.5, ratio=1.05, max_value=100.0)  # percent


@dataclass
class DecayingHistogram:
    """Weighted samples in exponential buckets, older samples exponentially discounted.

    Weights are kept relative to ``reference`` (a unix time); when a new sample would need a weight
    larger than ``2**100`` the reference moves forward and stored weights are rescaled (as the VPA does).
    """

    scheme: BucketScheme
    half_life_s: float = HALF_LIFE_S
    reference: float | None = None
    weights: dict[int, float] = field(default_factory=dict)
    first_ts: float | None = None
    last_ts: float | None = None
    samples: float = 0.0

    def add(self, value: float, ts: float, weight: float = 1.0, count: float = 1.0) -> None:
        """Add a sample observed at unix time ``ts`` (negative values count as zero).

        ``count`` is how many raw samples it stands for (confidence counts samples).
        """
        if weight <= 0 or math.isnan(value):
            return
        if self.reference is None:
            self.reference = ts
        exponent = (ts - self.reference) / self.half_life_s
        if exponent > _MAX_DECAY_EXPONENT:
            self._shift_reference(ts)
            exponent = 0.0
        bucket = self.scheme.find_bucket(max(value, 0.0))
        self.weights[bucket] = self.weights.get(bucket, 0.0) + weight * 2.0**exponent
        self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
        self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
        self.samples += count

    def add_distribution(
        self, quantiles: Sequence[tuple[float, float]], start_ts: float, end_ts: float, samples: float
    ) -> None:
        """Add a summarized window: ``(value, probability mass)`` pairs standing for ``samples`` samples.

        Used when the source returns per-window quantiles instead of raw points: each quantile value
        is added at the window's midpoint with its mass as weight, and the window's span counts as
        history.
        """
        mid = (start_ts + end_ts) / 2
        for value, mass in quantiles:
            self.add(value, mid, weight=mass, count=samples * mass)
        self.first_ts = start_ts if self.first_ts is None else min(self.first_ts, start_ts)
        self.last_ts = end_ts if self.last_ts is None else max(self.last_ts, end_ts)

    def extend(self, points: Iterable[tuple[float, float]]) -> DecayingHistogram:
        """Add ``(ts, value)`` pairs; return self."""
        for ts, value in points:
            self.add(value, ts)
        return self

    def _shift_reference(self, ts: float) -> None:
        assert self.reference is not None
        factor = 2.0 ** ((self.reference - ts) / self.half_life_s)
        self.weights = {b: w * factor for b, w in self.weights.items() if w * factor > _EPSILON}
        self.reference = ts

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values())

    def is_empty(self) -> bool:
        return self.total_weight <= _EPSILON

    def percentile(self, fraction: float) -> float:
        """Upper edge of the first bucket whose cumulative weight reaches ``fraction`` of the total."""
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within [0, 1]")
        if self.is_empty():
            return 0.0
        threshold = fraction * self.total_weight
        cumulative = 0.0
        last = max(self.weights)
        for bucket in sorted(self.weights):
            cumulative += self.weights[bucket]
            if cumulative >= threshold - _EPSILON:
                last = bucket
                break
        return self.scheme.bucket_start(last + 1)

    def history_days(self) -> float:
        if self.first_ts is None or self.last_ts is None:
            return 0.0
        return (self.last_ts - self.first_ts) / DAY_S


def confidence(lifespan_days: float, samples: float, step_s: float) -> float:
    """VPA confidence in days: ``min(lifespan, samples * step / 1 day)``."""
    return max(0.0, min(lifespan_days, samples * step_s / DAY_S))


def confidence_multipliers(conf_days: float) -> tuple[float, float]:
    """``(lower, upper)`` multipliers that widen the bounds when history is short.

    With ``conf_days`` → 0 the upper multiplier grows without bound and the lower one goes to 0.
    """
    conf = max(conf_days, 1e-6)
    upper = (1.0 + UPPER_MULTIPLIER / conf) ** UPPER_EXPONENT
    lower = (1.0 + LOWER_MULTIPLIER / conf) ** LOWER_EXPONENT
    return lower, upper


@dataclass(frozen=True)
class Estimate:
    """A recommendation with bounds, in the histogram's unit."""

    target: float
    lower: float
    upper: float
    confidence_days: float
    history_days: float
    samples: float


def estimate(
    hist: DecayingHistogram,
    step_s: float,
    *,
    margin: float = SAFETY_MARGIN,
    target_pct: float = TARGET_PERCENTILE,
    floor: float = 0.0,
) -> Estimate:
    """VPA estimators over ``hist``: P90 target, P50/P95 bounds, margin, confidence-widened bounds.

    Args:
        hist: the usage histogram.
        step_s: seconds between samples (turns a sample count into days of history).
        margin: safety margin applied to target and bounds (0.15 = +15 %).
        target_pct: percentile of the target (0.90 for the VPA, 0.95 for KRR-style CPU).
        floor: minimum for every value (VPA: 25 millicores, 250 MB).
    """
    conf = confidence(hist.history_days(), hist.samples, step_s)
    low_mult, up_mult = confidence_multipliers(conf)
    scale = 1.0 + margin
    target = max(hist.percentile(target_pct) * scale, floor)
    lower = max(hist.percentile(LOWER_PERCENTILE) * scale * low_mult, floor)
    upper = max(hist.percentile(UPPER_PERCENTILE) * scale * up_mult, floor)
    return Estimate(
        target=target,
        lower=min(lower, target),
        upper=max(upper, target),
        confidence_days=conf,
        history_days=hist.history_days(),
        samples=hist.samples,
    )


def histogram_of(
    points: Sequence[tuple[float, float]], scheme: BucketScheme, half_life_s: float = HALF_LIFE_S
) -> DecayingHistogram:
    """A decaying histogram over ``(ts, value)`` points."""
    return DecayingHistogram(scheme, half_life_s).extend(sorted(points))
