"""PromQL builders for the batched rightsizing queries (pure strings, no I/O).

Selectors are built from the scope (namespace, workloads); every aggregation keeps
``namespace, container`` (container = workload).

Two CPU readings: the 15-minute ``rate`` feeds the day sketches (the VPA-style histogram), and the
**raw** rate (``irate`` over a window of two scrapes, sampled at the scrape step, see
:class:`RawRate`) gives peaks and the P99 a daily batch peak lives in — a 15-minute rate smooths a
20-minute peak to a fraction of its height.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BY = "namespace, container"
# Quantile levels of a day sketch and the probability mass each stands for (sums to 1): decile
# midpoints, with the top decile split in two so that the P95 estimator sees the tail.
LEVELS: tuple[tuple[float, float], ...] = (
    *((round(0.05 + 0.1 * i, 3), 0.1) for i in range(9)),
    (0.925, 0.05),
    (0.975, 0.05),
)
CPU_RATE = "rate(container_cpu_usage_seconds_total{%s}[15m])"
MEMORY = "container_memory_working_set_bytes{%s}"
MAX_SERIES = 500
SKETCH_STEP = "10m"  # CPU subquery resolution of a day sketch
RAW_P99, RAW_MAX = "raw_p99", "raw_max"  # labels q of the raw-usage terms of a CPU day sketch


@dataclass(frozen=True)
class RawRate:
    """Raw CPU usage: ``irate`` over ``window`` (two scrapes), sampled every ``step`` (one scrape)."""

    window: str = "10m"
    step: str = "5m"

    def expr(self, sel: str) -> str:
        return f"irate(container_cpu_usage_seconds_total{{{sel}}}[{self.window}])"

    def over(self, sel: str, span: str) -> str:
        """The raw rate as a range of ``span`` (a subquery at the scrape step)."""
        return f"{self.expr(sel)}[{span}:{self.step}]"


def selector(
    namespace: str | None = None,
    containers: Sequence[str] | None = None,
    *,
    label: str = "container",
    extra: str | None = None,
) -> str:
    """Label matchers for a scope: ``namespace="x",container=~"a|b"`` (plus ``extra``)."""
    parts = [f'namespace="{namespace}"'] if namespace else []
    if containers:
        names = sorted(set(containers))
        parts.append(f'{label}="{names[0]}"' if len(names) == 1 else f'{label}=~"{"|".join(names)}"')
    if extra:
        parts.append(extra)
    return ",".join(parts)


def chunks(names: Sequence[str], per_query: int) -> list[list[str]]:
    """Split workload names so that ``len(chunk) * per_query`` series stay under :data:`MAX_SERIES`."""
    size = max(1, MAX_SERIES // max(per_query, 1))
    ordered = sorted(set(names))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def day_sketch(kind: str, sel: str, raw: RawRate | None = None) -> str:
    """Per-workload quantiles of one day of usage, one series per level (label ``q``), at query time.

    CPU sketches also carry the day's raw P99 and raw maximum (``q`` = ``raw_p99`` / ``raw_max``).
    """
    terms = []
    for q, _ in LEVELS:
        if kind == "cpu":
            inner = f"quantile_over_time({q}, {CPU_RATE % sel}[1d:{SKETCH_STEP}])"
        else:
            inner = f"quantile_over_time({q}, {MEMORY % sel}[1d])"
        terms.append(f'label_replace(max by ({BY}) ({inner}), "q", "{q}", "", "")')
    if kind == "cpu":
        rr = raw or RawRate()
        for label, inner in (
            (RAW_P99, f"quantile_over_time(0.99, {rr.over(sel, '1d')})"),
            (RAW_MAX, f"max_over_time({rr.over(sel, '1d')})"),
        ):
            terms.append(f'label_replace(max by ({BY}) ({inner}), "q", "{label}", "", "")')
    return " or ".join(terms)


def hour_profile(sel: str, window: str, utc_offset_s: int) -> str:
    """Mean CPU per local weekday hour (label ``h`` = 0..23) and on weekends (``h`` = -1)."""
    local = f"vector(time() + {utc_offset_s})"
    weekday = f"(day_of_week({local}) > 0 < 6)"
    weekend = f"(day_of_week({local}) == 0 or day_of_week({local}) == 6)"
    rate = CPU_RATE % sel

    def term(cond: str, h: int) -> str:
        return (
            f"label_replace(avg by ({BY}) (avg_over_time(({rate} and on() {cond})[{window}:30m])), "
            f'"h", "{h}", "", "")'
        )

    terms = [term(f"(hour({local}) == {h}) and on() {weekday}", h) for h in range(24)]
    return " or ".join([*terms, term(weekend, -1)])


def signals(
    sel: str, window: str, with_gpu: bool, raw: RawRate | None = None, gpu_recent: str = "3d"
) -> dict[str, tuple[str, str]]:
    """name → (PromQL, summary) of the server-side reduced signals.

    ``gpu_recent`` is the recent window of the GPU idle check (``gpu_recent_avg`` / ``gpu_recent_max``).
    """
    rr = raw or RawRate()
    oom_sel = ",".join(x for x in (sel, 'reason="OOMKilled"') if x)
    cpu_sel = ",".join(x for x in (sel, 'resource="cpu"') if x)
    out = {
        "requests": (
            f"max by ({BY}, resource) (kube_pod_container_resource_requests{{{sel}}})",
            "resource requests per pod",
        ),
        "limits": (
            f"max by ({BY}, resource) (kube_pod_container_resource_limits{{{sel}}})",
            "resource limits per pod",
        ),
        "replicas": (
            f"count by ({BY}) (kube_pod_container_resource_requests{{{cpu_sel}}})",
            "pods per workload",
        ),
        "mem_peak": (f"max by ({BY}) (max_over_time({MEMORY % sel}[{window}]))", "memory working-set peak"),
        "cpu_peak": (f"max by ({BY}) (max_over_time({rr.over(sel, window)}))", "CPU peak (raw rate)"),
        "cpu_p99": (
            f"max by ({BY}) (quantile_over_time(0.99, {rr.over(sel, window)}))",
            "CPU P99 of the raw rate",
        ),
        "restarts": (
            f"sum by ({BY}) (increase(kube_pod_container_status_restarts_total{{{sel}}}[{window}]))",
            "container restarts",
        ),
        "oom": (
            f"max by ({BY}) (max_over_time(kube_pod_container_status_last_terminated_reason{{{oom_sel}}}[{window}]))",
            "OOMKilled terminations",
        ),
        "throttled": (
            f"sum by ({BY}) (increase(container_cpu_cfs_throttled_periods_total{{{sel}}}[1h])) / "
            f"sum by ({BY}) (increase(container_cpu_cfs_periods_total{{{sel}}}[1h]))",
            "share of CPU periods throttled, last hour",
        ),
    }
    if with_gpu:
        out["gpu_avg"] = (
            f"avg by ({BY}, modelName) (avg_over_time(DCGM_FI_DEV_GPU_UTIL{{{sel}}}[{window}]))",
            "GPU utilization % mean",
        )
        out["gpu_max"] = (
            f"max by ({BY}) (max_over_time(DCGM_FI_DEV_GPU_UTIL{{{sel}}}[{window}]))",
            "GPU utilization % max",
        )
        out["gpu_recent_avg"] = (
            f"avg by ({BY}) (avg_over_time(DCGM_FI_DEV_GPU_UTIL{{{sel}}}[{gpu_recent}]))",
            f"GPU utilization % mean, last {gpu_recent}",
        )
        out["gpu_recent_max"] = (
            f"max by ({BY}) (max_over_time(DCGM_FI_DEV_GPU_UTIL{{{sel}}}[{gpu_recent}]))",
            f"GPU utilization % max, last {gpu_recent}",
        )
    return out


def labels_query(sel: str) -> str:
    return f"max by (namespace, label_app, label_team, label_env, label_model) (kube_pod_labels{{{sel}}})"


def traffic(sel: str, window: str) -> str:
    """Requests served per workload (model or plain HTTP counters; label ``service`` = workload)."""
    return (
        f"sum by (namespace, service) (increase(model_requests_total{{{sel}}}[{window}])) or "
        f"sum by (namespace, service) (increase(http_requests_total{{{sel}}}[{window}]))"
    )


def version_traffic(sel: str, window: str) -> str:
    return f"sum by (namespace, service, model, version) (increase(model_requests_total{{{sel}}}[{window}]))"
