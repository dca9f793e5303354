"""PromQL builders for the batched rightsizing queries (pure strings, no I/O).

Selectors are built from the scope (namespace, workloads); every aggregation keeps
``namespace, container`` (container = workload).
"""

from __future__ import annotations

from collections.abc import Sequence

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


def day_sketch(kind: str, sel: str) -> str:
    """Per-workload quantiles of one day of usage, one series per level (label ``q``), at query time."""
    terms = []
    for q, _ in LEVELS:
        if kind == "cpu":
            inner = f"quantile_over_time({q}, {CPU_RATE % sel}[1d:{SKETCH_STEP}])"
        else:
            inner = f"quantile_over_time({q}, {MEMORY % sel}[1d])"
        terms.append(f'label_replace(max by ({BY}) ({inner}), "q", "{q}", "", "")')
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


def signals(sel: str, window: str, with_gpu: bool) -> dict[str, tuple[str, str]]:
    """name → (PromQL, summary) of the server-side reduced signals."""
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
        "cpu_peak": (f"max by ({BY}) (max_over_time({CPU_RATE % sel}[{window}:5m]))", "CPU peak (15m rate)"),
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
