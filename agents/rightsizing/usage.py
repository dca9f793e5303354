"""What the collectors learn about one workload: its requests and limits, usage history and signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.rightsizing.histogram import BucketScheme, DecayingHistogram

GIB = float(2**30)

Points = list[tuple[float, float]]


@dataclass(frozen=True)
class WindowSketch:
    """Usage over one window (a day) summarized as quantiles: ``(value, probability mass)`` pairs.

    ``samples`` is how many raw (scrape-step) samples the window stands for. ``raw_p99`` and
    ``raw_max`` are the window's P99 and maximum of the raw (unsmoothed) usage, when collected.
    """

    start_ts: float
    end_ts: float
    quantiles: tuple[tuple[float, float], ...]
    samples: float
    raw_p99: float | None = None
    raw_max: float | None = None

    @property
    def max_value(self) -> float:
        return max((v for v, _ in self.quantiles), default=0.0)


def histogram_of_sketches(sketches: Sequence[WindowSketch], scheme: BucketScheme) -> DecayingHistogram:
    """A decaying histogram fed with per-window quantile sketches, oldest first."""
    hist = DecayingHistogram(scheme)
    for sk in sorted(sketches, key=lambda s: s.start_ts):
        hist.add_distribution(sk.quantiles, sk.start_ts, sk.end_ts, sk.samples)
    return hist


@dataclass
class WorkloadUsage:
    """Requests, usage and health signals of one workload over the analysis window.

    Usage histories are per-day quantile sketches of per-pod usage (CPU cores, memory bytes, GPU
    percent); requests and limits are per pod. ``hour_profile`` maps a local weekday hour to the mean
    CPU usage (key -1 = weekend mean), when it was collected. ``requests_total`` is None when the
    workload exposes no request counter at all, 0.0 when it does and nobody called it. ``cpu_peak`` and
    ``cpu_p99`` read the raw CPU rate over the window; ``gpu_recent_*`` cover the last
    ``gpu_recent_days`` days only.
    """

    workload: str
    namespace: str
    env: str = "production"
    team: str = ""
    model: str | None = None
    replicas: int = 1
    cpu_request: float = 0.0
    cpu_limit: float | None = None
    mem_request_bytes: float = 0.0
    mem_limit_bytes: float | None = None
    gpus: int = 0
    gpu_model: str | None = None
    cpu_days: list[WindowSketch] = field(default_factory=list)
    mem_days: list[WindowSketch] = field(default_factory=list)
    hour_profile: dict[int, float] = field(default_factory=dict)
    mem_peak_bytes: float | None = None
    cpu_peak: float | None = None
    cpu_p99: float | None = None
    gpu_avg: float | None = None
    gpu_max: float | None = None
    gpu_recent_avg: float | None = None
    gpu_recent_max: float | None = None
    gpu_recent_days: int = 3
    oom_events: int = 0
    restarts: int = 0
    throttled_ratio: float | None = None
    requests_total: float | None = None
    step_s: float = 300.0
    evidence: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.workload

    def evidence_ids(self) -> list[str]:
        return sorted(set(self.evidence.values()), key=lambda e: (len(e), e))
