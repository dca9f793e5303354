"""What the collectors learn about one workload: its requests and limits, usage history and signals."""

from __future__ import annotations

from dataclasses import dataclass, field

GIB = float(2**30)

Points = list[tuple[float, float]]


@dataclass
class WorkloadUsage:
    """Requests, usage and health signals of one workload over the analysis window.

    Usage points are ``(unix seconds, value)`` per pod sample (CPU cores, memory bytes, GPU percent);
    requests and limits are per pod. ``requests_total`` is None when the workload exposes no request
    counter at all (a batch job), 0.0 when it does and nobody called it.
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
    cpu_points: Points = field(default_factory=list)
    mem_points: Points = field(default_factory=list)
    gpu_points: Points = field(default_factory=list)
    mem_peak_bytes: float | None = None
    cpu_peak: float | None = None
    gpu_avg: float | None = None
    gpu_max: float | None = None
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
